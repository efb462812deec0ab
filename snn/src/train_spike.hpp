#pragma once
// The forward spike functions shared by both BPTT paths (train_gradients.cpp, train_general.cpp).
#include <algorithm>
#include <cmath>

#include "snngx/snn/train.hpp"

namespace snngx::snn::detail {

inline constexpr float kFastSigmoidSlope = 2.0f / kSurrogateAlpha;  // same peak and area as the rectangle

inline float spike_of(float v, float threshold, SpikeFunction fn) {
  const float x = v - threshold;
  switch (fn) {
    case SpikeFunction::Heaviside: return v > threshold ? 1.0f : 0.0f;
    case SpikeFunction::Ramp: return std::clamp(x / kSurrogateAlpha + 0.5f, 0.0f, 1.0f);
    case SpikeFunction::SoftSign: return 0.5f + 0.5f * kFastSigmoidSlope * x / (1.0f + kFastSigmoidSlope * std::fabs(x));
  }
  return 0.0f;
}

/// Forward + BPTT of any network the general path handles (every layer kind: biases, Neuron layers
/// with recurrence and CubaLIF synapses, sum/avg pooling, scale), one sample at a time, summed in
/// sample order within fixed chunks and then in chunk order. Fills `out` like the reference path
/// (weight and bias gradients per weighted layer).
void general_gradients(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> indices,
                       const GradientOptions& options, Gradients& out);

}  // namespace snngx::snn::detail
