// `snngx key info|seal|unseal|verify`: sealed key files (crypto/key_file.hpp, format in
// docs/formats.md). `snngx baseline-aes`: the conventional full-weight AES encryption SNNGX is
// compared with (crypto/aes_baseline.hpp). Parsing and presentation only.
#include <fmt/core.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "checks.hpp"
#include "commands.hpp"
#include "model_loading.hpp"
#include "report.hpp"
#include "snngx/io/files.hpp"
#include "snngx/crypto/aes_baseline.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/crypto/xor_key.hpp"
#include "snngx/io/output_files.hpp"
#include "snngx/snn/model_file.hpp"

namespace snngx::app {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// ---- helpers -----------------------------------------------------------------------------------

std::string percent(double share) { return fmt::format("{:.6g} %", 100.0 * share); }

std::string kdf_description(const crypto::KdfParams& k) {
  switch (k.kind) {
    case crypto::KdfKind::DeviceKeyHkdf: return "device key (HKDF-SHA256)";
    case crypto::KdfKind::Scrypt: {
      const std::uint64_t memory = 128ull * k.scrypt_r * (std::uint64_t{1} << k.scrypt_log2_n);
      return fmt::format("passphrase, scrypt N = 2^{}, r = {}, p = {} ({} of memory)", k.scrypt_log2_n, k.scrypt_r, k.scrypt_p,
                         memory >= (1u << 20) ? fmt::format("{} MiB", memory >> 20)
                         : memory >= (1u << 10) ? fmt::format("{} KiB", memory >> 10)
                                                : fmt::format("{} bytes", memory));
    }
    case crypto::KdfKind::Pbkdf2Sha256: return fmt::format("passphrase, PBKDF2-HMAC-SHA256, {} iterations", k.pbkdf2_iterations);
  }
  return "unknown";
}

Json kdf_json(const crypto::KdfParams& k) {
  Json j{{"name", crypto::to_string(k.kind)}};
  if (k.kind == crypto::KdfKind::Scrypt) {
    j["log2_n"] = k.scrypt_log2_n;
    j["n"] = std::uint64_t{1} << k.scrypt_log2_n;
    j["r"] = k.scrypt_r;
    j["p"] = k.scrypt_p;
    j["memory_bytes"] = 128ull * k.scrypt_r * (std::uint64_t{1} << k.scrypt_log2_n);
  } else if (k.kind == crypto::KdfKind::Pbkdf2Sha256) {
    j["iterations"] = k.pbkdf2_iterations;
  }
  return j;
}

double share(std::uint64_t part, std::uint64_t whole) { return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0; }

Json header_json(const crypto::KeyHeader& h, const std::string& path) {
  Json layers = Json::array();
  for (const auto& l : h.layers)
    layers.push_back({{"layer", l.layer},
                      {"bits_per_weight", l.bits_per_weight},
                      {"total_bits", l.total_bits},
                      {"flipped_bits", l.flipped_bits},
                      {"share", share(l.flipped_bits, l.total_bits)}});
  return Json{{"file", path},
              {"format", "snngx-key"},
              {"version", fmt::format("{}.{}", h.version_major, h.version_minor)},
              {"model_fingerprint", h.model_fingerprint},
              {"key_fingerprint", h.fingerprint},
              {"secret", h.kdf.kind == crypto::KdfKind::DeviceKeyHkdf ? "device-key" : "passphrase"},
              {"kdf", kdf_json(h.kdf)},
              {"salt", crypto::to_hex(h.salt)},
              {"nonce", crypto::to_hex(h.nonce)},
              {"cipher", "AES-256-GCM"},
              {"header_bytes", h.header_bytes},
              {"payload_bytes", h.payload_bytes},
              {"file_bytes", h.header_bytes + h.payload_bytes + crypto::kGcmTagBytes},
              {"layers", layers},
              {"flipped_bits", h.flipped_bits()},
              {"total_bits", h.total_bits()},
              {"share", share(h.flipped_bits(), h.total_bits())}};
}

void print_layer_table(const crypto::KeyHeader& h) {
  fmt::print("{:>6} {:>3} {:>13} {:>14} {:>14}\n", "layer", "q", "flipped bits", "of bits", "share");
  for (const auto& l : h.layers)
    fmt::print("{:>6} {:>3} {:>13} {:>14} {:>14}\n", l.layer, l.bits_per_weight, l.flipped_bits, l.total_bits,
               percent(share(l.flipped_bits, l.total_bits)));
  fmt::print("{:>6} {:>3} {:>13} {:>14} {:>14}\n", "total", "", h.flipped_bits(), h.total_bits(), percent(share(h.flipped_bits(), h.total_bits())));
}

std::string read_text(const std::string& path) { return io::read_file_text(path, "file"); }

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// A file only its owner can read, written atomically (it holds a key in the clear).
void write_secret_text(const fs::path& path, const std::string& text) { io::write_text_atomically(path, text, /*owner_only=*/true); }

snn::Network load_encrypted(const std::string& path) {
  snn::Network net = snn::load_model(path);
  if (net.state != snn::ModelState::Encrypted)
    throw std::runtime_error(path + ": not an encrypted model (state " + snn::to_string(net.state) + ")");
  return net;
}

// ---- key info ----------------------------------------------------------------------------------

struct InfoOptions {
  std::string key;
  bool json = false;
};

void run_info(const InfoOptions& o) {
  const crypto::KeyHeader h = crypto::read_key_header(o.key);
  if (o.json) {
    fmt::print("{}\n", header_json(h, o.key).dump(2));
    return;
  }
  fmt::print("key file         {} ({} bytes)\n", o.key, h.header_bytes + h.payload_bytes + crypto::kGcmTagBytes);
  fmt::print("format           snngx key file {}.{}, payload AES-256-GCM ({} bytes + {}-byte tag)\n", h.version_major, h.version_minor,
             h.payload_bytes, crypto::kGcmTagBytes);
  fmt::print("model            {} (SHA-256 of the encrypted model's weight_bits)\n", h.model_fingerprint);
  fmt::print("key fingerprint  {} (the model's key_fingerprint)\n", h.fingerprint);
  fmt::print("secret           {}\n", kdf_description(h.kdf));
  fmt::print("salt             {}\nnonce            {}\n", crypto::to_hex(h.salt), crypto::to_hex(h.nonce));
  print_layer_table(h);
}

// ---- key verify --------------------------------------------------------------------------------

struct VerifyOptions {
  std::string key, model, plain;
  SecretSource secret;
};

void run_verify(const VerifyOptions& o) {
  const snn::Network stored = load_encrypted(o.model);
  crypto::XorKey key = unseal_key_for_model({o.model, o.key, o.secret.passphrase_file, o.secret.device_key}, stored).key;
  snn::Network decrypted = stored;
  keyed::decrypt(decrypted, key);
  const crypto::KeyStats stats = crypto::key_stats(key);
  crypto::wipe(key);
  if (!o.plain.empty()) {
    const snn::Network plain = snn::load_model(o.plain);
    if (plain.num_weighted() != decrypted.num_weighted())
      throw std::runtime_error(o.plain + ": has " + std::to_string(plain.num_weighted()) + " weighted layers, the decrypted model " +
                               std::to_string(decrypted.num_weighted()));
    for (std::size_t l = 0; l < plain.num_weighted(); ++l)
      if (!plain.weights(l).quant || plain.weights(l).quant->weight_bits != decrypted.weights(l).quant->weight_bits)
        throw std::runtime_error(o.plain + ": weighted layer " + std::to_string(l) + " differs from " + o.model + " decrypted with " + o.key);
  }
  fmt::print("{}: ok: unlocks {} ({} flipped bits of {}, {}; {} weighted layers{})\n", o.key, o.model, stats.flipped_bits, stats.total_bits,
             percent(stats.share()), stats.layers.size(), o.plain.empty() ? "" : "; decrypted model equals " + o.plain + " bit for bit");
}

// ---- key unseal --------------------------------------------------------------------------------

struct UnsealOptions {
  std::string key, output, model;
  SecretSource secret;
};

void run_unseal(const UnsealOptions& o) {
  check_outputs({{"-o", o.output}}, {{"key", o.key}, {"--model", o.model}, {"--passphrase-file", o.secret.passphrase_file},
                                     {"--device-key", o.secret.device_key}});
  const crypto::KeyHeader h = crypto::read_key_header(o.key);
  if (!o.model.empty()) {  // refuse a key of another model before asking for any secret
    const snn::Network stored = load_encrypted(o.model);
    crypto::check_key_matches_model(h, o.key, keyed::layer_bits(stored), stored.key_fingerprint);
  }
  const crypto::KeySecret secret = obtain_key_secret(o.secret, o.key, SecretUse::Unseal);
  crypto::PlainKey plain{h.model_fingerprint, crypto::unseal_key(o.key, secret)};
  std::string text = crypto::to_plain_json(plain);
  crypto::wipe(plain.key);
  write_secret_text(o.output, text);
  wipe(text);
  fmt::print(stderr, "snngx: note: {} holds the key in the clear (owner-only file); delete it when done\n", o.output);
}

// ---- key seal ----------------------------------------------------------------------------------

struct SealOptions {
  std::string plain, output, model, model_out;
  SecretSource secret;
  KdfOptions kdf;
};

void run_seal(const SealOptions& o) {
  // --model is rewritten in place unless --model-out is given: only the key may not overwrite it.
  check_outputs({{"-o", o.output}}, {{"--model", o.model}});
  check_outputs({{"-o", o.output}, {"--model-out", o.model_out}},
                {{"plain", o.plain}, {"--passphrase-file", o.secret.passphrase_file}, {"--device-key", o.secret.device_key}});
  const crypto::KdfParams kdf = o.kdf.params();
  std::string text = read_text(o.plain);
  crypto::PlainKey plain;
  try {
    plain = crypto::parse_plain_json(text, o.plain);
  } catch (...) {
    wipe(text);
    throw;
  }
  wipe(text);
  snn::Network model = load_encrypted(o.model);
  // The key must belong to this model: its weight_bits hash and every layer's size and q.
  crypto::KeyHeader expected;
  expected.model_fingerprint = plain.model_fingerprint;
  expected.fingerprint = model.key_fingerprint;
  for (const auto& l : plain.key.layers) expected.layers.push_back({l.layer, l.bits_per_weight, l.total_bits, l.positions.size()});
  crypto::check_key_matches_model(expected, o.plain, keyed::layer_bits(model), model.key_fingerprint);

  const crypto::KeySecret secret = obtain_key_secret(o.secret, o.output, SecretUse::Seal);
  // The key and the model bound to it: both or neither (a model whose key_fingerprint names a
  // key that was never written could not be decrypted).
  io::StagedOutputs staged;
  const std::string fp = keyed::seal_for_model(model, plain.key, staged.stage(o.output), secret, kdf);
  crypto::wipe(plain.key);
  const std::string model_out = o.model_out.empty() ? o.model : o.model_out;
  snn::save_model(staged.stage(model_out), model);
  staged.commit();
  fmt::print("sealed {} ({}) for {}; its key_fingerprint is now {}\n", o.output, kdf_description(kdf), model_out, fp);
}

// ---- baseline-aes ------------------------------------------------------------------------------

struct BaselineOptions {
  std::string model, key, json_path, mode = "ctr";
  int key_bits = 256;
  std::vector<int> threads = {1, 2};
  double min_seconds = 0.5;
  bool json = false;
};

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  return "unknown CPU";
}

// The 1-minute load average: throughput measured on a busy machine says so.
double load_average() {
  std::ifstream in("/proc/loadavg");
  double one_minute = 0;
  in >> one_minute;
  return one_minute;
}

void run_baseline(const BaselineOptions& o) {
  check_outputs({{"--json-out", o.json_path}}, {{"--model", o.model}, {"--key", o.key}});
  const snn::Network net = snn::load_model(o.model);
  if (net.state == snn::ModelState::Float)
    throw std::invalid_argument(o.model + ": baseline-aes needs a quantized or encrypted model (its 8-bit weight_bits are what the "
                                "accelerator stores); run `snngx model quantize` first");
  const auto layers = keyed::layer_bits(net);
  std::vector<std::span<const std::uint8_t>> bytes;
  std::vector<std::uint64_t> sizes;
  for (const auto& l : layers) {
    bytes.push_back(l.weight_bits);
    sizes.push_back(l.weight_bits.size());
  }
  crypto::AesBaselineOptions ao;
  ao.mode = crypto::parse_aes_mode(o.mode);
  ao.key_bits = o.key_bits;
  ao.min_seconds = o.min_seconds;
  const crypto::AesBlockCounts blocks = crypto::aes_block_counts(sizes, ao.mode);

  Json per_layer = Json::array();
  for (std::size_t l = 0; l < sizes.size(); ++l)
    per_layer.push_back({{"layer", l}, {"weight_bytes", sizes[l]}, {"aes_blocks", crypto::aes_blocks_for_bytes(sizes[l], ao.mode)}});
  Json runs = Json::array();
  std::uint64_t total_bytes = 0;
  for (const auto s : sizes) total_bytes += s;
  for (const int t : o.threads) {
    ao.threads = t;
    const crypto::AesBaselineResult r = crypto::run_aes_baseline(bytes, ao);
    runs.push_back({{"threads", t},
                    {"encrypt_mb_per_s", r.encrypt_mb_per_s},
                    {"decrypt_mb_per_s", r.decrypt_mb_per_s},
                    {"repetitions", r.repetitions},
                    {"round_trip_ok", r.round_trip_ok}});
  }
  Json j{{"model", o.model},
         {"arch", net.arch},
         {"state", snn::to_string(net.state)},
         {"cipher", fmt::format("AES-{}-{}", o.key_bits, o.mode == "ctr" ? "CTR" : "GCM")},
         {"mode", o.mode},
         {"key_bits", o.key_bits},
         {"messages", "one per weighted layer"},
         {"weight_bytes", total_bytes},
         {"layers", per_layer},
         {"aes_blocks_per_model_load", blocks.per_model_load},
         {"aes_blocks_per_inference", blocks.per_inference},
         {"per_inference_assumption", "weights stay encrypted at rest and are decrypted before each inference that uses them"},
         {"round_trip_ok", true},
         {"throughput", runs},
         {"machine", {{"cpu", cpu_name()}, {"hardware_threads", std::thread::hardware_concurrency()}, {"openssl", OPENSSL_VERSION_TEXT}, {"load_average", load_average()}}}};
  if (!o.key.empty()) {  // SNNGX's side of the comparison, from the public header alone
    const crypto::KeyHeader h = crypto::read_key_header(o.key);
    crypto::check_key_matches_model(h, o.key, layers, net.key_fingerprint);
    j["snngx_key"] = {{"file", o.key},
                      {"flipped_bits", h.flipped_bits()},
                      {"aes_blocks_per_flipped_bit", h.flipped_bits() ? static_cast<double>(blocks.per_model_load) / static_cast<double>(h.flipped_bits()) : 0.0}};
  }
  if (!o.json_path.empty()) write_text_atomically(o.json_path, j.dump(2) + "\n");
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("full-weight AES baseline: {} ({}, {} weighted layers, {} weight bytes)\n", o.model, net.arch, sizes.size(), total_bytes);
  fmt::print("{}, one message per layer, round trip verified\n", j["cipher"].get<std::string>());
  fmt::print("AES blocks per model load {}, per inference {} (weights encrypted at rest)\n", blocks.per_model_load, blocks.per_inference);
  if (j.contains("snngx_key"))
    fmt::print("SNNGX key {}: {} flipped bits ({:.1f} AES blocks per flipped bit)\n", o.key, j["snngx_key"]["flipped_bits"].get<std::uint64_t>(),
               j["snngx_key"]["aes_blocks_per_flipped_bit"].get<double>());
  fmt::print("{:>8} {:>14} {:>14} {:>12}\n", "threads", "encrypt MB/s", "decrypt MB/s", "repetitions");
  for (const auto& r : runs)
    fmt::print("{:>8} {:>14.1f} {:>14.1f} {:>12}\n", r["threads"].get<int>(), r["encrypt_mb_per_s"].get<double>(),
               r["decrypt_mb_per_s"].get<double>(), r["repetitions"].get<int>());
  fmt::print("machine: {}, {} hardware threads, load average {:.1f}, {}\n", cpu_name(), std::thread::hardware_concurrency(),
             j["machine"]["load_average"].get<double>(), OPENSSL_VERSION_TEXT);
}

}  // namespace

void add_key_commands(CLI::App& app) {
  auto* key = app.add_subcommand("key", "Sealed key files: inspect, verify, unseal to / seal from the plain JSON form");
  key->require_subcommand(1);

  auto info = std::make_shared<InfoOptions>();
  auto* i = key->add_subcommand("info", "Print a key file's public header (no secret needed)");
  i->add_option("key", info->key, "key file")->required()->check(CLI::ExistingFile);
  i->add_flag("--json", info->json, "print the header as JSON");
  i->callback([info] { run_info(*info); });

  auto verify = std::make_shared<VerifyOptions>();
  auto* v = key->add_subcommand("verify", "Check that a key file belongs to an encrypted model and that the secret unseals it");
  v->add_option("key", verify->key, "key file")->required()->check(CLI::ExistingFile);
  v->add_option("--model", verify->model, "the encrypted model (*.snn.h5)")->required()->check(CLI::ExistingFile);
  v->add_option("--plain", verify->plain, "also check that the decrypted model equals this plain model bit for bit")->check(CLI::ExistingFile);
  add_secret_options(*v, verify->secret);
  v->callback([verify] { run_verify(*verify); });

  auto unseal = std::make_shared<UnsealOptions>();
  auto* u = key->add_subcommand("unseal", "Write a key in the clear (plain JSON, owner-only file), e.g. to re-seal it with another secret");
  u->add_option("key", unseal->key, "key file")->required()->check(CLI::ExistingFile);
  u->add_option("-o,--output", unseal->output, "plain key to write (JSON)")->required();
  u->add_option("--model", unseal->model, "first check that the key belongs to this encrypted model")->check(CLI::ExistingFile);
  add_secret_options(*u, unseal->secret);
  u->callback([unseal] { run_unseal(*unseal); });

  auto seal = std::make_shared<SealOptions>();
  auto* s = key->add_subcommand("seal", "Seal a plain JSON key for its encrypted model and rebind the model to the new key file");
  s->add_option("plain", seal->plain, "plain key (JSON, as written by `key unseal`)")->required()->check(CLI::ExistingFile);
  s->add_option("-o,--output", seal->output, "sealed key file to write")->required();
  s->add_option("--model", seal->model, "the encrypted model the key belongs to; its key_fingerprint is updated")->required()->check(CLI::ExistingFile);
  s->add_option("--model-out", seal->model_out, "write the rebound model here instead of updating --model in place");
  add_secret_options(*s, seal->secret);
  add_kdf_options(*s, seal->kdf);
  s->callback([seal] { run_seal(*seal); });

  auto base = std::make_shared<BaselineOptions>();
  auto* b = app.add_subcommand("baseline-aes",
                               "Full-weight AES baseline: encrypt every weight byte, verify the round trip, MB/s, AES blocks per load and inference");
  b->add_option("--model", base->model, "quantized or encrypted model (*.snn.h5)")->required()->check(CLI::ExistingFile);
  b->add_option("--mode", base->mode, "AES mode: ctr (default) | gcm")->check(CLI::IsMember({"ctr", "gcm"}));
  b->add_option("--key-bits", base->key_bits, "AES key size: 128 | 256 (default)")->check(CLI::IsMember({128, 256}));
  b->add_option("--threads", base->threads, "thread counts to measure (default 1,2)")->delimiter(',')->check(CLI::Range(1, 256));
  b->add_option("--min-seconds", base->min_seconds, "repeat each timed pass for at least this long (default 0.5)")->check(bounded(0.0, 600.0));
  b->add_option("--key", base->key, "the model's SNNGX key file: report its flipped bits alongside (public header only)")->check(CLI::ExistingFile);
  b->add_option("--json-out", base->json_path, "also write the report as JSON to this file");
  b->add_flag("--json", base->json, "print the report as JSON");
  b->callback([base] { run_baseline(*base); });
}

}  // namespace snngx::app
