#pragma once
// Forward-Euler coefficients of a Neuron layer (docs/formats.md), one value per neuron, computed in
// double precision and stored as float32. The inference engines, the general training path and
// the accelerator's neuron units (rram) all use these, so that every one of them runs exactly the
// dynamics inference runs:
//   i = syn_decay * i + syn_gain * x            (CubaLIF only; x becomes i)
//   v = decay * reset(v) + gain * x + leak
//   s = v > threshold                           (spiking models; others output v)
#include <cstddef>
#include <vector>

#include "snngx/snn/network.hpp"

namespace snngx::snn {

struct NeuronCoefficients {
  bool spiking = true, cuba = false;
  ResetMode reset = ResetMode::Zero;
  std::vector<float> decay, gain, leak, threshold, v_reset, syn_decay, syn_gain;
};

/// The coefficients of the first `count` neurons of `n`.
NeuronCoefficients neuron_coefficients(const Neuron& n, std::size_t count);

}  // namespace snngx::snn
