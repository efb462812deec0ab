// The XOR key contract (spec §3 bit layout, §5): which stored bit each position flips, the
// involution, validation, statistics and the plain JSON form.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <random>
#include <set>

#include "snngx/crypto/xor_key.hpp"

namespace snngx::crypto {
namespace {

LayerKey layer_key(std::uint32_t layer, int q, std::uint64_t weights, std::vector<std::uint64_t> positions) {
  return LayerKey{layer, q, weights * static_cast<std::uint64_t>(q), std::move(positions)};
}

// Random key over `weights` weights of q bits with about `density` of the bits set; fixed seed.
LayerKey random_layer_key(std::mt19937_64& rng, std::uint32_t layer, int q, std::uint64_t weights, double density) {
  LayerKey k = layer_key(layer, q, weights, {});
  std::bernoulli_distribution pick(density);
  for (std::uint64_t p = 0; p < k.total_bits; ++p)
    if (pick(rng)) k.positions.push_back(p);
  return k;
}

TEST(XorKey, ValidateRejectsUnsortedDuplicateAndOutOfRange) {
  EXPECT_NO_THROW((XorKey{{layer_key(0, 8, 2, {0, 3, 15})}}.validate()));
  EXPECT_THROW((XorKey{{layer_key(0, 8, 2, {3, 0})}}.validate()), std::invalid_argument);
  EXPECT_THROW((XorKey{{layer_key(0, 8, 2, {3, 3})}}.validate()), std::invalid_argument);
  EXPECT_THROW((XorKey{{layer_key(0, 8, 2, {16})}}.validate()), std::invalid_argument);
  EXPECT_THROW((XorKey{{layer_key(0, 9, 2, {})}}.validate()), std::invalid_argument);
  EXPECT_THROW((XorKey{{layer_key(1, 8, 2, {}), layer_key(0, 8, 2, {})}}.validate()), std::invalid_argument);
}

TEST(XorKey, StatisticsCountBitsAndSignBits) {
  const XorKey key{{layer_key(0, 8, 10, {0, 8, 9, 79}), layer_key(2, 4, 5, {4})}};
  const KeyStats s = key_stats(key);
  ASSERT_EQ(s.layers.size(), 2u);
  EXPECT_EQ(s.layers[0].flipped_bits, 4u);
  EXPECT_EQ(s.layers[0].flipped_sign_bits, 2u);  // positions 0 and 8
  EXPECT_DOUBLE_EQ(s.layers[0].share(), 4.0 / 80.0);
  EXPECT_EQ(s.layers[1].layer, 2u);
  EXPECT_EQ(s.layers[1].flipped_sign_bits, 1u);  // 4 = weight 1, b = 0
  EXPECT_EQ(s.total_bits, 100u);
  EXPECT_EQ(s.flipped_bits, 5u);
  EXPECT_EQ(key.flipped_bits(), 5u);
  EXPECT_EQ(key.total_bits(), 100u);
  EXPECT_DOUBLE_EQ(s.share(), 0.05);
}

TEST(PlainKeyJson, RoundTrips) {
  std::mt19937_64 rng(3);
  PlainKey p{std::string(64, 'a'), XorKey{{random_layer_key(rng, 0, 8, 40, 0.05), layer_key(1, 8, 3, {}), random_layer_key(rng, 3, 6, 20, 0.2)}}};
  const PlainKey back = parse_plain_json(to_plain_json(p), "k.json");
  EXPECT_EQ(back.model_fingerprint, p.model_fingerprint);
  ASSERT_EQ(back.key.layers.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back.key.layers[i].layer, p.key.layers[i].layer);
    EXPECT_EQ(back.key.layers[i].bits_per_weight, p.key.layers[i].bits_per_weight);
    EXPECT_EQ(back.key.layers[i].total_bits, p.key.layers[i].total_bits);
    EXPECT_EQ(back.key.layers[i].positions, p.key.layers[i].positions);
  }
}

TEST(PlainKeyJson, ErrorsNameTheFileAndProblem) {
  auto message = [](const std::string& text) {
    try {
      (void)parse_plain_json(text, "plain.json");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{").find("plain.json: "), std::string::npos);
  EXPECT_NE(message(R"({"format":"other"})").find("snngx-xor-key"), std::string::npos);
  EXPECT_NE(message(R"({"format":"snngx-xor-key","version":1,"model_fingerprint":"00","layers":[)"
                    R"({"layer":0,"bits_per_weight":8,"total_bits":16,"positions":[5,2]}]})")
                .find("not sorted"),
            std::string::npos);
}

}  // namespace
}  // namespace snngx::crypto
