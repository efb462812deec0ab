// The ports of snngx_decrypt_top, driven cycle by cycle: what the contract leaves to the RTL
// (ready, corr while not valid, the key write port while busy, a zero word, key_clear, reset).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <initializer_list>
#include <vector>

#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
namespace {

struct Driver {
  RtlEngine engine;
  int cols = verilated_config().cols;
  int rows = verilated_config().rows;

  EngineInputs idle() const {
    EngineInputs in;
    in.key_word.assign(static_cast<std::size_t>(cols), 0);
    return in;
  }
  void reset() {
    EngineInputs in = idle();
    in.rst = true;
    engine.tick(in);
  }
  void clear() {
    EngineInputs in = idle();
    in.key_clear = true;
    engine.tick(in);
  }
  void write(int row, std::initializer_list<std::pair<int, int>> word) {
    EngineInputs in = idle();
    in.key_we = true;
    in.key_row = static_cast<std::uint32_t>(row);
    for (const auto& [c, v] : word) in.key_word[static_cast<std::size_t>(c)] = v;
    engine.tick(in);
  }
  [[nodiscard]] std::vector<std::uint64_t> mask(std::initializer_list<int> active) const {
    std::vector<std::uint64_t> m(static_cast<std::size_t>((rows + 63) / 64), 0);
    for (const int r : active) m[static_cast<std::size_t>(r / 64)] |= std::uint64_t{1} << (r % 64);
    return m;
  }
  // Gives the request, then ticks (applying `during` while busy) until corr_valid; returns the
  // ticks from the request to the answer and the answer. Checks ready and corr on every tick.
  std::pair<int, std::vector<std::int32_t>> run(const std::vector<std::uint64_t>& active, const EngineInputs* during = nullptr) {
    EXPECT_TRUE(engine.outputs().ready);
    EngineInputs req = idle();
    req.in_valid = true;
    req.in_active = active;
    engine.tick(req);
    for (int t = 1; t < 200; ++t) {
      const EngineOutputs o = engine.outputs();
      if (o.corr_valid) {
        EXPECT_TRUE(o.ready) << "ready with the answer";
        engine.tick(idle());
        const EngineOutputs after = engine.outputs();
        EXPECT_FALSE(after.corr_valid) << "corr_valid lasts one cycle";
        EXPECT_EQ(after.corr, std::vector<std::int32_t>(static_cast<std::size_t>(cols), 0)) << "corr is 0 while not valid";
        return {t, o.corr};
      }
      EXPECT_FALSE(o.ready) << "ready while busy, tick " << t;
      EXPECT_EQ(o.corr, std::vector<std::int32_t>(static_cast<std::size_t>(cols), 0)) << "corr is 0 while not valid";
      engine.tick(during ? *during : idle());
    }
    ADD_FAILURE() << "no answer";
    return {-1, {}};
  }
  [[nodiscard]] std::vector<std::int32_t> corr(std::initializer_list<std::pair<int, int>> values) const {
    std::vector<std::int32_t> v(static_cast<std::size_t>(cols), 0);
    for (const auto& [c, x] : values) v[static_cast<std::size_t>(c)] = x;
    return v;
  }
};

TEST(RtlEnginePorts, KeyPortReadyAndCorrBehaveAsDocumented) {
  Driver d;
  const int L = verilated_config().lanes;
  ASSERT_GE(d.cols, 18);
  ASSERT_GE(d.rows, 2 * L + 2);
  const int a = 1, b = 1 + L;  // both in bank 1 (or 0 when L = 1)
  d.reset();
  EXPECT_TRUE(d.engine.outputs().ready);
  EXPECT_FALSE(d.engine.outputs().corr_valid);
  d.clear();
  d.write(a, {{0, 3}, {17, -2}});
  d.write(b, {{1, -256}});
  // Rows a and b are in one bank: work 2, answer 6 ticks after the request.
  auto [ticks, corr] = d.run(d.mask({a, b, 2}));
  EXPECT_EQ(ticks, 6);
  EXPECT_EQ(corr, d.corr({{0, 3}, {1, -256}, {17, -2}}));

  // While busy the key port and further requests are ignored.
  EngineInputs meddle = d.idle();
  meddle.key_we = true;
  meddle.key_clear = true;
  meddle.key_row = static_cast<std::uint32_t>(a);
  meddle.key_word[0] = 100;
  meddle.in_valid = true;
  meddle.in_active = d.mask({0, 1, 2});
  std::tie(ticks, corr) = d.run(d.mask({a, b}), &meddle);
  EXPECT_EQ(ticks, 6);
  EXPECT_EQ(corr, d.corr({{0, 3}, {1, -256}, {17, -2}}));
  std::tie(ticks, corr) = d.run(d.mask({a}));
  EXPECT_EQ(ticks, 5);
  EXPECT_EQ(corr, d.corr({{0, 3}, {17, -2}}));

  // A zero word un-keys its row: nothing to read, answer after 2 ticks.
  d.write(b, {});
  std::tie(ticks, corr) = d.run(d.mask({b}));
  EXPECT_EQ(ticks, 2);
  EXPECT_EQ(corr, d.corr({}));

  // Reset empties the pipeline and keeps the key.
  EngineInputs req = d.idle();
  req.in_valid = true;
  req.in_active = d.mask({a});
  d.engine.tick(req);
  d.engine.tick(d.idle());
  d.reset();
  EXPECT_TRUE(d.engine.outputs().ready);
  std::tie(ticks, corr) = d.run(d.mask({a}));
  EXPECT_EQ(ticks, 5);
  EXPECT_EQ(corr, d.corr({{0, 3}, {17, -2}}));

  // key_clear: no row keyed any more.
  d.clear();
  std::tie(ticks, corr) = d.run(d.mask({a, b}));
  EXPECT_EQ(ticks, 2);
  EXPECT_EQ(corr, d.corr({}));
}

// Every row of the tile keyed with -256 in column 0 and 255 in the last: the accumulator reaches
// its extremes (-32768 = 128 x -256, 32640) and corr carries them sign-extended.
TEST(RtlEnginePorts, FullTileReachesTheAccumulatorRange) {
  Driver d;
  d.reset();
  d.clear();
  for (int r = 0; r < d.rows; ++r) d.write(r, {{0, -256}, {d.cols - 1, 255}});
  std::vector<std::uint64_t> mask(static_cast<std::size_t>((d.rows + 63) / 64), ~std::uint64_t{0});
  if (d.rows % 64) mask.back() = (std::uint64_t{1} << (d.rows % 64)) - 1;
  auto [ticks, corr] = d.run(mask);
  const int work = (d.rows + verilated_config().lanes - 1) / verilated_config().lanes;
  EXPECT_EQ(ticks, work + 4);
  EXPECT_EQ(corr, d.corr({{0, -256 * d.rows}, {d.cols - 1, 255 * d.rows}}));
}

// The pop stage, seen at the SRAM read ports: after the accept edge every bank reads its pending
// (active and keyed) rows one per edge, lowest first, then nothing; the answer follows 4 ticks
// after the last read edge and is the column sum of the rows read.
TEST(RtlEnginePorts, EveryBankReadsItsPendingRowsLowestFirstOnePerEdge) {
  Driver d;
  const int lanes = verilated_config().lanes;
  std::mt19937_64 rng(777);
  d.reset();
  std::uint64_t reads = 0;
  for (int round = 0; round < 6; ++round) {
    d.clear();
    std::vector<bool> keyed(static_cast<std::size_t>(d.rows), false);
    std::vector<std::vector<std::int32_t>> words(static_cast<std::size_t>(d.rows),
                                                 std::vector<std::int32_t>(static_cast<std::size_t>(d.cols), 0));
    const double density = std::array{0.1, 0.5, 1.0}[static_cast<std::size_t>(round % 3)];
    for (int r = 0; r < d.rows; ++r) {
      if (!std::bernoulli_distribution(density)(rng)) continue;
      EngineInputs in = d.idle();
      in.key_we = true;
      in.key_row = static_cast<std::uint32_t>(r);
      for (auto& w : words[static_cast<std::size_t>(r)]) w = std::uniform_int_distribution<int>(-256, 255)(rng);
      words[static_cast<std::size_t>(r)][0] = std::uniform_int_distribution<int>(1, 255)(rng);  // nonzero word
      in.key_word = words[static_cast<std::size_t>(r)];
      d.engine.tick(in);
      keyed[static_cast<std::size_t>(r)] = true;
    }
    for (int n = 0; n < 40; ++n) {
      std::vector<std::uint64_t> active(static_cast<std::size_t>((d.rows + 63) / 64), 0);
      std::vector<std::vector<int>> per_bank(static_cast<std::size_t>(lanes));
      std::vector<std::int32_t> want(static_cast<std::size_t>(d.cols), 0);
      const double p_active = std::array{0.05, 0.5, 1.0}[std::uniform_int_distribution<std::size_t>(0, 2)(rng)];
      for (int r = 0; r < d.rows; ++r) {
        if (!std::bernoulli_distribution(p_active)(rng)) continue;
        active[static_cast<std::size_t>(r / 64)] |= std::uint64_t{1} << (r % 64);
        if (!keyed[static_cast<std::size_t>(r)]) continue;
        per_bank[static_cast<std::size_t>(r % lanes)].push_back(r);  // ascending
        for (int c = 0; c < d.cols; ++c) want[static_cast<std::size_t>(c)] += words[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
      }
      std::size_t work = 0;
      for (const auto& b : per_bank) work = std::max(work, b.size());
      EngineInputs req = d.idle();
      req.in_valid = true;
      req.in_active = active;
      d.engine.tick(req);
      for (std::size_t k = 0; k <= work; ++k) {  // before read edge k + 1
        const EngineOutputs o = d.engine.outputs();
        for (int b = 0; b < lanes; ++b) {
          const auto& rows = per_bank[static_cast<std::size_t>(b)];
          const int expected = k < rows.size() ? rows[k] : -1;
          ASSERT_EQ(o.reading[static_cast<std::size_t>(b)], expected) << "bank " << b << ", read edge " << k + 1;
          reads += expected >= 0;
        }
        ASSERT_FALSE(o.corr_valid);
        d.engine.tick(d.idle());
      }
      const int latency = work == 0 ? 2 : static_cast<int>(work) + 4;
      for (int t = static_cast<int>(work) + 2; t < latency; ++t) {
        ASSERT_FALSE(d.engine.outputs().corr_valid) << t;
        d.engine.tick(d.idle());
      }
      const EngineOutputs o = d.engine.outputs();
      ASSERT_TRUE(o.corr_valid) << "work " << work;
      EXPECT_EQ(o.corr, want);
      d.engine.tick(d.idle());
    }
  }
  EXPECT_GT(reads, 2000U);
}

}  // namespace
}  // namespace snngx::rtl
