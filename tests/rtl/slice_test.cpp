// The adder-tree stage with and without the decryption unit, in lockstep: corrections are
// merged into the partial sums and the partial sums leave after the same cycle either way.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "snngx/rram/decryption_unit.hpp"
#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
namespace {

using rram::CorrectionRequest;
using rram::KeyEntry;

rram::DecryptionParams params() {
  const VerilatedConfig v = verilated_config();
  rram::DecryptionParams p;
  p.rows = v.rows;
  p.lanes = v.lanes;
  p.key_depth = v.key_depth;
  p.latency = v.latency;
  return p;
}

void write_key(RtlSlice& slice, const std::vector<KeyEntry>& key) {
  for (std::size_t i = 0; i < key.size(); ++i) {
    SliceInputs in;
    in.key_we = true;
    in.key_addr = static_cast<std::uint32_t>(i);
    in.key_row = key[i].row;
    in.key_col = key[i].col;
    in.key_corr = key[i].corr;
    slice.tick(in);
  }
}

SliceInputs reset_inputs() {
  SliceInputs in;
  in.rst = true;
  return in;
}

TEST(RtlSlice, AdderTreeStageMergesCorrectionsWithoutAddingACycle) {
  const auto p = params();
  const auto lanes = static_cast<std::size_t>(p.lanes);
  const int fifo = verilated_config().fifo_depth;
  RtlSlice dec(true), nodec(false);
  std::mt19937_64 rng(99);

  std::vector<KeyEntry> key;
  for (int i = 0; i < p.key_depth; ++i)
    key.push_back({static_cast<std::uint16_t>(std::uniform_int_distribution<int>(0, 255)(rng)),
                   static_cast<std::uint16_t>(std::uniform_int_distribution<int>(0, 31)(rng)),
                   2 * std::uniform_int_distribution<int>(-127, 127)(rng)});
  dec.tick(reset_inputs());
  nodec.tick(reset_inputs());
  write_key(dec, key);
  write_key(nodec, key);

  struct Pending {
    std::uint64_t psum_cycle;
    std::vector<std::int32_t> correction;
  };
  std::deque<Pending> pending;  // reads whose partial sums have not left the ADCs yet
  std::uint64_t last_psum = 0, merged = 0, nonzero = 0;
  std::vector<std::int32_t> expect_dec(lanes), expect_nodec(lanes);
  const std::uint64_t cycles = 20'000;
  for (std::uint64_t t = 1; t <= cycles; ++t) {
    SliceInputs in;
    in.key_count = static_cast<std::uint32_t>(key.size());
    // Issue a read if the corrections in flight fit the stage's FIFO.
    if (pending.size() < static_cast<std::size_t>(fifo) && std::bernoulli_distribution(0.5)(rng)) {
      CorrectionRequest req;
      req.row_base = static_cast<std::uint32_t>(p.rows * std::uniform_int_distribution<int>(0, 2)(rng));
      req.col_base = static_cast<std::uint32_t>(std::uniform_int_distribution<int>(0, 16)(rng));
      req.active = {rng(), rng()};
      in.in_valid = true;
      in.in_row_base = static_cast<std::uint16_t>(req.row_base);
      in.in_col_base = static_cast<std::uint16_t>(req.col_base);
      in.in_active = req.active;
      // The partial sums leave the ADCs a conversion window (>= LAT cycles) later, in order.
      const std::uint64_t window = static_cast<std::uint64_t>(p.latency) + std::uniform_int_distribution<std::uint64_t>(0, 6)(rng);
      last_psum = std::max(t + window, last_psum + 1);
      pending.push_back({last_psum, rram::reference_correction(key, p, req)});
    }
    if (!pending.empty() && pending.front().psum_cycle == t) {
      in.psum_valid = true;
      in.psum.resize(lanes);
      for (auto& x : in.psum) x = static_cast<std::int32_t>(rng() % 2'000'001) - 1'000'000;
      for (std::size_t j = 0; j < lanes; ++j) {
        expect_nodec[j] = in.psum[j];
        expect_dec[j] = in.psum[j] + pending.front().correction[j];
        nonzero += pending.front().correction[j] != 0;
      }
      pending.pop_front();
      ++merged;
    }
    dec.tick(in);
    nodec.tick(in);
    const SliceOutputs od = dec.outputs(), on = nodec.outputs();
    // Registered one cycle after psum_valid, with or without the unit.
    ASSERT_EQ(od.out_valid, in.psum_valid) << "cycle " << t;
    ASSERT_EQ(on.out_valid, in.psum_valid) << "cycle " << t;
    if (in.psum_valid) {
      ASSERT_EQ(od.out_psum, expect_dec) << "cycle " << t;
      ASSERT_EQ(on.out_psum, expect_nodec) << "cycle " << t;
    }
    if (!od.corr_valid) {
      ASSERT_EQ(od.corr, std::vector<std::int32_t>(lanes, 0)) << "corr must be 0 when not valid, cycle " << t;
    }
    ASSERT_FALSE(od.err_late || od.err_overflow) << "cycle " << t;
    ASSERT_FALSE(on.corr_valid);
  }
  EXPECT_GT(merged, 5'000U);
  EXPECT_GT(nonzero, 5'000U);
}

TEST(RtlSlice, PartialSumsBeforeTheirCorrectionRaiseErrLate) {
  const auto p = params();
  RtlSlice dec(true);
  dec.tick(reset_inputs());
  SliceInputs read;
  read.in_valid = true;
  read.in_active = {1, 0};
  dec.tick(read);  // correction due LAT cycles later
  SliceInputs early;
  early.psum_valid = true;  // only 1 cycle later: the conversion window is too short
  if (p.latency > 1) {
    dec.tick(early);
    dec.tick(SliceInputs{});
    EXPECT_TRUE(dec.outputs().err_late);
  }
  dec.tick(reset_inputs());
  EXPECT_FALSE(dec.outputs().err_late);
}

TEST(RtlSlice, MoreReadsInFlightThanTheFifoRaiseErrOverflow) {
  const auto p = params();
  const int fifo = verilated_config().fifo_depth;
  RtlSlice dec(true);
  dec.tick(reset_inputs());
  SliceInputs read;
  read.in_valid = true;
  read.in_active = {1, 0};
  for (int i = 0; i <= fifo; ++i) dec.tick(read);
  for (int i = 0; i < p.latency + 1; ++i) dec.tick(SliceInputs{});
  EXPECT_TRUE(dec.outputs().err_overflow);
  EXPECT_FALSE(dec.outputs().err_late);
}

}  // namespace
}  // namespace snngx::rtl
