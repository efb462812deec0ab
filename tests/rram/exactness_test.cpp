// With ideal devices and exact ADCs the accelerator computes exactly what the software
// event-driven engine computes (sample by sample), and the fast (transaction-level) mode equals
// the clocked SystemC cycle mode on outputs, every event counter and every cycle count.
#include <gtest/gtest.h>

#include <filesystem>

#include "snngx/rram/accelerator.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "test_nets.hpp"

namespace snngx::rram {
namespace {

using testing::frames_for;

int expect_chip_equals_engine(const snn::Network& net, const ChipConfig& cfg, const datasets::FrameSet& frames) {
  const snn::Engine engine(net, snn::EngineKind::Event);
  const Accelerator chip(net, cfg);
  int spikes = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto want = engine.run(frames.sample(i));
    const auto got = chip.run_fast(frames.sample(i), i);
    EXPECT_EQ(got.counts, want) << net.arch << " sample " << i;
    for (const auto c : want) spikes += c;
  }
  return spikes;
}

void expect_fast_equals_cycle(const Accelerator& chip, const datasets::FrameSet& frames, std::size_t n) {
  std::vector<std::span<const std::uint16_t>> samples;
  for (std::size_t i = 0; i < n; ++i) samples.push_back(frames.sample(i));
  const auto cyc = chip.run_cycle(samples);
  ASSERT_EQ(cyc.size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto fast = chip.run_fast(frames.sample(i), i);
    EXPECT_EQ(cyc[i].counts, fast.counts) << "sample " << i;
    EXPECT_EQ(cyc[i].cycles, fast.cycles) << "sample " << i << ": cycles per [step][layer]";
    ASSERT_EQ(cyc[i].per_layer.size(), fast.per_layer.size());
    for (std::size_t l = 0; l < fast.per_layer.size(); ++l)
      EXPECT_EQ(cyc[i].per_layer[l].to_json(), fast.per_layer[l].to_json()) << "sample " << i << " layer " << l;
  }
}

TEST(Exactness, SmallMlpEqualsEventEngineOnDefaultAndSmallTiles) {
  int spikes = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto net = testing::small_mlp(seed);
    const auto frames = frames_for(net, 6, 0.15, seed);
    spikes += expect_chip_equals_engine(net, ChipConfig{}, frames);
    spikes += expect_chip_equals_engine(net, testing::small_tiles_config(), frames);
  }
  EXPECT_GT(spikes, 50) << "the nets must spike for the comparison to mean anything";
}

TEST(Exactness, SmallCsnnEqualsEventEngineOnDefaultAndSmallTiles) {
  int spikes = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto net = testing::small_csnn(seed);
    const auto frames = frames_for(net, 6, 0.2, seed);
    spikes += expect_chip_equals_engine(net, ChipConfig{}, frames);
    spikes += expect_chip_equals_engine(net, testing::small_tiles_config(), frames);
  }
  EXPECT_GT(spikes, 50);
}

TEST(Exactness, NmnistMlpRandomWeightsEqualsEventEngine) {
  const auto net = testing::reference_net("nmnist-mlp", 3, 6.0f);
  const auto frames = frames_for(net, 3, 0.05, 11);
  EXPECT_GT(expect_chip_equals_engine(net, ChipConfig{}, frames), 5);
}

TEST(Exactness, DvsGestureCsnnRandomWeightsEqualsEventEngine) {
  const auto net = testing::reference_net("dvsgesture-csnn", 5, 4.0f);
  auto frames = frames_for(net, 1, 0.05, 12);
  EXPECT_GT(expect_chip_equals_engine(net, ChipConfig{}, frames), 0);
}

// Trained models, when the training run has produced them (skipped otherwise).
TEST(Exactness, TrainedQuantizedModelsEqualEventEngine) {
  const std::filesystem::path dir = std::filesystem::path(SNNGX_SOURCE_DIR) / "out" / "models";
  int found = 0;
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no " << dir;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 10 || name.substr(name.size() - 10) != "-q8.snn.h5") continue;
    ++found;
    SCOPED_TRACE(name);
    const auto net = snn::load_model(entry.path());
    const auto frames = frames_for(net, 2, 0.05, 13);
    expect_chip_equals_engine(net, ChipConfig{}, frames);
  }
  if (found == 0) GTEST_SKIP() << "no trained models in " << dir;
}

TEST(FastEqualsCycle, SmallMlpOutputsCountersAndCycles) {
  for (std::uint64_t seed = 1; seed <= 2; ++seed) {
    const auto net = testing::small_mlp(seed);
    const auto frames = frames_for(net, 3, 0.15, seed + 20);
    expect_fast_equals_cycle(Accelerator(net, ChipConfig{}), frames, 3);
    expect_fast_equals_cycle(Accelerator(net, testing::small_tiles_config()), frames, 3);
  }
}

TEST(FastEqualsCycle, SmallCsnnOutputsCountersAndCycles) {
  const auto net = testing::small_csnn(2);
  const auto frames = frames_for(net, 2, 0.2, 21);
  expect_fast_equals_cycle(Accelerator(net, ChipConfig{}), frames, 2);
  expect_fast_equals_cycle(Accelerator(net, testing::small_tiles_config()), frames, 2);
}

TEST(FastEqualsCycle, NmnistMlpOneSample) {
  const auto net = testing::reference_net("nmnist-mlp", 3, 6.0f);
  const auto frames = frames_for(net, 1, 0.05, 22);
  expect_fast_equals_cycle(Accelerator(net, ChipConfig{}), frames, 1);
}

TEST(FastEqualsCycle, DvsGestureCsnnOneTimeStep) {
  auto net = testing::reference_net("dvsgesture-csnn", 5, 4.0f);
  net.time_steps = 1;  // the clocked model of the full CSNN is slow (~6 s per step): one step covers every layer
  const auto frames = frames_for(net, 1, 0.05, 23);
  expect_fast_equals_cycle(Accelerator(net, ChipConfig{}), frames, 1);
}

TEST(FastMode, RunIsIndependentOfThreadCount) {
  const auto net = testing::small_csnn(3);
  const auto frames = frames_for(net, 9, 0.2, 24);
  const Accelerator chip(net, testing::small_tiles_config());
  RunOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const auto a = chip.run(frames, one), b = chip.run(frames, two);
  EXPECT_EQ(a.spike_counts, b.spike_counts);
  EXPECT_EQ(a.cycles_per_sample, b.cycles_per_sample);
  EXPECT_EQ(a.total(), b.total());
  const auto sw = snn::infer(net, frames);
  EXPECT_EQ(a.spike_counts, sw.spike_counts);
  EXPECT_EQ(a.predictions, sw.predictions);
  EXPECT_DOUBLE_EQ(a.accuracy(), sw.accuracy());
}

// Issue 18 point 4: the accelerator runs the frame file's T (not the model's), in both modes.
TEST(FrameLength, AcceleratorRunsTheFrameFilesTimeSteps) {
  const auto net = testing::small_mlp(4);
  for (const int T : {3, 22}) {
    ASSERT_NE(T, net.time_steps);
    const auto frames = datasets::synth_frames({T, net.input_shape[0], net.input_shape[1], net.input_shape[2]}, 3, 0.15,
                                               net.num_classes, 30);
    const Accelerator chip(net, testing::small_tiles_config());
    EXPECT_GT(expect_chip_equals_engine(net, testing::small_tiles_config(), frames), 0);
    expect_fast_equals_cycle(chip, frames, 2);
    const auto fast = chip.run_fast(frames.sample(0), 0);
    EXPECT_EQ(fast.cycles.size(), static_cast<std::size_t>(T));
    const auto r = chip.run(frames);
    EXPECT_EQ(r.added_cycles.size(), static_cast<std::size_t>(T));
    EXPECT_EQ(r.spike_counts, snn::infer(net, frames).spike_counts);
  }
}

}  // namespace
}  // namespace snngx::rram
