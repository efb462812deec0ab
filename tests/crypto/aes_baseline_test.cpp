// Full-weight AES baseline: block counts and the verified round trip at 1 and 2 threads.
#include <gtest/gtest.h>

#include <random>

#include "snngx/crypto/aes_baseline.hpp"

namespace snngx::crypto {
namespace {

TEST(AesBlocks, CeilOfSixteenBytesPlusOneForTheGcmTag) {
  EXPECT_EQ(aes_blocks_for_bytes(0, AesMode::Ctr), 0u);
  EXPECT_EQ(aes_blocks_for_bytes(0, AesMode::Gcm), 1u);
  EXPECT_EQ(aes_blocks_for_bytes(1, AesMode::Ctr), 1u);
  EXPECT_EQ(aes_blocks_for_bytes(16, AesMode::Ctr), 1u);
  EXPECT_EQ(aes_blocks_for_bytes(17, AesMode::Ctr), 2u);
  EXPECT_EQ(aes_blocks_for_bytes(17, AesMode::Gcm), 3u);
  // A 2312-200-10 MLP at q = 8: 462400 + 2000 bytes -> 28900 + 125 blocks.
  const std::vector<std::uint64_t> mlp = {2312 * 200, 200 * 10};
  EXPECT_EQ(aes_blocks_for_layers(mlp, AesMode::Ctr), 29025u);
  EXPECT_EQ(aes_blocks_for_layers(mlp, AesMode::Gcm), 29027u);
  const std::vector<std::uint64_t> odd = {100, 16, 0};
  EXPECT_EQ(aes_blocks_for_layers(odd, AesMode::Ctr), 8u);
  EXPECT_EQ(aes_blocks_for_layers(odd, AesMode::Gcm), 11u);
}

TEST(AesBaseline, RoundTripsEveryModeKeySizeAndThreadCount) {
  std::mt19937_64 rng(5);
  std::vector<std::vector<std::uint8_t>> data = {std::vector<std::uint8_t>(1000), std::vector<std::uint8_t>(33), std::vector<std::uint8_t>(0)};
  for (auto& d : data)
    for (auto& b : d) b = static_cast<std::uint8_t>(rng());
  const std::vector<std::span<const std::uint8_t>> layers(data.begin(), data.end());
  for (const AesMode mode : {AesMode::Ctr, AesMode::Gcm})
    for (const int bits : {128, 256})
      for (const int threads : {1, 2}) {
        AesBaselineOptions o;
        o.mode = mode;
        o.key_bits = bits;
        o.threads = threads;
        o.min_seconds = 0;
        const auto r = run_aes_baseline(layers, o);
        EXPECT_TRUE(r.round_trip_ok);
        EXPECT_EQ(r.bytes, 1033u);
        EXPECT_EQ(r.blocks, mode == AesMode::Ctr ? 63u + 3u : 63u + 3u + 3u);
        EXPECT_GT(r.encrypt_mb_per_s, 0);
        EXPECT_GE(r.repetitions, 1);
      }
}

TEST(AesBaseline, RefusesBadKeySizeAndMode) {
  const std::vector<std::span<const std::uint8_t>> none;
  AesBaselineOptions o;
  o.key_bits = 192;
  EXPECT_THROW((void)run_aes_baseline(none, o), std::invalid_argument);
  EXPECT_THROW((void)parse_aes_mode("ecb"), std::invalid_argument);
  EXPECT_EQ(parse_aes_mode("gcm"), AesMode::Gcm);
}

}  // namespace
}  // namespace snngx::crypto
