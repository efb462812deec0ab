#pragma once
// LIF units (config key `lif`; built-in "float32"): `units` neurons are updated per cycle from the
// neuron sums the adder tree delivers. Besides the reference LIF (v = v*decay*(1-s) + I) a unit
// runs the imported networks' Neuron layers (IF, LIF, CubaLIF, LI, Integrator, Threshold with
// per-neuron forward-Euler coefficients, reset to v_reset or by subtraction), adds the layer's
// float32 bias in its digital datapath, and merges the sums of a recurrent layer's own-spike rows.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "snngx/rram/components/registry.hpp"
#include "snngx/snn/neuron_coefficients.hpp"

namespace snngx::rram {

/// A Neuron layer's dynamics (snn::neuron_coefficients, one value per neuron) and, when the layer
/// has recurrent weights, the scale and bias of their partial sums.
struct EulerNeuron {
  snn::NeuronCoefficients k;
  bool recurrent = false;
  float recurrent_scale = 1.0f;
  std::vector<float> recurrent_bias;  // empty or one per neuron
};

/// The neurons of one weighted layer: neuron n = column * positions + position (channel-major for
/// Conv2d) takes the partial sum psum[position * columns + column], in weight steps of `scale`,
/// plus bias[column] when the layer has a bias. Without `euler` the neurons are the reference LIF
/// (decay, threshold); with it they follow its coefficients.
struct NeuronLayer {
  float scale = 1.0f, decay = 0.3f, threshold = 0.3f;
  std::size_t columns = 0, positions = 1;
  std::vector<float> bias = {};
  std::optional<EulerNeuron> euler = std::nullopt;
};

/// A layer's neuron state: membranes v, outputs s (spikes 1/0, or the membrane of a non-spiking
/// model) and CubaLIF synaptic currents syn (empty otherwise).
struct NeuronState {
  std::span<float> v, s, syn = {};
};

class ILifUnit {
 public:
  virtual ~ILifUnit() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Neurons updated per cycle (per layer).
  [[nodiscard]] virtual int units() const = 0;
  /// One time step of neurons [begin, end) in place. `recurrent` holds the recurrent rows' sums
  /// (one per neuron, in recurrent weight steps) when layer.euler->recurrent, else it is empty.
  virtual void step(const NeuronLayer& layer, std::span<const std::int64_t> psum, std::span<const std::int64_t> recurrent,
                    std::size_t begin, std::size_t end, NeuronState state) const = 0;
  /// The reference LIF without recurrence (v and s in place).
  void step(const NeuronLayer& layer, std::span<const std::int64_t> psum, std::size_t begin, std::size_t end, std::span<float> v,
            std::span<float> s) const {
    step(layer, psum, {}, begin, end, NeuronState{v, s});
  }
};

template <>
struct ComponentTraits<ILifUnit> : ComponentKind<"lif"> {};
template <>
ImplRegistry<ILifUnit>& registry<ILifUnit>();

}  // namespace snngx::rram
