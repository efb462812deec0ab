// `snngx cosim` end to end on a small encrypted model: the accelerator with the RTL engines gives
// the software engine's spike counts on the plain model, the same spikes, cycles and counters as
// the chip with the behavioural engines, and the cycles of a chip without the unit plus the
// cycles the unit added.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cosim_models.hpp"
#include "snngx/crypto/xor_key.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/rram/accelerator.hpp"
#include "snngx/rtl/cosim.hpp"
#include "snngx/rtl/run.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/network.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::rtl {
namespace {

using testing_models::encrypt;
using testing_models::small_plain_model;
using testing_models::strong_weight_key;

// `added`: whether the config's read window is short enough that the engines add cycles.
void expect_cosim_passes(rram::Mode mode, const std::string& config = "", bool added = false) {
  const snn::Network plain = small_plain_model();
  const crypto::XorKey key = strong_weight_key(plain, 40);
  const snn::Network stored = encrypt(plain, key);
  const auto frames = datasets::synth_frames({4, 2, 4, 4}, 6, 0.4, 4, 11);
  CosimOptions o;
  o.mode = mode;
  if (!config.empty()) o.config = rram::ChipConfig::from_yaml_text(config);
  const CosimReport r = run_cosim(stored, key, "", plain, frames, o);
  ASSERT_GT(r.key_entries, 10U);
  EXPECT_GT(r.rtl_edges, 0U);
  EXPECT_EQ(r.rtl.spike_counts, r.software.spike_counts);
  EXPECT_EQ(r.unaccounted_cycles, 0);
  EXPECT_EQ(r.added_cycles > 0, added) << r.added_cycles << " cycles added";
  if (r.added_cycles == 0) {
    EXPECT_EQ(r.rtl.cycles_per_sample, r.baseline.cycles_per_sample);
  }
  EXPECT_TRUE(r.passed());

  // The behavioural engines in the same chip: the same run, sample by sample and counter by counter.
  rram::ChipConfig beh_config = o.config;
  beh_config.set("decryption_unit.impl", "behavioural");
  rram::Accelerator beh_chip(stored, beh_config);
  ASSERT_TRUE(beh_chip.load_key(key));
  rram::RunOptions bo;
  bo.mode = mode;
  bo.threads = 1;
  const auto beh = beh_chip.run(frames, bo);
  EXPECT_EQ(r.rtl.spike_counts, beh.spike_counts);
  EXPECT_EQ(r.rtl.cycles_per_sample, beh.cycles_per_sample);
  EXPECT_EQ(r.rtl.added_cycles, beh.added_cycles);
  EXPECT_EQ(r.rtl.total(), beh.total());
  EXPECT_GT(beh.total().key_row_reads, 0U);
  std::int64_t spikes = 0;
  for (const auto c : r.software.spike_counts) spikes += c;
  EXPECT_GT(spikes, 0) << "the model must spike for the comparison to mean anything";

  // Without the unit the chip computes the encrypted model: the key matters on these frames.
  rram::ChipConfig none = o.config;
  none.set("decryption_unit.impl", "none");
  rram::RunOptions ro;
  ro.mode = rram::Mode::Fast;
  ro.threads = 1;
  const auto encrypted = rram::Accelerator(stored, none).run(frames, ro);
  EXPECT_NE(encrypted.spike_counts, r.software.spike_counts);
  EXPECT_EQ(r.without_key.spike_counts, encrypted.spike_counts);
  EXPECT_GT(r.encrypted_differs, 0U);
}

TEST(RtlCosim, CycleModeMatchesSoftwareWithoutAddedCycles) { expect_cosim_passes(rram::Mode::Cycle); }

TEST(RtlCosim, FastModeMatchesSoftwareWithoutAddedCycles) { expect_cosim_passes(rram::Mode::Fast); }

// A 2-cycle read window (one settle cycle, one column per ADC): shorter than the engines' answers,
// the pulses stretch.
TEST(RtlCosim, CycleModeWithAShortReadWindowCountsTheAddedCycles) {
  expect_cosim_passes(rram::Mode::Cycle, "adc: {columns_per_adc: 1}\ncrossbar: {settle_cycles: 1}", true);
}

TEST(RtlCosim, FastModeWithAShortReadWindowCountsTheAddedCycles) {
  expect_cosim_passes(rram::Mode::Fast, "adc: {columns_per_adc: 1}\ncrossbar: {settle_cycles: 1}", true);
}

}  // namespace
}  // namespace snngx::rtl
