// Issue 18 point 6: `cosim` runs imported networks. A small network with every kind the chip maps
// (conv bias, IF with subtractive reset, sum pooling, a biased Linear into a recurrent CubaLIF
// with recurrent bias, a LIF head), and the Braille RNN of ../shared/nir, encrypted on every
// weighted layer (recurrent weights included): the accelerator with the RTL engines, in cycle
// mode, gives the software engine's spike counts on the plain model.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_neurons.hpp"
#include "cosim_models.hpp"
#include "shared_nir.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/rtl/cosim.hpp"
#include "snngx/rtl/run.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/nir.hpp"

namespace snngx::rtl {
namespace {

using testing_models::encrypt;
using testing_models::strong_weight_key;

snn::Network small_recurrent_model() {
  snn::Network net;
  net.arch = "rtl-imported";
  net.time_steps = 4;
  net.input_shape = {2, 4, 4};
  net.num_classes = 4;
  snn::Conv2d conv{2, 4, {3, 3}, {1, 1}, {1, 1}, {}};
  conv.weight.shape = {4, 2, 3, 3};
  conv.bias = {0.1f, 0.0f, -0.1f, 0.2f};
  snn::Linear fc{16, 6, {}};
  fc.weight.shape = {6, 16};
  fc.bias.assign(6, 0.05f);
  auto cuba = snngx::testing::small_neuron_layer(snn::NeuronModel::CubaLif, 6, snn::ResetMode::Subtract);
  cuba.recurrent = snn::Weights{{6, 6}, {}, std::nullopt};
  cuba.recurrent_bias.assign(6, -0.05f);
  snn::Linear head{6, 4, {}};
  head.weight.shape = {4, 6};
  net.layers = {conv,       snngx::testing::small_neuron_layer(snn::NeuronModel::If, 64, snn::ResetMode::Subtract), snn::Pool2d{}, snn::Flatten{}, fc, cuba,
                head,       snngx::testing::small_neuron_layer(snn::NeuronModel::Lif, 4, snn::ResetMode::Zero)};
  for (std::size_t l = 0; l < net.num_weighted(); ++l) net.weights(l).values.assign(snn::numel(net.weights(l).shape), 0.0f);
  snn::init_weights(net, 7);
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    for (float& v : net.weights(l).values) v *= 4.0f;
  return snn::quantize(net, 8, snn::QuantRule::MaxAbs);
}

void expect_cosim_matches_software(const snn::Network& plain, const datasets::FrameSet& frames, int min_mag) {
  const crypto::XorKey key = strong_weight_key(plain, min_mag);
  ASSERT_FALSE(key.layers.back().positions.empty());
  const snn::Network stored = encrypt(plain, key);
  CosimOptions o;
  o.mode = rram::Mode::Cycle;
  const CosimReport r = run_cosim(stored, key, "", plain, frames, o);
  EXPECT_GT(r.rtl_edges, 0U);
  EXPECT_EQ(r.rtl.spike_counts, r.software.spike_counts);
  EXPECT_EQ(r.rtl.cycles_per_sample, r.baseline.cycles_per_sample) << "the default chip adds no cycle";
  EXPECT_EQ(r.unaccounted_cycles, 0);
  EXPECT_GT(r.encrypted_differs, 0U) << "the key must matter for the comparison to mean anything";
  EXPECT_TRUE(r.passed());
  std::int64_t spikes = 0;
  for (const auto c : r.software.spike_counts) spikes += c;
  EXPECT_GT(spikes, 0);
}

TEST(RtlCosim, ImportedKindsWithRecurrenceMatchSoftwareInCycleMode) {
  expect_cosim_matches_software(small_recurrent_model(), datasets::synth_frames({4, 2, 4, 4}, 5, 0.4, 4, 11), 40);
}

TEST(RtlCosim, BrailleRnnMatchesSoftwareInCycleMode) {
  const auto file = snngx::testing::shared_nir() / "braille_noDelay_bias_zero.nir";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "NIR material absent: " << file << " (set SNNGX_SHARED_DIR to the shared folder)";
  snn::nir::ImportOptions io;
  io.dt = 1e-4;
  const auto plain = snn::quantize(snn::nir::import_file(file, io), 8, snn::QuantRule::MaxAbs);
  expect_cosim_matches_software(plain, datasets::synth_frames({20, 12, 1, 1}, 3, 0.3, 7, 5), 60);
}

}  // namespace
}  // namespace snngx::rtl
