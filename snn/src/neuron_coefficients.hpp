#pragma once
// The engines' name for the public forward-Euler coefficients (snngx/snn/neuron_coefficients.hpp).
#include "snngx/snn/neuron_coefficients.hpp"

namespace snngx::snn::detail {

using snn::NeuronCoefficients;
using snn::neuron_coefficients;

}  // namespace snngx::snn::detail
