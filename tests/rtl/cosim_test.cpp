// `snngx cosim` end to end on a small encrypted model: the accelerator with the RTL unit gives
// the software engine's spike counts on the plain model, in the same number of cycles as a chip
// without the unit.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

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

// conv 2->4 3x3 pad 1 on 4x4, LIF, flatten, linear 64->4, LIF.
snn::Network small_plain_model() {
  snn::Network net;
  net.arch = "rtl-test";
  net.time_steps = 4;
  net.input_shape = {2, 4, 4};
  net.num_classes = 4;
  snn::Conv2d conv;
  conv.in_channels = 2;
  conv.out_channels = 4;
  conv.kernel = {3, 3};
  conv.padding = {1, 1};
  conv.weight.shape = {4, 2, 3, 3};
  conv.weight.values.assign(72, 0.0f);
  snn::Linear fc;
  fc.in_features = 64;
  fc.out_features = 4;
  fc.weight.shape = {4, 64};
  fc.weight.values.assign(256, 0.0f);
  net.layers = {conv, snn::Lif{}, snn::Flatten{}, fc, snn::Lif{}};
  snn::init_weights(net, 5);
  return snn::quantize(net, 8, snn::QuantRule::MaxAbs);
}

// Flips the sign bit of every weight whose magnitude is at least `min_mag` (the weights that matter).
crypto::XorKey strong_weight_key(const snn::Network& net, int min_mag) {
  crypto::XorKey key;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) {
    const auto& bits = net.weights(l).quant->weight_bits;
    crypto::LayerKey lk;
    lk.layer = static_cast<std::uint32_t>(l);
    lk.bits_per_weight = 8;
    lk.total_bits = bits.size() * 8;
    for (std::size_t k = 0; k < bits.size(); ++k)
      if ((bits[k] & 0x7F) >= min_mag) lk.positions.push_back(k * 8);
    key.layers.push_back(lk);
  }
  return key;
}

snn::Network encrypt(snn::Network net, const crypto::XorKey& key) {
  for (const auto& lk : key.layers) {
    auto& w = net.weights(lk.layer);
    crypto::apply(lk, w.quant->weight_bits);
    snn::dequantize_into(w);
  }
  net.state = snn::ModelState::Encrypted;
  return net;
}

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
}

TEST(RtlCosim, CycleModeMatchesSoftwareWithoutAddedCycles) { expect_cosim_passes(rram::Mode::Cycle); }

TEST(RtlCosim, FastModeMatchesSoftwareWithoutAddedCycles) { expect_cosim_passes(rram::Mode::Fast); }

}  // namespace
}  // namespace snngx::rtl
