#pragma once
// Forward-Euler coefficients of a Neuron layer (docs/formats.md), one value per neuron, computed in
// double precision and stored as float32. The inference engines and the general training path
// both use these, so that training runs exactly the dynamics inference runs:
//   i = syn_decay * i + syn_gain * x            (CubaLIF only; x becomes i)
//   v = decay * reset(v) + gain * x + leak
//   s = v > threshold                           (spiking models; others output v)
#include <cstddef>
#include <vector>

#include "snngx/snn/network.hpp"

namespace snngx::snn::detail {

struct NeuronCoefficients {
  bool spiking = true, cuba = false;
  ResetMode reset = ResetMode::Zero;
  std::vector<float> decay, gain, leak, threshold, v_reset, syn_decay, syn_gain;
};

NeuronCoefficients neuron_coefficients(const Neuron& n, std::size_t count);

}  // namespace snngx::snn::detail
