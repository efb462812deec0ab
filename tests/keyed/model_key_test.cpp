// A model and its key (snngx/keyed/model_key.hpp): which stored bit each key position flips (spec
// section 3 bit layout), the involution, and encrypt / decrypt of whole networks against snn's
// own bit access (an independent path).
#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <stdexcept>

#include "snngx/keyed/model_key.hpp"
#include "snngx/snn/quantize.hpp"
#include "error_of.hpp"

namespace snngx::keyed {
namespace {

using crypto::LayerKey;
using crypto::XorKey;
using snngx::testing::error_of;

LayerKey layer_key(std::uint32_t layer, int q, std::uint64_t weights, std::vector<std::uint64_t> positions) {
  return LayerKey{layer, q, weights * static_cast<std::uint64_t>(q), std::move(positions)};
}

// Random key over `weights` weights of q bits with about `density` of the bits set.
LayerKey random_layer_key(std::mt19937_64& rng, std::uint32_t layer, int q, std::uint64_t weights, double density) {
  LayerKey k = layer_key(layer, q, weights, {});
  std::bernoulli_distribution pick(density);
  for (std::uint64_t p = 0; p < k.total_bits; ++p)
    if (pick(rng)) k.positions.push_back(p);
  return k;
}

// Two quantized Linear layers: 2x3 and 1x2, q = 8, weights k/8.
snn::Network tiny_net() {
  snn::Network n;
  n.arch = "tiny";
  n.input_shape = {1, 1, 3};
  n.num_classes = 1;
  snn::Linear a;
  a.in_features = 3;
  a.out_features = 2;
  a.weight.shape = {2, 3};
  a.weight.values = {0.125f, -0.25f, 0.5f, 0.75f, -0.375f, 0.0f};
  snn::Linear b;
  b.in_features = 2;
  b.out_features = 1;
  b.weight.shape = {1, 2};
  b.weight.values = {0.5f, -0.5f};
  n.layers = {snn::Flatten{}, a, snn::Lif{}, b, snn::Lif{}};
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

TEST(ApplyLayer, SignBitPositionFlipsByteBit7) {
  std::vector<std::uint8_t> w = {0x05, 0x85, 0x00};
  apply_layer(layer_key(0, 8, 3, {0, 8, 16}), w);  // b = 0 of weights 0, 1, 2
  EXPECT_EQ(w, (std::vector<std::uint8_t>{0x85, 0x05, 0x80}));
}


TEST(ApplyLayer, MagnitudeBitsCountFromMostSignificantForQ8) {
  std::vector<std::uint8_t> w = {0x00, 0x00};
  apply_layer(layer_key(0, 8, 2, {1, 15}), w);  // weight 0 bit 1 = m6 (byte bit 6); weight 1 bit 7 = m0 (byte bit 0)
  EXPECT_EQ(w, (std::vector<std::uint8_t>{0x40, 0x01}));
}


TEST(ApplyLayer, MagnitudeBitsForQ4UseLowByteBits) {
  // q = 4: [sign, m2, m1, m0] -> byte bits 7, 2, 1, 0. Positions 4..7 are weight 1.
  std::vector<std::uint8_t> w = {0x00, 0x00};
  apply_layer(layer_key(0, 4, 2, {1, 4, 7}), w);
  EXPECT_EQ(w, (std::vector<std::uint8_t>{0x04, 0x81}));
  EXPECT_EQ(snn::byte_bit(0, 4), 7);
  EXPECT_EQ(snn::byte_bit(1, 4), 2);
  EXPECT_EQ(snn::byte_bit(3, 4), 0);
  EXPECT_EQ(snn::byte_bit(1, 8), 6);
}


TEST(ApplyLayer, ApplyTwiceRestoresEveryByteRandomized) {
  std::mt19937_64 rng(70);
  for (int trial = 0; trial < 50; ++trial) {
    const int q = 1 + static_cast<int>(rng() % 8);
    const std::uint64_t n = 1 + rng() % 300;
    std::vector<std::uint8_t> plain(n);
    for (auto& b : plain) b = static_cast<std::uint8_t>(rng());
    const LayerKey k = random_layer_key(rng, 0, q, n, 0.1);
    auto w = plain;
    apply_layer(k, w);
    // Independent slow path: count the bits that changed and compare with the key size.
    std::uint64_t changed = 0;
    for (std::size_t i = 0; i < n; ++i) changed += static_cast<std::uint64_t>(std::popcount(static_cast<unsigned>(w[i] ^ plain[i])));
    EXPECT_EQ(changed, k.positions.size()) << "trial " << trial;
    apply_layer(k, w);
    EXPECT_EQ(w, plain) << "trial " << trial;
  }
}


TEST(ApplyLayer, ApplyRefusesKeyOfAnotherLayerSize) {
  std::vector<std::uint8_t> w(3);
  EXPECT_THROW(apply_layer(layer_key(0, 8, 4, {1}), w), std::invalid_argument);
  EXPECT_EQ(w, std::vector<std::uint8_t>(3, 0));  // untouched
}


TEST(ModelKey, EncryptEqualsSnnBitFlipsAndDecryptRestoresThePlainModel) {
  const snn::Network plain = tiny_net();
  const XorKey key{{layer_key(0, 8, 6, {0, 8 * 2 + 3, 8 * 4 + 0}), layer_key(1, 8, 2, {8})}};
  const snn::Network enc = encrypt(plain, key);
  EXPECT_EQ(enc.state, snn::ModelState::Encrypted);
  snn::Network slow = plain;  // the same flips through snn's own bit access
  snn::flip_bit(slow, 0, 0, 0);
  snn::flip_bit(slow, 0, 4, 0);
  snn::flip_bit(slow, 0, 2, 3);
  snn::flip_bit(slow, 1, 1, 0);
  for (std::size_t l = 0; l < 2; ++l) {
    EXPECT_EQ(enc.weights(l).quant->weight_bits, slow.weights(l).quant->weight_bits) << l;
    EXPECT_EQ(enc.weights(l).values, slow.weights(l).values) << l;
  }
  EXPECT_EQ(enc.weights(1).values[1], 0.5f);  // sign of -0.5 flipped
  snn::Network back = enc;
  decrypt(back, key);
  EXPECT_EQ(back.state, snn::ModelState::Quantized);
  EXPECT_TRUE(back.key_fingerprint.empty());
  for (std::size_t l = 0; l < 2; ++l) EXPECT_EQ(back.weights(l).values, plain.weights(l).values) << l;
}

TEST(ModelKey, KeysThatDoNotFitTheModelAreOneClearError) {
  snn::Network net = tiny_net();
  EXPECT_NE(error_of([&] { xor_into(net, XorKey{{layer_key(2, 8, 1, {})}}); }).find("key layer 2 does not exist (the model has 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] { xor_into(net, XorKey{{layer_key(1, 4, 2, {})}}); }).find("key layer 1 has q=4; the model's layer has q=8"),
            std::string::npos);
  EXPECT_NE(error_of([&] { xor_into(net, XorKey{{layer_key(0, 8, 5, {})}}); }).find("key covers 40 bits but the layer has 6 weights"),
            std::string::npos);
  EXPECT_THROW((void)encrypt(encrypt(net, XorKey{}), XorKey{}), std::invalid_argument);  // already encrypted
  EXPECT_EQ(layer_bits(net).size(), 2U);
  EXPECT_EQ(weights_fingerprint(net).size(), 64U);  // SHA-256 hex
}

}  // namespace
}  // namespace snngx::keyed
