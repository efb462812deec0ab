// The Verilated decryption unit against the behavioural unit of rram/, cycle by cycle.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "snngx/rram/decryption_unit.hpp"
#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
namespace {

using rram::CorrectionRequest;
using rram::DecryptionParams;
using rram::KeyEntry;

DecryptionParams default_params() { return DecryptionParams{}; }

// Keys concentrated on a few tiles so that reads hit many entries; some corrections use the
// full 32-bit range so that lane sums wrap.
std::vector<KeyEntry> random_key(std::mt19937_64& rng, int depth) {
  std::vector<KeyEntry> key;
  const int sizes[] = {0, 1, 7, 50, 255, depth};
  const int n = std::uniform_int_distribution<int>(0, 5)(rng) == 5 ? std::uniform_int_distribution<int>(0, depth)(rng)
                                                                    : sizes[std::uniform_int_distribution<int>(0, 5)(rng)];
  const bool wide = std::bernoulli_distribution(0.2)(rng);
  for (int i = 0; i < n; ++i) {
    KeyEntry e;
    e.row = static_cast<std::uint16_t>(std::uniform_int_distribution<int>(0, 511)(rng));
    e.col = static_cast<std::uint16_t>(std::uniform_int_distribution<int>(0, 63)(rng));
    if (std::bernoulli_distribution(0.01)(rng)) e.row = static_cast<std::uint16_t>(65535 - i % 3);  // top of the port range
    e.corr = wide ? static_cast<std::int32_t>(rng()) : 2 * std::uniform_int_distribution<int>(-127, 127)(rng);
    key.push_back(e);
  }
  return key;
}

CorrectionRequest random_request(std::mt19937_64& rng, const DecryptionParams& p) {
  CorrectionRequest r;
  const int pick = std::uniform_int_distribution<int>(0, 9)(rng);
  r.row_base = pick < 7 ? static_cast<std::uint32_t>(p.rows * std::uniform_int_distribution<int>(0, 3)(rng))
                        : std::uniform_int_distribution<std::uint32_t>(0, 600)(rng);
  if (pick == 9) r.row_base = 65535 - std::uniform_int_distribution<std::uint32_t>(0, 200)(rng);
  r.col_base = std::uniform_int_distribution<std::uint32_t>(0, 60)(rng);
  const double density = std::array{0.02, 0.3, 0.9, 1.0}[std::uniform_int_distribution<std::size_t>(0, 3)(rng)];
  std::bernoulli_distribution bit(density);
  r.active.assign(static_cast<std::size_t>((p.rows + 63) / 64), 0);
  for (int row = 0; row < p.rows; ++row)
    if (bit(rng)) r.active[static_cast<std::size_t>(row / 64)] |= std::uint64_t{1} << (row % 64);
  return r;
}

std::string describe(const std::vector<std::int32_t>& v) {
  std::ostringstream s;
  for (const auto x : v) s << x << ' ';
  return s.str();
}

TEST(RtlDecryptionUnit, MatchesBehaviouralUnitEveryCycleOver100kRandomCycles) {
  const DecryptionParams p = default_params();
  auto rtl = make_rtl_decryption_unit(p);
  auto beh = rram::make_behavioural_decryption_unit(p);
  std::mt19937_64 rng(20261123);
  const auto lanes = static_cast<std::size_t>(p.lanes);
  std::vector<std::int32_t> a(lanes), b(lanes);
  std::uint64_t cycles = 0, responses = 0, nonzero_lanes = 0, wrapped_lanes = 0;

  auto step = [&](const CorrectionRequest* req) {
    std::fill(a.begin(), a.end(), -1);
    std::fill(b.begin(), b.end(), -1);
    const bool va = rtl->tick(req, a);
    const bool vb = beh->tick(req, b);
    ASSERT_EQ(va, vb) << "corr_valid differs at cycle " << cycles;
    if (va) {
      ASSERT_EQ(a, b) << "corr differs at cycle " << cycles << "\n rtl: " << describe(a) << "\n beh: " << describe(b);
      ++responses;
      for (const auto x : a) {
        nonzero_lanes += x != 0;
        wrapped_lanes += x > 1'000'000'000 || x < -1'000'000'000;
      }
    }
    ++cycles;
  };

  while (cycles < 100'000) {
    // The key store is written before inference: drain the pipeline, then load both units.
    for (int i = 0; i < p.latency; ++i) ASSERT_NO_FATAL_FAILURE(step(nullptr));
    const auto key = random_key(rng, p.key_depth);
    rtl->load_key(key);
    beh->load_key(key);
    const int burst = std::uniform_int_distribution<int>(200, 3000)(rng);
    const double rate = std::array{0.1, 0.6, 1.0}[std::uniform_int_distribution<std::size_t>(0, 2)(rng)];
    for (int i = 0; i < burst; ++i) {
      if (std::bernoulli_distribution(0.002)(rng)) {  // synchronous reset mid-stream
        rtl->reset();
        beh->reset();
      }
      if (std::bernoulli_distribution(rate)(rng)) {
        const auto req = random_request(rng, p);
        ASSERT_NO_FATAL_FAILURE(step(&req));
      } else {
        ASSERT_NO_FATAL_FAILURE(step(nullptr));
      }
    }
  }
  // The comparison was not vacuous.
  EXPECT_GE(cycles, 100'000U);
  EXPECT_GT(responses, 30'000U);
  EXPECT_GT(nonzero_lanes, 20'000U);
  EXPECT_GT(wrapped_lanes, 100U);
  RecordProperty("cycles", std::to_string(cycles));
}

TEST(RtlDecryptionUnit, SingleReadEqualsReferenceCorrection) {
  const DecryptionParams p = default_params();
  auto rtl = make_rtl_decryption_unit(p);
  std::mt19937_64 rng(7);
  std::vector<std::int32_t> corr(static_cast<std::size_t>(p.lanes));
  for (int k = 0; k < 20; ++k) {
    const auto key = random_key(rng, p.key_depth);
    rtl->load_key(key);
    for (int i = 0; i < 20; ++i) {
      const auto req = random_request(rng, p);
      rtl->correct(req, corr);
      ASSERT_EQ(corr, rram::reference_correction(key, p, req)) << "key " << k << " read " << i;
    }
  }
}

TEST(RtlDecryptionUnit, HandWorkedCorrection) {
  // Two flipped weights in lane 2 (rows 3 and 5), one in lane 0 (row 3), one outside the lanes.
  const DecryptionParams p = default_params();
  auto rtl = make_rtl_decryption_unit(p);
  const std::vector<KeyEntry> key{{3, 130, 10}, {5, 130, -4}, {3, 128, 254}, {3, 200, 99}, {300, 130, 7}};
  rtl->load_key(key);
  CorrectionRequest req;
  req.row_base = 0;
  req.col_base = 128;
  req.active = {(1U << 3) | (1U << 5), 0};
  std::vector<std::int32_t> corr(16, -1);
  rtl->correct(req, corr);
  std::vector<std::int32_t> want(16, 0);
  want[0] = 254;
  want[2] = 10 - 4;
  EXPECT_EQ(corr, want);
  req.active = {1U << 5, 0};  // row 3 idle: only -4 remains
  rtl->correct(req, corr);
  want[0] = 0;
  want[2] = -4;
  EXPECT_EQ(corr, want);
}

TEST(RtlDecryptionUnit, ResponseComesExactlyLatCyclesAfterTheRequest) {
  const DecryptionParams p = default_params();
  auto rtl = make_rtl_decryption_unit(p);
  const std::vector<KeyEntry> key{{0, 0, 2}};
  rtl->load_key(key);
  CorrectionRequest req;
  req.active = {1, 0};
  std::vector<std::int32_t> corr(16);
  EXPECT_FALSE(rtl->tick(&req, corr));
  for (int i = 1; i < p.latency; ++i) EXPECT_FALSE(rtl->tick(nullptr, corr)) << "cycle " << i;
  EXPECT_TRUE(rtl->tick(nullptr, corr));
  EXPECT_EQ(corr[0], 2);
  EXPECT_FALSE(rtl->tick(nullptr, corr));
}

TEST(RtlDecryptionUnit, EmptyKeyGivesZeroCorrections) {
  const DecryptionParams p = default_params();
  auto rtl = make_rtl_decryption_unit(p);
  rtl->load_key(std::vector<KeyEntry>{{0, 0, 2}});
  rtl->load_key({});  // key_count = 0 gates the stale entry
  CorrectionRequest req;
  req.active = {~std::uint64_t{0}, ~std::uint64_t{0}};
  std::vector<std::int32_t> corr(16, 5);
  rtl->correct(req, corr);
  EXPECT_EQ(corr, std::vector<std::int32_t>(16, 0));
}

TEST(RtlDecryptionUnit, RefusesParametersItWasNotVerilatedWith) {
  DecryptionParams p = default_params();
  p.lanes = verilated_config().lanes / 2;
  EXPECT_THROW((void)make_rtl_decryption_unit(p), std::invalid_argument);
  p = default_params();
  auto rtl = make_rtl_decryption_unit(p);
  EXPECT_THROW(rtl->load_key(std::vector<KeyEntry>(static_cast<std::size_t>(p.key_depth) + 1)), std::invalid_argument);
}

TEST(RtlDecryptionUnit, IsRegisteredUnderRtl) {
  register_rtl_decryption_unit();
  auto unit = rram::make_decryption_unit("rtl", default_params());
  ASSERT_NE(unit, nullptr);
  EXPECT_EQ(unit->name(), "rtl");
}

}  // namespace
}  // namespace snngx::rtl
