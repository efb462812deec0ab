// `snngx infer --record` in the library: the output layer's per-step spikes and membrane, by hand
// for a reference LIF and against Norse's trace of lif_norse.nir.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/nir.hpp"
#include "shared_nir.hpp"

namespace snngx::snn {
namespace {
namespace fs = std::filesystem;

using testing::shared_nir;

datasets::FrameSet one_channel_frames(const std::vector<std::vector<std::uint16_t>>& samples) {
  datasets::FrameSet f;
  f.shape = {static_cast<int>(samples.front().size()), 1, 1, 1};
  for (const auto& s : samples) {
    f.counts.insert(f.counts.end(), s.begin(), s.end());
    f.labels.push_back(0);
  }
  return f;
}

TEST(Record, ReferenceLifTraceByHand) {
  // One input -> Linear(w = 0.75) -> LIF(decay 0.5, threshold 0.5); the model says T = 15, the frames T = 4.
  Network net;
  net.arch = "tiny";
  net.input_shape = {1};
  net.num_classes = 1;
  Linear fc{1, 1, {}};
  fc.weight.shape = {1, 1};
  fc.weight.values = {0.75f};
  net.layers = {fc, Lif{0.5f, 0.5f}};
  // v[t] = v[t-1] * decay * (1 - s[t-1]) + w x[t]: inputs 1,1,0,1 -> v 0.75, 0.75, 0, 0.75; inputs 0,1,1,1 ->
  // v 0, 0.75, 0.75, 0.75.
  const auto frames = one_channel_frames({{1, 1, 0, 1}, {0, 1, 1, 1}});
  for (const auto kind : {EngineKind::Dense, EngineKind::Event}) {
    InferenceOptions two;
    two.threads = 2;
    const auto tr = record_output(Engine(net, kind), frames, two);
    EXPECT_EQ(tr.samples, 2u);
    EXPECT_EQ(tr.time_steps, 4);
    EXPECT_EQ(tr.outputs, 1);
    EXPECT_EQ(tr.spikes, (std::vector<std::uint8_t>{1, 1, 0, 1, 0, 1, 1, 1}));
    EXPECT_EQ(tr.membrane, (std::vector<float>{0.75f, 0.75f, 0.0f, 0.75f, 0.0f, 0.75f, 0.75f, 0.75f}));
  }
}

TEST(Record, SpikesSumToTheInferCounts) {
  Network net;
  net.arch = "tiny";
  net.input_shape = {2};
  net.num_classes = 2;
  Linear fc{2, 2, {}};
  fc.weight.shape = {2, 2};
  fc.weight.values = {0.4f, -0.2f, 0.1f, 0.9f};
  net.layers = {fc, Lif{}};
  datasets::FrameSet f;
  f.shape = {6, 2, 1, 1};
  f.counts = {1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, /* sample 2 */ 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 0};
  f.labels = {0, 1};
  const Engine engine(net, EngineKind::Event);
  const auto tr = record_output(engine, f);
  const auto r = infer(engine, f);
  std::vector<std::int32_t> sums(4, 0);
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t t = 0; t < 6; ++t)
      for (std::size_t k = 0; k < 2; ++k) sums[n * 2 + k] += tr.spikes[(n * 6 + t) * 2 + k];
  EXPECT_EQ(sums, r.spike_counts);
}

TEST(Record, NorseMembraneTraceOfLifNorse) {
  if (!fs::exists(shared_nir() / "lif_norse.csv"))
    GTEST_SKIP() << "NIR material absent: " << shared_nir() << " (set SNNGX_SHARED_DIR to the shared folder)";
  const Network net = nir::import_file(shared_nir() / "lif_norse.nir", {.dt = 1e-4});
  std::ifstream csv(shared_nir() / "lif_norse.csv");
  std::vector<std::uint16_t> input;
  std::vector<float> norse_v;
  std::vector<std::uint8_t> norse_s;
  for (std::string line; std::getline(csv, line);) {
    std::stringstream ss(line);
    std::string in, v, s;
    std::getline(ss, in, ',');
    std::getline(ss, v, ',');
    std::getline(ss, s, ',');
    input.push_back(static_cast<std::uint16_t>(std::stof(in)));
    norse_v.push_back(std::stof(v));
    norse_s.push_back(std::stof(s) != 0.0f ? 1 : 0);
  }
  ASSERT_EQ(input.size(), 1000u);
  const auto frames = one_channel_frames({input});
  for (const auto kind : {EngineKind::Dense, EngineKind::Event}) {
    const auto tr = record_output(Engine(net, kind), frames);
    ASSERT_EQ(tr.time_steps, 1000);  // from the frames, not the model's T
    EXPECT_EQ(tr.spikes, norse_s);
    double worst = 0.0;
    for (std::size_t t = 0; t < 1000; ++t) {
      if (norse_s[t]) {
        // Norse stores the membrane after its reset (v_reset = 0); ours is v[t] before it.
        EXPECT_EQ(norse_v[t], 0.0f) << "step " << t;
        EXPECT_GT(tr.membrane[t], 0.1f) << "step " << t;
      } else {
        worst = std::max(worst, std::abs(static_cast<double>(tr.membrane[t]) - norse_v[t]));
      }
    }
    EXPECT_LT(worst, 1e-6) << "largest membrane difference from Norse on non-spike steps";
  }
}

}  // namespace
}  // namespace snngx::snn
