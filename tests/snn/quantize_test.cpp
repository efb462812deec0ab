// Quantization (spec §3): hand-computed cases for both rules, bit access, dequantization.
#include <gtest/gtest.h>

#include <cmath>

#include "snngx/snn/quantize.hpp"

namespace snngx::snn {
namespace {

TEST(Quantize, MaxAbsHandCase) {
  // m = 1.0 -> e = ceil(log2(1/127)) = ceil(-6.988) = -6, step = 1/64.
  const std::vector<float> w = {1.0f, -0.5f, 0.01f, -0.02f, 0.0f};
  const auto q = quantize_weights(w, 8, QuantRule::MaxAbs);
  EXPECT_EQ(q.exponent, -6);
  // |w|/step = 64, 32, 0.64, 1.28, 0 -> floor = 64, 32, 0, 1, 0
  EXPECT_EQ(q.weight_bits, (std::vector<std::uint8_t>{64, 0x80 | 32, 0, 0x80 | 1, 0}));
}

TEST(Quantize, MaxAbsUsesMagnitudeOfMostNegativeWeight) {
  // max|w| = 2.0 from the negative weight: e = ceil(log2(2/127)) = -5, step 1/32; -2.0 -> mag 64.
  const std::vector<float> w = {0.5f, -2.0f};
  const auto q = quantize_weights(w, 8, QuantRule::MaxAbs);
  EXPECT_EQ(q.exponent, -5);
  EXPECT_EQ(q.weight_bits, (std::vector<std::uint8_t>{16, 0x80 | 64}));
}

TEST(Quantize, MaxAbsSaturatesAtLargestMagnitude) {
  // m = 127 * 2^-4 exactly -> e = -4, step 1/16; 127/16 -> mag 127 (no saturation needed);
  // with q = 4: max_mag = 7, m = 7.9375 -> e = ceil(log2(1.1339)) = 1, step 2; 7.9375/2 = 3.97 -> 3.
  const std::vector<float> w = {7.9375f, -7.9375f};
  const auto q8 = quantize_weights(w, 8, QuantRule::MaxAbs);
  EXPECT_EQ(q8.exponent, -4);
  EXPECT_EQ(q8.weight_bits, (std::vector<std::uint8_t>{127, 0x80 | 127}));
  const auto q4 = quantize_weights(w, 4, QuantRule::MaxAbs);
  EXPECT_EQ(q4.exponent, 1);
  EXPECT_EQ(q4.weight_bits, (std::vector<std::uint8_t>{3, 0x80 | 3}));
}

TEST(Quantize, ReferenceRuleWrapsWhenNegativeDominates) {
  // m = max(w) = 0.5 -> e = ceil(log2(0.5/127)) = -7, step 1/128; -2.0 -> 256 mod 128 = 0 (wraps);
  // -1.5 -> 192 mod 128 = 64; 0.5 -> 64.
  const std::vector<float> w = {0.5f, -2.0f, -1.5f};
  const auto q = quantize_weights(w, 8, QuantRule::Reference);
  EXPECT_EQ(q.exponent, -7);
  EXPECT_EQ(q.weight_bits, (std::vector<std::uint8_t>{64, 0x80 | 0, 0x80 | 64}));
  // The default rule keeps them.
  const auto d = quantize_weights(w, 8, QuantRule::MaxAbs);
  EXPECT_EQ(d.exponent, -5);
  EXPECT_EQ(d.weight_bits, (std::vector<std::uint8_t>{16, 0x80 | 64, 0x80 | 48}));
}

TEST(Quantize, ReferenceRuleRefusesNonPositiveMaximum) {
  const std::vector<float> w = {-0.5f, -1.0f};
  EXPECT_THROW((void)quantize_weights(w, 8, QuantRule::Reference), std::invalid_argument);
}

TEST(Quantize, DequantizeIsSignTimesMagnitudeTimesStep) {
  EXPECT_EQ(dequantize(0x80 | 5, -3), -0.625f);
  EXPECT_EQ(dequantize(5, -3), 0.625f);
  EXPECT_EQ(dequantize(127, 0), 127.0f);
  EXPECT_EQ(dequantize(0x80, 2), 0.0f);
}

Network one_layer(const std::vector<float>& w) {
  Network net;
  net.arch = "tiny";
  net.time_steps = 1;
  net.input_shape = {static_cast<int>(w.size())};
  net.num_classes = 1;
  Linear fc{static_cast<int>(w.size()), 1, {}};
  fc.weight.shape = {1, static_cast<int>(w.size())};
  fc.weight.values = w;
  net.layers = {fc, Lif{}};
  return net;
}

TEST(Quantize, FlippingTheSignBitNegatesTheWeight) {
  Network net = quantize(one_layer({0.5f, -0.25f, 0.0f}), 8, QuantRule::MaxAbs);
  const std::vector<float> before = net.weights(0).values;
  for (std::size_t k = 0; k < 3; ++k) flip_bit(net, 0, k, 0);
  EXPECT_EQ(net.weights(0).values[0], -before[0]);
  EXPECT_EQ(net.weights(0).values[1], -before[1]);
  EXPECT_EQ(net.weights(0).values[2], 0.0f);  // zero magnitude: unchanged
  EXPECT_TRUE(get_bit(net, 0, 0, 0));
  flip_bit(net, 0, 0, 0);
  EXPECT_EQ(net.weights(0).values[0], before[0]);
}

TEST(Quantize, BitIndexZeroIsSignThenMagnitudeMostSignificantFirst) {
  EXPECT_EQ(byte_bit(0, 8), 7);
  EXPECT_EQ(byte_bit(1, 8), 6);
  EXPECT_EQ(byte_bit(7, 8), 0);
  EXPECT_EQ(byte_bit(0, 4), 7);
  EXPECT_EQ(byte_bit(1, 4), 2);  // q = 4: magnitude bits live in byte bits 2..0
  EXPECT_EQ(byte_bit(3, 4), 0);
  Network net = quantize(one_layer({1.0f}), 8, QuantRule::MaxAbs);  // mag 64 = 0b1000000
  EXPECT_TRUE(get_bit(net, 0, 0, 1));
  for (int b = 2; b < 8; ++b) EXPECT_FALSE(get_bit(net, 0, 0, b));
  flip_bit(net, 0, 0, 7);  // least significant magnitude bit -> 65
  EXPECT_EQ(net.weights(0).quant->weight_bits[0], 65);
  EXPECT_EQ(weight_bit_count(net), 8u);
}

TEST(Quantize, ReferenceNetworkBitCountsMatchSpec) {
  Network mlp = make_nmnist_mlp();
  init_weights(mlp, 1);
  const Network q = quantize(mlp, 8, QuantRule::MaxAbs);
  EXPECT_EQ(weight_bit_count(q, 0), 9469952u);
  EXPECT_EQ(weight_bit_count(q, 1), 40960u);
}

}  // namespace
}  // namespace snngx::snn
