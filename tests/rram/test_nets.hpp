#pragma once
// Small networks, keys and chip configs shared by the accelerator tests.
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "snngx/crypto/xor_key.hpp"
#include "snngx/keyed/model_key.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/rram/config.hpp"
#include "snngx/snn/network.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::rram::testing {

inline void scale_weights(snn::Network& net, float factor) {
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    for (float& v : net.weights(l).values) v *= factor;
}

/// Input [2,6,6] -> Linear 72x40 -> LIF -> Linear 40x5 -> LIF, quantized to 8 bits.
inline snn::Network small_mlp(std::uint64_t seed, float gain = 3.0f) {
  snn::Network n;
  n.arch = "small-mlp";
  n.time_steps = 5;
  n.input_shape = {2, 6, 6};
  n.num_classes = 5;
  snn::Linear a{72, 40, {}}, b{40, 5, {}};
  a.weight.shape = {40, 72};
  b.weight.shape = {5, 40};
  n.layers = {snn::Flatten{}, a, snn::Lif{}, b, snn::Lif{}};
  for (std::size_t l = 0; l < n.num_weighted(); ++l) n.weights(l).values.assign(snn::numel(n.weights(l).shape), 0.0f);
  snn::init_weights(n, seed);
  scale_weights(n, gain);
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

/// Flatten -> one Linear (`weights` row-major [outputs, inputs]) -> LIF, quantized to 8 bits with
/// max_abs: the hand-computed nets of the timing and component tests.
inline snn::Network tiny_linear_net(int time_steps, std::vector<int> input_shape, int outputs, std::vector<float> weights) {
  snn::Network n;
  n.arch = "tiny";
  n.time_steps = time_steps;
  n.input_shape = std::move(input_shape);
  n.num_classes = outputs;
  const int inputs = static_cast<int>(weights.size()) / outputs;
  snn::Linear a{inputs, outputs, {}};
  a.weight.shape = {outputs, inputs};
  a.weight.values = std::move(weights);
  n.layers = {snn::Flatten{}, a, snn::Lif{}};
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

/// A small CSNN with stride, asymmetric kernels, padding and max-pooling, then a Linear head.
inline snn::Network small_csnn(std::uint64_t seed, float gain = 3.0f) {
  snn::Network n;
  n.arch = "small-csnn";
  n.time_steps = 4;
  n.input_shape = {2, 9, 11};
  n.num_classes = 5;
  snn::Conv2d c0{2, 6, {3, 2}, {2, 1}, {1, 0}, {}};
  c0.weight.shape = {6, 2, 3, 2};
  snn::Conv2d c1{6, 4, {2, 2}, {1, 2}, {1, 1}, {}};
  c1.weight.shape = {4, 6, 2, 2};
  n.layers = {c0, snn::Lif{}, c1, snn::Lif{}, snn::MaxPool2d{{2, 2}, {2, 2}}, snn::Flatten{}};
  const int flat = n.layer_output_shapes().back()[0];
  snn::Linear fc{flat, 5, {}};
  fc.weight.shape = {5, flat};
  n.layers.push_back(fc);
  n.layers.push_back(snn::Lif{});
  for (std::size_t l = 0; l < n.num_weighted(); ++l) n.weights(l).values.assign(snn::numel(n.weights(l).shape), 0.0f);
  snn::init_weights(n, seed);
  scale_weights(n, gain);
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

/// A reference architecture with random weights, quantized (gain makes it spike).
inline snn::Network reference_net(const std::string& arch, std::uint64_t seed, float gain) {
  snn::Network n = snn::make_arch(arch);
  snn::init_weights(n, seed);
  scale_weights(n, gain);
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

inline datasets::FrameSet frames_for(const snn::Network& net, std::size_t count, double density, std::uint64_t seed) {
  return datasets::synth_frames({net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]}, count,
                                density, net.num_classes, seed);
}

/// Small tiles so that the small nets span several row and column tiles (adder tree, lane groups).
inline ChipConfig small_tiles_config() {
  return ChipConfig::from_yaml_text(
      "crossbar: {rows: 16, columns: 35}\n"   // 5 logical columns per tile
      "adc: {columns_per_adc: 4}\n"
      "decryption_unit: {lanes: 2, engines: 64}\n"
      "lif: {units: 7}\n",
      "small-tiles");
}

/// A random key flipping `per_layer` sign bits (and, if `magnitude_bits`, a magnitude bit of
/// every third chosen weight) in every weighted layer.
inline crypto::XorKey random_key(const snn::Network& net, std::size_t per_layer, std::uint64_t seed,
                                 bool magnitude_bits = false) {
  crypto::XorKey key;
  std::mt19937_64 rng(seed);
  for (std::size_t l = 0; l < net.num_weighted(); ++l) {
    const auto& w = net.weights(l);
    crypto::LayerKey lk;
    lk.layer = static_cast<std::uint32_t>(l);
    lk.bits_per_weight = w.quant->bits;
    lk.total_bits = w.quant->weight_bits.size() * static_cast<std::uint64_t>(w.quant->bits);
    std::uniform_int_distribution<std::size_t> pick(0, w.quant->weight_bits.size() - 1);
    std::vector<std::uint64_t> pos;
    for (std::size_t i = 0; i < per_layer; ++i) {
      const std::uint64_t k = pick(rng);
      pos.push_back(k * 8);
      if (magnitude_bits && i % 3 == 0) pos.push_back(k * 8 + 1 + (i % 7));
    }
    std::sort(pos.begin(), pos.end());
    pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
    lk.positions = pos;
    key.layers.push_back(lk);
  }
  return key;
}

/// `net` with the key XORed into its weight bits (what the crossbars are programmed with).
inline snn::Network encrypt(const snn::Network& net, const crypto::XorKey& key) {
  snn::Network enc = net;
  for (const auto& lk : key.layers) {
    auto& w = enc.weights(lk.layer);
    keyed::apply_layer(lk, w.quant->weight_bits);
    snn::dequantize_into(w);
  }
  enc.state = snn::ModelState::Encrypted;
  return enc;
}

}  // namespace snngx::rram::testing
