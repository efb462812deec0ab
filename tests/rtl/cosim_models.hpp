#pragma once
// The small quantized model and key of the RTL co-simulation tests.
#include <cstdint>

#include "snngx/crypto/xor_key.hpp"
#include "snngx/keyed/model_key.hpp"
#include "snngx/snn/network.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::rtl::testing_models {

// conv 2->4 3x3 pad 1 on 4x4, LIF, flatten, linear 64->4, LIF.
inline snn::Network small_plain_model() {
  snn::Network net;
  net.arch = "rtl-test";
  net.time_steps = 4;
  net.input_shape = {2, 4, 4};
  net.num_classes = 4;
  snn::Conv2d conv;
  conv.in_channels = 2;
  conv.out_channels = 4;
  conv.kernel = {3, 3};
  conv.padding = {1, 1};
  conv.weight.shape = {4, 2, 3, 3};
  conv.weight.values.assign(72, 0.0f);
  snn::Linear fc;
  fc.in_features = 64;
  fc.out_features = 4;
  fc.weight.shape = {4, 64};
  fc.weight.values.assign(256, 0.0f);
  net.layers = {conv, snn::Lif{}, snn::Flatten{}, fc, snn::Lif{}};
  snn::init_weights(net, 5);
  return snn::quantize(net, 8, snn::QuantRule::MaxAbs);
}

// Flips the sign bit of every weight whose magnitude is at least `min_mag` (the weights that matter).
inline crypto::XorKey strong_weight_key(const snn::Network& net, int min_mag) {
  crypto::XorKey key;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) {
    const auto& bits = net.weights(l).quant->weight_bits;
    crypto::LayerKey lk;
    lk.layer = static_cast<std::uint32_t>(l);
    lk.bits_per_weight = 8;
    lk.total_bits = bits.size() * 8;
    for (std::size_t k = 0; k < bits.size(); ++k)
      if ((bits[k] & 0x7F) >= min_mag) lk.positions.push_back(k * 8);
    key.layers.push_back(lk);
  }
  return key;
}

inline snn::Network encrypt(snn::Network net, const crypto::XorKey& key) {
  for (const auto& lk : key.layers) {
    auto& w = net.weights(lk.layer);
    keyed::apply_layer(lk, w.quant->weight_bits);
    snn::dequantize_into(w);
  }
  net.state = snn::ModelState::Encrypted;
  return net;
}

}  // namespace snngx::rtl::testing_models
