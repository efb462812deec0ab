#pragma once
// The SNNGX XOR key: per weighted layer, the sorted flat bit positions (k*q + b, b = 0 is the
// sign bit of weight k) whose stored bit is flipped. Applying the key XORs those bits of the
// layer's weight_bits; applying it twice restores the original (an involution).
// This library knows nothing of networks: a layer is a span of weight bytes and its q.
#include <cstdint>
#include <span>
#include <vector>

namespace snngx::crypto {

struct LayerKey {
  std::uint32_t layer = 0;                 // weighted-layer index (conv0 = 0, ...)
  int bits_per_weight = 8;                 // q
  std::uint64_t total_bits = 0;            // weights in the layer * q
  std::vector<std::uint64_t> positions;    // sorted, unique, < total_bits
};

struct XorKey {
  std::vector<LayerKey> layers;            // one entry per weighted layer of the model (may be empty)

  [[nodiscard]] std::uint64_t flipped_bits() const;
  [[nodiscard]] std::uint64_t total_bits() const;
  /// Throws std::invalid_argument if positions are unsorted, duplicated or out of range.
  void validate() const;
};

/// XORs the key's bits into one layer's weight bytes (bit b of weight k is byte bit b==0 ? 7 : q-1-b).
/// Throws std::invalid_argument if the key does not fit the layer (size, q).
void apply(const LayerKey& key, std::span<std::uint8_t> weight_bits);

}  // namespace snngx::crypto
