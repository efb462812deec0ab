// The Verilated decryption engine against the behavioural engine of rram/, tick by tick, and both
// against reference_correction and hand-computed answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "snngx/rram/components/decryption_unit.hpp"
#include "snngx/rram/config.hpp"
#include "snngx/rram/decryption_unit.hpp"
#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
namespace {

using rram::CorrectionRequest;
using rram::DecryptionParams;
using rram::KeyEntry;
using rram::response_latency;
using snngx::testing::error_of;

std::string describe(std::span<const std::int32_t> v) {
  std::ostringstream s;
  for (const auto x : v) s << x << ' ';
  return s.str();
}

CorrectionRequest mask_of(const DecryptionParams& p, std::initializer_list<int> rows) {
  CorrectionRequest r;
  r.active.assign(static_cast<std::size_t>((p.rows + 63) / 64), 0);
  for (const int row : rows) r.active[static_cast<std::size_t>(row / 64)] |= std::uint64_t{1} << (row % 64);
  return r;
}

// Keys of every density: empty, one entry, sparse, a few full rows, rows of one bank, the whole
// tile, the whole tile at the extreme corrections (sums reach -32768 = the accumulator's minimum).
std::vector<KeyEntry> random_key(std::mt19937_64& rng, const DecryptionParams& p) {
  std::vector<KeyEntry> key;
  const int kind = std::uniform_int_distribution<int>(0, 7)(rng);
  std::uniform_int_distribution<int> corr(-256, 255);
  auto nonzero = [&] {
    int c = 0;
    while (c == 0) c = corr(rng);
    return c;
  };
  auto add = [&](int row, int col, int c) {
    key.push_back({static_cast<std::uint16_t>(row), static_cast<std::uint16_t>(col), c});
  };
  if (kind == 0) return key;
  if (kind == 1) {
    add(std::uniform_int_distribution<int>(0, p.rows - 1)(rng), std::uniform_int_distribution<int>(0, p.cols - 1)(rng), nonzero());
    return key;
  }
  const double density = std::array{0.0, 0.0, 0.01, 0.1, 0.5, 0.0, 1.0, 1.0}[static_cast<std::size_t>(kind)];
  const int bank = std::uniform_int_distribution<int>(0, p.lanes - 1)(rng);
  const int extreme = std::bernoulli_distribution(0.5)(rng) ? -256 : 255;
  for (int r = 0; r < p.rows; ++r) {
    const bool full_row = (kind == 5 && r % p.lanes == bank && std::bernoulli_distribution(0.7)(rng));
    for (int c = 0; c < p.cols; ++c) {
      if (full_row || std::bernoulli_distribution(density)(rng)) add(r, c, kind == 7 ? extreme : nonzero());
    }
  }
  std::shuffle(key.begin(), key.end(), rng);  // the engine's image does not depend on the order
  return key;
}

CorrectionRequest random_request(std::mt19937_64& rng, const DecryptionParams& p) {
  CorrectionRequest r = mask_of(p, {});
  const int kind = std::uniform_int_distribution<int>(0, 6)(rng);
  if (kind == 0) return r;  // no active row
  const double density = std::array{0.0, 0.02, 0.3, 0.9, 1.0, 0.5, 0.7}[static_cast<std::size_t>(kind)];
  const int bank = std::uniform_int_distribution<int>(0, p.lanes - 1)(rng);
  std::bernoulli_distribution bit(density);
  for (int row = 0; row < p.rows; ++row) {
    if (kind == 5 && row % p.lanes != bank) continue;  // all the work in one bank
    if (bit(rng)) r.active[static_cast<std::size_t>(row / 64)] |= std::uint64_t{1} << (row % 64);
  }
  return r;
}

// Two engines ticked together; every tick compares corr_valid and corr.
struct Pair {
  DecryptionParams p;
  std::unique_ptr<rram::IDecryptionUnit> rtl = make_rtl_decryption_unit(p);
  std::unique_ptr<rram::IDecryptionUnit> beh = rram::make_behavioural_decryption_unit(p);
  std::vector<std::int32_t> a = std::vector<std::int32_t>(static_cast<std::size_t>(p.cols));
  std::vector<std::int32_t> b = std::vector<std::int32_t>(static_cast<std::size_t>(p.cols));
  std::uint64_t ticks = 0;

  // Returns corr_valid; fails the test on any difference.
  bool tick(const CorrectionRequest* req) {
    std::fill(a.begin(), a.end(), -7777);
    std::fill(b.begin(), b.end(), -7777);
    const bool va = rtl->tick(req, a);
    const bool vb = beh->tick(req, b);
    ++ticks;
    EXPECT_EQ(va, vb) << "corr_valid differs at tick " << ticks;
    if (va && vb) {
      EXPECT_EQ(a, b) << "corr differs at tick " << ticks << "\n rtl: " << describe(a) << "\n beh: " << describe(b);
    }
    return va;
  }
  void load(const std::vector<KeyEntry>& key) {
    rtl->load_key(key);
    beh->load_key(key);
  }
  void reset() {
    rtl->reset();
    beh->reset();
  }
};

TEST(RtlDecryptionEngine, MatchesBehaviouralEngineEveryTickOver100kRandomTicks) {
  Pair e;
  const DecryptionParams& p = e.p;
  std::mt19937_64 rng(20260517);
  std::vector<KeyEntry> key;
  rram::KeyImage image(p, key);
  std::uint64_t answers = 0, nonzero_answers = 0, full_answers = 0, resets_in_flight = 0, back_to_back = 0, reloads = 0,
                refused = 0;
  std::array<std::uint64_t, 3> works{};  // answers with work 0, 1..8, > 8

  while (e.ticks < 100'000) {
    if (std::bernoulli_distribution(0.02)(rng) || e.ticks == 0) {  // key reload while idle
      key = random_key(rng, p);
      image = rram::KeyImage(p, key);
      e.load(key);
      ++reloads;
    }
    const CorrectionRequest req = random_request(rng, p);
    const int work = image.work(req);
    const int latency = response_latency(work);
    const auto expected = rram::reference_correction(key, p, req);
    const bool reset_mid_flight = std::bernoulli_distribution(0.01)(rng);
    const int reset_at = std::uniform_int_distribution<int>(1, latency)(rng);

    ASSERT_FALSE(e.tick(&req)) << "an answer on the request's tick";
    bool answered = false;
    for (int t = 1; t <= latency; ++t) {
      if (reset_mid_flight && t == reset_at) {
        e.reset();
        ++resets_in_flight;
        break;
      }
      if (t == 1 && latency > 2 && std::bernoulli_distribution(0.01)(rng)) {  // a request while busy is refused
        EXPECT_THROW(e.rtl->tick(&req, e.a), std::logic_error);
        EXPECT_THROW(e.beh->tick(&req, e.b), std::logic_error);
        ++refused;
      }
      if (t < latency) {
        ASSERT_FALSE(e.tick(nullptr)) << "answer before response_latency(" << work << ") = " << latency;
        continue;
      }
      // The answer's tick: either idle or the next request (back to back).
      const bool next_now = std::bernoulli_distribution(0.3)(rng);
      if (next_now) {
        // Answer and a new request on the same tick: peek the answer with a request given.
        const CorrectionRequest next = random_request(rng, p);
        const bool valid = e.tick(&next);
        ASSERT_TRUE(valid) << "no answer at response_latency(" << work << ") = " << latency;
        EXPECT_EQ(e.a, expected) << "RTL vs reference_correction";
        EXPECT_EQ(e.b, expected) << "behavioural vs reference_correction";
        ++back_to_back;
        // Let the back-to-back request finish (compared tick by tick, answer checked too).
        const int l2 = response_latency(image.work(next));
        const auto expected2 = rram::reference_correction(key, p, next);
        for (int u = 1; u < l2; ++u) ASSERT_FALSE(e.tick(nullptr));
        ASSERT_TRUE(e.tick(nullptr));
        EXPECT_EQ(e.a, expected2);
        ++answers;
      } else {
        ASSERT_TRUE(e.tick(nullptr)) << "no answer at response_latency(" << work << ") = " << latency;
        EXPECT_EQ(e.a, expected) << "RTL vs reference_correction";
        EXPECT_EQ(e.b, expected) << "behavioural vs reference_correction";
      }
      answered = true;
    }
    if (answered) {
      ++answers;
      ++works[work == 0 ? 0 : work <= 8 ? 1 : 2];
      nonzero_answers += std::any_of(expected.begin(), expected.end(), [](std::int32_t x) { return x != 0; });
      full_answers += work == (p.rows + p.lanes - 1) / p.lanes;
    }
    // An idle gap (none most often: the next request right after the answer was seen).
    const int gap = std::array{0, 0, 0, 1, 2, 5}[std::uniform_int_distribution<std::size_t>(0, 5)(rng)];
    for (int g = 0; g < gap; ++g) ASSERT_FALSE(e.tick(nullptr));
    if (std::bernoulli_distribution(0.005)(rng)) e.reset();  // a reset while idle changes nothing
    if (::testing::Test::HasFailure()) break;
  }
  // Not vacuous.
  EXPECT_GE(e.ticks, 100'000U);
  EXPECT_GT(answers, 5'000U);
  EXPECT_GT(nonzero_answers, 2'000U);
  EXPECT_GT(full_answers, 100U);
  EXPECT_GT(works[0], 500U);
  EXPECT_GT(works[1], 500U);
  EXPECT_GT(works[2], 500U);
  EXPECT_GT(resets_in_flight, 20U);
  EXPECT_GT(back_to_back, 500U);
  EXPECT_GT(reloads, 50U);
  EXPECT_GT(refused, 10U);
}

// With L = LANES, rows 0, L, 2L, 3L are bank 0, row 1 bank 1 and row 127 bank 127 % L (neither):
// a mask's work is hand-countable.
TEST(RtlDecryptionEngine, AnswersAtResponseLatencyWithHandComputedCorrections) {
  const DecryptionParams p;
  const int L = p.lanes;
  ASSERT_GE(L, 3);
  ASSERT_LE(4 * L, 127);
  ASSERT_NE(127 % L, 0);
  ASSERT_NE(127 % L, 1);
  ASSERT_EQ(p.rows, 128);
  ASSERT_GE(p.cols, 18);
  const auto row = [](int r) { return static_cast<std::uint16_t>(r); };
  const std::vector<KeyEntry> key{{0, 0, 5},    {row(L), 0, -3},      {row(2 * L), 2, 7},
                                  {1, 1, 100}, {row(3 * L), 17, -256}, {127, 3, 255}};
  struct Case {
    CorrectionRequest req;
    int work;
    std::vector<std::pair<int, int>> corr;  // (column, value); the rest 0
  };
  const std::vector<Case> cases{
      {mask_of(p, {2, L + 2, 126}), 0, {}},                                   // active rows without key words
      {mask_of(p, {}), 0, {}},                                                // no active row
      {mask_of(p, {1}), 1, {{1, 100}}},                                       // one word
      {mask_of(p, {0, L, 2 * L, 1}), 3, {{0, 2}, {1, 100}, {2, 7}}},          // bank 0: 3 rows, bank 1: 1
      {mask_of(p, {0, L, 3 * L, 127}), 3, {{0, 2}, {3, 255}, {17, -256}}},    // bank 0: 3 rows, bank 127 % L: 1
      {mask_of(p, {0, L, 2 * L, 3 * L, 1, 127}), 4, {{0, 2}, {1, 100}, {2, 7}, {3, 255}, {17, -256}}},
  };
  for (auto& unit : {make_rtl_decryption_unit(p), rram::make_behavioural_decryption_unit(p)}) {
    unit->load_key(key);
    for (const Case& c : cases) {
      const int latency = c.work == 0 ? 2 : c.work + 4;
      ASSERT_EQ(response_latency(c.work), latency);
      std::vector<std::int32_t> corr(static_cast<std::size_t>(p.cols), -1), want(corr.size(), 0);
      for (const auto& [col, v] : c.corr) want[static_cast<std::size_t>(col)] = v;
      EXPECT_FALSE(unit->tick(&c.req, corr)) << unit->name();
      for (int t = 1; t < latency; ++t) EXPECT_FALSE(unit->tick(nullptr, corr)) << unit->name() << " tick " << t;
      ASSERT_TRUE(unit->tick(nullptr, corr)) << unit->name() << ": no answer at tick " << latency << " (work " << c.work << ")";
      EXPECT_EQ(corr, want) << unit->name() << " work " << c.work;
      EXPECT_FALSE(unit->tick(nullptr, corr)) << unit->name() << ": corr_valid lasts one cycle";
      // correct() (the default: reset + ticks until the answer) agrees.
      std::vector<std::int32_t> again(corr.size(), -1);
      EXPECT_EQ(unit->correct(c.req, again), latency) << unit->name();
      EXPECT_EQ(again, want) << unit->name();
    }
  }
}

TEST(RtlDecryptionEngine, RequestWhileBusyThrowsAndTheRunningRequestStillAnswers) {
  const DecryptionParams p;
  auto rtl = make_rtl_decryption_unit(p);
  rtl->load_key(std::vector<KeyEntry>{{0, 0, 9}, {static_cast<std::uint16_t>(p.lanes), 0, 1}});
  const CorrectionRequest req = mask_of(p, {0, p.lanes});  // both in bank 0, work 2: latency 6
  std::vector<std::int32_t> corr(static_cast<std::size_t>(p.cols), 0);
  EXPECT_FALSE(rtl->tick(&req, corr));
  EXPECT_FALSE(rtl->tick(nullptr, corr));
  EXPECT_NE(error_of([&] { rtl->tick(&req, corr); }).find("busy"), std::string::npos);
  EXPECT_THROW(rtl->load_key(std::vector<KeyEntry>{}), std::logic_error);
  EXPECT_THROW(rtl->correct(req, corr), std::logic_error);
  for (int t = 2; t < 6; ++t) EXPECT_FALSE(rtl->tick(nullptr, corr)) << t;  // the refused call clocked nothing
  ASSERT_TRUE(rtl->tick(nullptr, corr));
  EXPECT_EQ(corr[0], 10);
}

TEST(RtlDecryptionEngine, LoadKeyValidatesLikeTheKeyImage) {
  const DecryptionParams p;
  auto rtl = make_rtl_decryption_unit(p);
  EXPECT_THROW(rtl->load_key(std::vector<KeyEntry>{{128, 0, 1}}), std::invalid_argument);
  EXPECT_THROW(rtl->load_key(std::vector<KeyEntry>{{0, 18, 1}}), std::invalid_argument);
  EXPECT_THROW(rtl->load_key(std::vector<KeyEntry>{{0, 0, 256}}), std::invalid_argument);
  EXPECT_THROW(rtl->load_key(std::vector<KeyEntry>{{0, 0, 1}, {0, 0, 2}}), std::invalid_argument);
  EXPECT_THROW(rtl->load_key(std::vector<KeyEntry>{{0, 0, 0}, {0, 0, 0}}), std::invalid_argument);
  // A zero correction (the sign of a zero magnitude flipped) is accepted and keys nothing.
  ASSERT_NO_THROW(rtl->load_key(std::vector<KeyEntry>{{0, 0, 0}, {4, 1, 0}, {4, 2, 3}}));
  std::vector<std::int32_t> corr(static_cast<std::size_t>(p.cols), -1);
  EXPECT_EQ(rtl->correct(mask_of(p, {0}), corr), 2);
  EXPECT_EQ(corr, std::vector<std::int32_t>(corr.size(), 0));
  EXPECT_EQ(rtl->correct(mask_of(p, {0, 4}), corr), 5);
  EXPECT_EQ(corr[2], 3);
}

TEST(RtlDecryptionEngine, RefusesParametersItWasNotVerilatedWith) {
  const VerilatedConfig v = verilated_config();
  const DecryptionParams p;
  EXPECT_EQ(v.rows, p.rows) << "SNNGX_RTL_ROWS must equal the chip default";
  EXPECT_EQ(v.cols, p.cols) << "SNNGX_RTL_COLS must equal the chip default";
  EXPECT_EQ(v.lanes, p.lanes) << "SNNGX_RTL_LANES must equal the chip default";
  DecryptionParams q = p;
  q.lanes = 8;
  const std::string lanes = error_of([&] { (void)make_rtl_decryption_unit(q); });
  EXPECT_NE(lanes.find("decryption_unit.lanes"), std::string::npos) << lanes;
  EXPECT_NE(lanes.find("SNNGX_RTL_LANES"), std::string::npos) << lanes;
  q = p;
  q.rows = 64;
  EXPECT_NE(error_of([&] { (void)make_rtl_decryption_unit(q); }).find("SNNGX_RTL_ROWS"), std::string::npos);
  q = p;
  q.cols = 16;
  const std::string cols = error_of([&] { (void)make_rtl_decryption_unit(q); });
  EXPECT_NE(cols.find("decryption_unit.cols"), std::string::npos) << cols;
  EXPECT_NE(cols.find("SNNGX_RTL_COLS"), std::string::npos) << cols;
}

TEST(RtlDecryptionEngine, IsRegisteredUnderRtlWithTheBehaviouralParameters) {
  register_rtl_decryption_unit();
  register_rtl_decryption_unit();  // idempotent
  const auto unit = rram::make_decryption_unit("rtl", DecryptionParams{});
  ASSERT_TRUE(unit);
  EXPECT_EQ(unit->name(), "rtl");
  const auto cfg = rram::ChipConfig::from_yaml_text("decryption_unit: {impl: rtl, lanes: 4, engines: 3}");
  EXPECT_EQ(cfg.impl("decryption_unit"), "rtl");
  EXPECT_EQ(cfg.get_int("decryption_unit", "engines"), 3);
}

}  // namespace
}  // namespace snngx::rtl
