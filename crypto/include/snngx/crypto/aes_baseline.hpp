#pragma once
// The conventional alternative SNNGX is compared with: encrypting EVERY weight byte with AES.
// Block counts (what an accelerator must decrypt) and a software throughput measurement.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace snngx::crypto {

enum class AesMode { Ctr, Gcm };
std::string to_string(AesMode mode);     // "ctr" | "gcm"
AesMode parse_aes_mode(const std::string& name);

/// AES block operations needed to decrypt one message of `bytes` bytes: ceil(bytes / 16) for
/// CTR; GCM adds one for the tag (E_K(J0)). An empty message needs 0 (CTR) or 1 (GCM).
std::uint64_t aes_blocks_for_bytes(std::uint64_t bytes, AesMode mode);
/// Sum over messages (one message per layer: each layer's weights are encrypted separately).
std::uint64_t aes_blocks_for_layers(std::span<const std::uint64_t> layer_bytes, AesMode mode);

/// What the full-weight AES baseline must decrypt, one AES message per weighted layer (the
/// numbers the accelerator model turns into the energy and latency of the comparison):
///  - per_model_load: every layer decrypted once by the on-chip AES engine before its crossbars
///    are programmed;
///  - per_inference: the same blocks again for every inference, when the weights stay encrypted
///    at rest (as SNNGX keeps them: no plain model is ever stored on the chip between uses) and
///    are decrypted before they are used. An accelerator that decrypts once and keeps plain
///    weights in its crossbars pays per_model_load once and 0 per inference, but a dump of its
///    crossbars then reveals the model.
struct AesBlockCounts {
  std::uint64_t per_model_load = 0;
  std::uint64_t per_inference = 0;
  bool operator==(const AesBlockCounts&) const = default;
};
/// `layer_weight_bytes`: the weight bytes of each weighted layer (q <= 8: one byte per weight).
AesBlockCounts aes_block_counts(std::span<const std::uint64_t> layer_weight_bytes, AesMode mode);
/// The whole model as one message of `weight_bytes` bytes.
AesBlockCounts aes_block_counts(std::uint64_t weight_bytes, AesMode mode);

struct AesBaselineOptions {
  AesMode mode = AesMode::Ctr;
  int key_bits = 256;          // 128 | 256
  int threads = 1;             // >= 1
  double min_seconds = 0.2;    // repeat the timed pass until at least this long
  std::uint64_t seed = 1;      // key and nonces are drawn from this (benchmark, not secrecy)
};

struct AesBaselineResult {
  AesMode mode = AesMode::Ctr;
  int key_bits = 256, threads = 1;
  std::uint64_t bytes = 0;            // weight bytes encrypted
  std::uint64_t blocks = 0;           // aes_blocks_for_layers of the layers (one message each)
  bool round_trip_ok = false;         // decrypt(encrypt(x)) == x for every layer (and GCM tags verify)
  double encrypt_mb_per_s = 0, decrypt_mb_per_s = 0;  // 1 MB = 10^6 bytes
  int repetitions = 0;
};

/// Encrypts every layer (one message per layer, split into `threads` contiguous block-aligned
/// chunks processed in parallel; for GCM each chunk is its own message with its own nonce and
/// tag), decrypts, checks the round trip and measures throughput. Throws on a round-trip failure.
AesBaselineResult run_aes_baseline(std::span<const std::span<const std::uint8_t>> layers, const AesBaselineOptions& options);

}  // namespace snngx::crypto
