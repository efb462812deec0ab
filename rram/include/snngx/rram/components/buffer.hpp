#pragma once
// Spike buffers between layers (config key `buffer`; built-in "sram"): the input buffer holds the
// first layer's event counts, the others one bit per spike. Energy is per bit moved (bits() x the
// technology's buffer_energy_pj_per_bit); max-pooling (OR) and flatten happen on the write path.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

class ISpikeBuffer {
 public:
  virtual ~ISpikeBuffer() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Bits moved to write or read `values` activations: `counts` = first-layer event counts,
  /// otherwise spikes.
  [[nodiscard]] virtual std::uint64_t bits(std::size_t values, bool counts) const = 0;
  /// Stores one activation (replacing the previous one) / loads it back (the clocked model's
  /// buffer memories; the fast mode passes activations directly and only counts bits).
  virtual void write(std::span<const float> values) = 0;
  virtual void read(std::vector<float>& out) const = 0;
};

template <>
struct ComponentTraits<ISpikeBuffer> : ComponentKind<"buffer"> {};
template <>
ImplRegistry<ISpikeBuffer>& registry<ISpikeBuffer>();

}  // namespace snngx::rram
