#pragma once
// A neuron layer with small, hand-checkable parameters (dt 1, tau 2, r 2, w_in 1.5, threshold
// 1) for the imported-network tests of the chip (tests/rram) and of the RTL co-simulation
// (tests/rtl): spikes within a few steps, in every neuron model and reset mode.
#include <cstddef>

#include "snngx/snn/network.hpp"

namespace snngx::testing {

inline snn::Neuron small_neuron_layer(snn::NeuronModel model, std::size_t n, snn::ResetMode reset) {
  snn::NeuronParams p;
  p.reset = reset;
  p.dt = 1.0;
  p.tau = 2.0f;
  p.tau_syn = 2.0f;
  p.r = 2.0f;
  p.w_in = 1.5f;
  p.v_threshold = 1.0f;
  return snn::make_neuron(model, n, p);
}

}  // namespace snngx::testing
