// Key protection costs and the full-weight AES baseline:
//  - what opening a sealed key costs with the secure defaults (scrypt N = 2^15, r = 8, p = 1;
//    PBKDF2-HMAC-SHA256 600 000 iterations; device key + HKDF), for a 50-bit key;
//  - AES-CTR / AES-GCM software throughput over the reference models' weight bytes (random bytes
//    of the same per-layer sizes) at 1 and 2 threads, and the AES blocks per load/inference.
// Targets (this is where speed expectations live, not in tests): opening a passphrase key file
// takes 0.05 - 1 s (slow enough to hurt guessing, fast enough for a user); AES-CTR >= 500 MB/s
// per thread with AES-NI.
//
//   crypto_bench [--min-seconds S]
#include "bench_common.hpp"
#include <fmt/core.h>
#include <openssl/opensslv.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "snngx/crypto/aes_baseline.hpp"
#include "snngx/crypto/key_file.hpp"

namespace {

using namespace snngx::crypto;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A 50-bit key in the last layer of the NMNIST MLP (the paper's epsilon).
XorKey fifty_bit_key() {
  LayerKey l{1, 8, 512 * 10 * 8, {}};
  for (std::uint64_t k = 0; k < 50; ++k) l.positions.push_back(k * 97 * 8);
  return XorKey{{l}};
}

void bench_key_files() {
  const std::string fp(64, 'a');
  std::array<std::uint8_t, kKeySaltBytes> salt{};
  std::array<std::uint8_t, kGcmNonceBytes> nonce{};
  random_bytes(salt);
  random_bytes(nonce);
  struct Case {
    std::string name;
    KeySecret secret;
    KdfParams kdf;
  };
  std::vector<Case> cases;
  cases.push_back({"passphrase, scrypt N=2^15 r=8 p=1 (default)", KeySecret::passphrase("correct horse battery staple"), KdfParams{}});
  cases.push_back({"passphrase, PBKDF2-HMAC-SHA256 600000", KeySecret::passphrase("correct horse battery staple"), KdfParams::pbkdf2(600'000)});
  cases.push_back({"device key, HKDF-SHA256", KeySecret::device_key(std::vector<std::uint8_t>(32, 7)), KdfParams{}});
  fmt::print("{:<46} {:>10} {:>12} {:>12}\n", "sealed key file (50-bit key)", "file bytes", "seal ms", "unseal ms");
  for (const auto& c : cases) {
    auto t = Clock::now();
    const auto file = seal_key_bytes(fifty_bit_key(), fp, c.secret, c.kdf, salt, nonce);
    const double seal = seconds_since(t);
    t = Clock::now();
    const XorKey back = unseal_key_bytes(file, c.secret, "bench.key");
    const double unseal = seconds_since(t);
    if (back.flipped_bits() != 50) throw std::runtime_error("round trip failed");
    fmt::print("{:<46} {:>10} {:>12.1f} {:>12.1f}\n", c.name, file.size(), 1e3 * seal, 1e3 * unseal);
  }
}

void bench_aes(double min_seconds) {
  struct Model {
    std::string name;
    std::vector<std::uint64_t> layer_bytes;
  };
  const std::vector<Model> models = {
      {"NMNIST MLP 2312-512-10", {2312 * 512, 512 * 10}},
      {"DVSGesture CSNN", {64 * 2 * 9, 128 * 64 * 9, 128 * 128 * 9, 256 * 128 * 9, 4096 * 1024, 1024 * 11}}};
  fmt::print("\n{:<24} {:>4} {:>11} {:>14} {:>8} {:>13} {:>13}\n", "model (q = 8)", "mode", "bytes", "blocks/load=inf", "threads",
             "encrypt MB/s", "decrypt MB/s");
  std::mt19937_64 rng(1);
  for (const auto& m : models) {
    std::vector<std::vector<std::uint8_t>> data;
    std::uint64_t bytes = 0;
    for (const auto n : m.layer_bytes) {
      data.emplace_back(n);
      for (auto& b : data.back()) b = static_cast<std::uint8_t>(rng());
      bytes += n;
    }
    const std::vector<std::span<const std::uint8_t>> layers(data.begin(), data.end());
    for (const AesMode mode : {AesMode::Ctr, AesMode::Gcm})
      for (const int threads : {1, 2}) {
        AesBaselineOptions o;
        o.mode = mode;
        o.threads = threads;
        o.min_seconds = min_seconds;
        const auto r = run_aes_baseline(layers, o);
        fmt::print("{:<24} {:>4} {:>11} {:>14} {:>8} {:>13.0f} {:>13.0f}\n", m.name, to_string(mode), bytes,
                   aes_block_counts(m.layer_bytes, mode).per_inference, threads, r.encrypt_mb_per_s, r.decrypt_mb_per_s);
      }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Key files and the full-weight AES baseline: seal/unseal times, AES MB/s", "crypto_bench"};
  double min_seconds = 1.0;
  bool quick = false;
  app.add_option("--min-seconds", min_seconds, "time each AES measurement for at least this long")->check(CLI::PositiveNumber);
  snngx::bench::add_quick_flag(app, quick);
  return snngx::bench::run(app, argc, argv, [&] {
  if (quick) min_seconds = std::min(min_seconds, 0.2);
  fmt::print("# snngx crypto benchmark\nmachine: {}, {} hardware threads, {}\n\n", snngx::bench::cpu_name(), std::thread::hardware_concurrency(),
             OPENSSL_VERSION_TEXT);
  bench_key_files();
  bench_aes(min_seconds);
  });
}
