// Full-weight AES baseline: every weight byte encrypted with AES (CTR or GCM) through OpenSSL.
#include "snngx/crypto/aes_baseline.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>

#include "snngx/crypto/primitives.hpp"

namespace snngx::crypto {
namespace {

// Benchmark key material from a seed (splitmix64): reproducible runs; not a secret.
void fill_from_seed(std::span<std::uint8_t> out, std::uint64_t seed) {
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < out.size(); i += 8) {
    x += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (std::size_t b = 0; b < 8 && i + b < out.size(); ++b) out[i + b] = static_cast<std::uint8_t>(z >> (8 * b));
  }
}

struct Chunk {
  std::size_t layer = 0, index = 0, begin = 0, end = 0;
};

// Splits every layer into `threads` block-aligned chunks; chunk t of every layer goes to thread t.
std::vector<Chunk> make_chunks(std::span<const std::span<const std::uint8_t>> layers, int threads) {
  std::vector<Chunk> chunks;
  const auto k = static_cast<std::size_t>(threads);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::size_t blocks = (layers[l].size() + kAesBlockBytes - 1) / kAesBlockBytes;
    for (std::size_t t = 0; t < k; ++t) {
      const std::size_t b0 = blocks * t / k, b1 = blocks * (t + 1) / k;
      chunks.push_back({l, t, std::min(b0 * kAesBlockBytes, layers[l].size()), std::min(b1 * kAesBlockBytes, layers[l].size())});
    }
  }
  return chunks;
}

void run_parallel(int threads, const std::function<void(int)>& work) {
  if (threads == 1) {
    work(0);
    return;
  }
  std::vector<std::jthread> pool;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        work(t);
      } catch (...) {
        errors[static_cast<std::size_t>(t)] = std::current_exception();
      }
    });
  pool.clear();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Per-message IV: the base IV with the layer and chunk index mixed into its first bytes.
std::array<std::uint8_t, kAesBlockBytes> message_iv(const std::array<std::uint8_t, kAesBlockBytes>& base, std::size_t layer,
                                                    std::size_t chunk, bool per_chunk) {
  auto iv = base;
  for (std::size_t b = 0; b < 4; ++b) iv[b] ^= static_cast<std::uint8_t>(layer >> (8 * b));
  if (per_chunk)
    for (std::size_t b = 0; b < 4; ++b) iv[4 + b] ^= static_cast<std::uint8_t>(chunk >> (8 * b));
  if (!per_chunk) iv[15] = 0;  // CTR: low counter bytes start at zero so block offsets never wrap into the layer index
  return iv;
}

}  // namespace

std::string to_string(AesMode mode) { return mode == AesMode::Ctr ? "ctr" : "gcm"; }

AesMode parse_aes_mode(const std::string& name) {
  if (name == "ctr") return AesMode::Ctr;
  if (name == "gcm") return AesMode::Gcm;
  throw std::invalid_argument("unknown AES mode '" + name + "' (ctr | gcm)");
}

std::uint64_t aes_blocks_for_bytes(std::uint64_t bytes, AesMode mode) {
  const std::uint64_t data = bytes / kAesBlockBytes + (bytes % kAesBlockBytes != 0 ? 1 : 0);
  return mode == AesMode::Gcm ? data + 1 : data;
}

std::uint64_t aes_blocks_for_layers(std::span<const std::uint64_t> layer_bytes, AesMode mode) {
  std::uint64_t n = 0;
  for (const auto b : layer_bytes) n += aes_blocks_for_bytes(b, mode);
  return n;
}

AesBlockCounts aes_block_counts(std::span<const std::uint64_t> layer_weight_bytes, AesMode mode) {
  const std::uint64_t all = aes_blocks_for_layers(layer_weight_bytes, mode);
  return {all, all};
}

AesBlockCounts aes_block_counts(std::uint64_t weight_bytes, AesMode mode) {
  const std::uint64_t one[] = {weight_bytes};
  return aes_block_counts(one, mode);
}

AesBaselineResult run_aes_baseline(std::span<const std::span<const std::uint8_t>> layers, const AesBaselineOptions& o) {
  if (o.key_bits != 128 && o.key_bits != 256) throw std::invalid_argument("AES key bits must be 128 or 256, got " + std::to_string(o.key_bits));
  if (o.threads < 1) throw std::invalid_argument("threads must be >= 1");
  AesBaselineResult r;
  r.mode = o.mode;
  r.key_bits = o.key_bits;
  r.threads = o.threads;
  std::vector<std::uint64_t> sizes;
  for (const auto l : layers) {
    r.bytes += l.size();
    sizes.push_back(l.size());
  }
  r.blocks = aes_blocks_for_layers(sizes, o.mode);

  SecretBytes key(static_cast<std::size_t>(o.key_bits / 8));
  fill_from_seed(key.bytes(), o.seed);
  std::array<std::uint8_t, kAesBlockBytes> base_iv{};
  fill_from_seed(base_iv, o.seed ^ 0xA5A5A5A5A5A5A5A5ull);

  std::vector<std::vector<std::uint8_t>> cipher(layers.size()), plain(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    cipher[l].resize(layers[l].size());
    plain[l].resize(layers[l].size());
  }
  const auto chunks = make_chunks(layers, o.threads);
  std::vector<std::array<std::uint8_t, kGcmTagBytes>> tags(chunks.size());
  std::vector<char> tag_ok(chunks.size(), 1);

  auto process = [&](bool encrypt, int t) {
    for (std::size_t c = static_cast<std::size_t>(t); c < chunks.size(); c += static_cast<std::size_t>(o.threads)) {
      const Chunk& ch = chunks[c];
      const std::size_t n = ch.end - ch.begin;
      const auto in = encrypt ? layers[ch.layer].subspan(ch.begin, n) : std::span<const std::uint8_t>(cipher[ch.layer]).subspan(ch.begin, n);
      const auto out = encrypt ? std::span<std::uint8_t>(cipher[ch.layer]).subspan(ch.begin, n) : std::span<std::uint8_t>(plain[ch.layer]).subspan(ch.begin, n);
      if (o.mode == AesMode::Ctr) {
        const auto iv = message_iv(base_iv, ch.layer, 0, false);
        aes_ctr_xcrypt(key.bytes(), iv, ch.begin / kAesBlockBytes, in, out);
      } else {
        const auto iv = message_iv(base_iv, ch.layer, ch.index, true);
        const auto nonce = std::span<const std::uint8_t>(iv).first(kGcmNonceBytes);
        if (encrypt) {
          const auto ct = aes_gcm_encrypt(key.bytes(), nonce, {}, in, tags[c]);
          std::copy(ct.begin(), ct.end(), out.begin());
        } else {
          tag_ok[c] = aes_gcm_decrypt(key.bytes(), nonce, {}, in, tags[c], out) ? 1 : 0;
        }
      }
    }
  };

  using Clock = std::chrono::steady_clock;
  auto timed = [&](bool encrypt, int& reps) {
    const auto start = Clock::now();
    double seconds = 0;
    reps = 0;
    do {
      run_parallel(o.threads, [&](int t) { process(encrypt, t); });
      ++reps;
      seconds = std::chrono::duration<double>(Clock::now() - start).count();
    } while (seconds < o.min_seconds);
    return r.bytes && seconds > 0 ? static_cast<double>(r.bytes) * reps / seconds / 1e6 : 0.0;
  };
  int enc_reps = 0, dec_reps = 0;
  r.encrypt_mb_per_s = timed(true, enc_reps);
  r.decrypt_mb_per_s = timed(false, dec_reps);
  r.repetitions = std::min(enc_reps, dec_reps);

  r.round_trip_ok = std::all_of(tag_ok.begin(), tag_ok.end(), [](char ok) { return ok != 0; });
  for (std::size_t l = 0; l < layers.size() && r.round_trip_ok; ++l)
    r.round_trip_ok = std::equal(plain[l].begin(), plain[l].end(), layers[l].begin(), layers[l].end()) &&
                      (layers[l].size() < kAesBlockBytes || !std::equal(cipher[l].begin(), cipher[l].end(), layers[l].begin()));
  if (!r.round_trip_ok) throw std::runtime_error("AES-" + to_string(o.mode) + " baseline: round trip failed");
  return r;
}

}  // namespace snngx::crypto
