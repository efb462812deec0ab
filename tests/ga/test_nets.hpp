#pragma once
// Small random quantized networks and frames for the GA tests (both reference architectures'
// layer kinds, scaled down so that every test runs in milliseconds).
#include <cstdint>
#include <random>

#include "snngx/datasets/frames.hpp"
#include "snngx/ga/bit_vector.hpp"
#include "snngx/ga/genetic.hpp"
#include "snngx/snn/network.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::testing {

inline snn::Weights random_weights(std::vector<int> shape, std::mt19937_64& rng, float bound) {
  snn::Weights w;
  w.shape = std::move(shape);
  w.values.resize(snn::numel(w.shape));
  std::uniform_real_distribution<float> u(-bound, bound);
  for (auto& v : w.values) v = u(rng);
  return w;
}

/// Flatten, fc 24->16, LIF, fc 16->4, LIF on [2,3,4] inputs, T = 5, quantized to 8 bits.
inline snn::Network tiny_mlp(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  snn::Network n;
  n.arch = "test-mlp";
  n.time_steps = 5;
  n.input_shape = {2, 3, 4};
  n.num_classes = 4;
  n.layers = {snn::Flatten{}, snn::Linear{24, 16, random_weights({16, 24}, rng, 0.6f)}, snn::Lif{},
              snn::Linear{16, 4, random_weights({4, 16}, rng, 0.8f)}, snn::Lif{}};
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

/// conv 2->3 3x3 pad 1 (6x6), LIF, maxpool 2, conv 3->4 3x3 stride 2 pad 1 (3x3 -> 2x2), LIF,
/// flatten, fc 16->5, LIF; T = 4, quantized to 8 bits.
inline snn::Network tiny_csnn(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  snn::Network n;
  n.arch = "test-csnn";
  n.time_steps = 4;
  n.input_shape = {2, 6, 6};
  n.num_classes = 5;
  snn::Conv2d c0{2, 3, {3, 3}, {1, 1}, {1, 1}, random_weights({3, 2, 3, 3}, rng, 0.5f)};
  snn::Conv2d c1{3, 4, {3, 3}, {2, 2}, {1, 1}, random_weights({4, 3, 3, 3}, rng, 0.6f)};
  n.layers = {c0, snn::Lif{}, snn::MaxPool2d{}, c1, snn::Lif{}, snn::Flatten{},
              snn::Linear{16, 5, random_weights({5, 16}, rng, 0.8f)}, snn::Lif{}};
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

inline datasets::FrameSet frames_for(const snn::Network& net, std::size_t count, std::uint64_t seed) {
  const datasets::FrameShape shape{net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]};
  return datasets::synth_frames(shape, count, 0.3, net.num_classes, seed);
}

/// Each of n bits set with probability `density`, from the GA's own generator.
inline ga::BitVector random_flips(std::size_t n, double density, std::uint64_t seed) {
  ga::Rng rng(seed);
  ga::BitVector b(n);
  for (std::size_t i = 0; i < n; ++i)
    if (rng.uniform() < density) b.set(i);
  return b;
}

}  // namespace snngx::testing
