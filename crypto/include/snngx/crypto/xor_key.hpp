#pragma once
// The SNNGX XOR key: per weighted layer, the sorted flat bit positions (k*q + b, b = 0 is the
// sign bit of weight k) whose stored bit is flipped. Applying the key XORs those bits of the
// layer's weight_bits; applying it twice restores the original (an involution). This library
// knows nothing of networks or of the weight byte layout: applying a key to a model is
// snngx/keyed/model_key.hpp.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace snngx::crypto {

struct LayerKey {
  std::uint32_t layer = 0;                 // weighted-layer index (conv0 = 0, ...)
  int bits_per_weight = 8;                 // q
  std::uint64_t total_bits = 0;            // weights in the layer * q
  std::vector<std::uint64_t> positions;    // sorted, unique, < total_bits
  /// Throws std::invalid_argument if q is outside 1..8 or positions are unsorted, duplicated or
  /// out of range.
  void validate() const;
};

struct XorKey {
  std::vector<LayerKey> layers;            // one entry per weighted layer of the model (may be empty)

  [[nodiscard]] std::uint64_t flipped_bits() const;
  [[nodiscard]] std::uint64_t total_bits() const;
  /// Throws std::invalid_argument if positions are unsorted, duplicated or out of range.
  void validate() const;
};

/// Overwrites the key's positions with OPENSSL_cleanse and empties them (the positions are the
/// secret). Call it when a key is no longer needed.
void wipe(XorKey& key) noexcept;

/// Key statistics: how many bits are flipped, of how many, and how many of them are sign bits.
struct LayerKeyStats {
  std::uint32_t layer = 0;
  int bits_per_weight = 8;
  std::uint64_t total_bits = 0, flipped_bits = 0, flipped_sign_bits = 0;
  [[nodiscard]] double share() const { return total_bits ? static_cast<double>(flipped_bits) / static_cast<double>(total_bits) : 0.0; }
};
struct KeyStats {
  std::vector<LayerKeyStats> layers;
  std::uint64_t total_bits = 0, flipped_bits = 0, flipped_sign_bits = 0;
  [[nodiscard]] double share() const { return total_bits ? static_cast<double>(flipped_bits) / static_cast<double>(total_bits) : 0.0; }
};
KeyStats key_stats(const XorKey& key);

/// The plain (unsealed) JSON form of a key, used by `snngx key seal|unseal`:
///   {"format": "snngx-xor-key", "version": 1, "model_fingerprint": "<hex>",
///    "layers": [{"layer": 0, "bits_per_weight": 8, "total_bits": N, "positions": [..]}, ...]}
/// Positions are absolute flat bit indices. Parsing validates the key; errors name `name`.
struct PlainKey {
  std::string model_fingerprint;
  XorKey key;
};
std::string to_plain_json(const PlainKey& plain);
PlainKey parse_plain_json(const std::string& text, const std::string& name);

}  // namespace snngx::crypto
