// `snngx cosim` end to end on a small encrypted model: the accelerator with the RTL unit gives
// the software engine's spike counts on the plain model, in the same number of cycles as a chip
// without the unit.
#include <gtest/gtest.h>

#include <cstdint>
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

void expect_cosim_passes(rram::Mode mode) {
  const snn::Network plain = small_plain_model();
  const crypto::XorKey key = strong_weight_key(plain, 40);
  const snn::Network stored = encrypt(plain, key);
  const auto frames = datasets::synth_frames({4, 2, 4, 4}, 6, 0.4, 4, 11);
  CosimOptions o;
  o.mode = mode;
  const CosimReport r = run_cosim(stored, key, "", plain, frames, o);
  ASSERT_GT(r.key_entries, 10U);
  EXPECT_GT(r.rtl_edges, 0U);
  EXPECT_EQ(r.rtl.spike_counts, r.software.spike_counts);
  EXPECT_EQ(r.rtl.cycles_per_sample, r.baseline.cycles_per_sample);
  EXPECT_TRUE(r.passed());
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

}  // namespace
}  // namespace snngx::rtl
