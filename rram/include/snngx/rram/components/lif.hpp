#pragma once
// LIF units (config key `lif`; built-in "float32"): `units` neurons are updated per cycle from the
// neuron sums the adder tree delivers.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

/// The neurons of one weighted layer: neuron n = column * positions + position (channel-major for
/// Conv2d) takes the partial sum psum[position * columns + column], in weight steps of `scale`.
struct NeuronLayer {
  float scale = 1.0f, decay = 0.3f, threshold = 0.3f;
  std::size_t columns = 0, positions = 1;
};

class ILifUnit {
 public:
  virtual ~ILifUnit() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Neurons updated per cycle (per layer).
  [[nodiscard]] virtual int units() const = 0;
  /// One time step of neurons [begin, end): membranes v and spikes s in place (s is 1 or 0).
  virtual void step(const NeuronLayer& layer, std::span<const std::int64_t> psum, std::size_t begin, std::size_t end,
                    std::span<float> v, std::span<float> s) const = 0;
};

template <>
struct ComponentTraits<ILifUnit> : ComponentKind<"lif"> {};
template <>
ImplRegistry<ILifUnit>& registry<ILifUnit>();

}  // namespace snngx::rram
