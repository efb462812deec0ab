// The event-driven engine equals the dense reference engine exactly (float and quantized, both
// reference architectures and small nets with stride/padding), plus max-pool and argmax rules.
#include <gtest/gtest.h>

#include <random>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::snn {
namespace {

void scale_weights(Network& net, float factor) {
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    for (float& v : net.weights(l).values) v *= factor;
}

// A small CSNN exercising stride, asymmetric kernels and padding, followed by an MLP head.
Network small_csnn(std::uint64_t seed) {
  Network n;
  n.arch = "small-csnn";
  n.time_steps = 6;
  n.input_shape = {2, 9, 11};
  n.num_classes = 5;
  Conv2d c0{2, 6, {3, 2}, {2, 1}, {1, 0}, {}};
  c0.weight.shape = {6, 2, 3, 2};
  Conv2d c1{6, 4, {2, 2}, {1, 2}, {1, 1}, {}};
  c1.weight.shape = {4, 6, 2, 2};
  n.layers = {c0, Lif{}, c1, Lif{}, MaxPool2d{{2, 2}, {2, 2}}, Flatten{}};
  const auto shapes = n.layer_output_shapes();
  const int flat = shapes.back()[0];
  Linear fc{flat, 5, {}};
  fc.weight.shape = {5, flat};
  n.layers.push_back(fc);
  n.layers.push_back(Lif{0.3f, 0.3f});
  for (std::size_t l = 0; l < n.num_weighted(); ++l) n.weights(l).values.assign(numel(n.weights(l).shape), 0.0f);
  init_weights(n, seed);
  scale_weights(n, 3.0f);
  return n;
}

// Runs both engines sample by sample and compares every output count.
void expect_engines_agree(const Network& net, const datasets::FrameSet& frames, int* total_spikes = nullptr) {
  const Engine dense(net, EngineKind::Dense), event(net, EngineKind::Event);
  int spikes = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto a = dense.run(frames.sample(i));
    const auto b = event.run(frames.sample(i));
    ASSERT_EQ(a, b) << "sample " << i;
    for (const auto c : a) spikes += c;
  }
  if (total_spikes) *total_spikes = spikes;
}

datasets::FrameShape frame_shape(const Network& net) {
  return {net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]};
}

TEST(Engines, EventEqualsDenseOnSmallCsnnFloatAndQuantized) {
  int spikes = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    const Network net = small_csnn(seed);
    for (const double density : {0.02, 0.1, 0.4}) {
      const auto frames = datasets::synth_frames(frame_shape(net), 6, density, net.num_classes, seed * 7);
      int s = 0;
      expect_engines_agree(net, frames, &s);
      spikes += s;
      expect_engines_agree(quantize(net, 8, QuantRule::MaxAbs), frames, &s);
      spikes += s;
      expect_engines_agree(quantize(net, 5, QuantRule::Reference), frames, &s);
    }
  }
  EXPECT_GT(spikes, 100) << "the test nets must actually spike to be meaningful";
}

TEST(Engines, EventEqualsDenseOnNmnistMlp) {
  Network net = make_nmnist_mlp();
  int spikes = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    init_weights(net, seed);
    scale_weights(net, 6.0f);
    for (const double density : {0.01, 0.05, 0.2}) {
      const auto frames = datasets::synth_frames(frame_shape(net), 3, density, 10, seed + 100);
      int s = 0;
      expect_engines_agree(net, frames, &s);
      spikes += s;
      expect_engines_agree(quantize(net, 8, QuantRule::MaxAbs), frames, &s);
      spikes += s;
    }
  }
  EXPECT_GT(spikes, 50);
}

TEST(Engines, EventEqualsDenseOnDvsGestureCsnn) {
  Network net = make_dvsgesture_csnn();
  init_weights(net, 5);
  scale_weights(net, 4.0f);
  const auto frames = datasets::synth_frames(frame_shape(net), 1, 0.05, 11, 9);
  int s = 0;
  expect_engines_agree(net, frames, &s);
  expect_engines_agree(quantize(net, 8, QuantRule::MaxAbs), frames, &s);
}

TEST(Engines, ResultsDoNotDependOnThreadCount) {
  const Network net = quantize(small_csnn(3), 8, QuantRule::MaxAbs);
  const auto frames = datasets::synth_frames(frame_shape(net), 64, 0.1, 5, 1);
  InferenceOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const auto a = infer(net, frames, one), b = infer(net, frames, two);
  EXPECT_EQ(a.spike_counts, b.spike_counts);
  EXPECT_EQ(a.predictions, b.predictions);
}

TEST(Engines, MaxPoolIsAnOrOverSpikeMaps) {
  // Identity-like conv (1 channel, 1x1 kernel, weight 1) makes LIF spikes equal the input
  // pattern (count 1 > 0.3); the pool then ORs 2x2 blocks.
  Network n;
  n.arch = "pool";
  n.time_steps = 1;
  n.input_shape = {1, 4, 4};
  n.num_classes = 4;
  Conv2d c{1, 1, {1, 1}, {1, 1}, {0, 0}, {}};
  c.weight.shape = {1, 1, 1, 1};
  c.weight.values = {1.0f};
  Linear head{4, 4, {}};
  head.weight.shape = {4, 4};
  head.weight.values = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  n.layers = {c, Lif{}, MaxPool2d{}, Flatten{}, head, Lif{}};
  // Spikes at (0,1) and (3,3) and (2,0): blocks (0,0), (1,1) and (1,0) are on.
  std::vector<std::uint16_t> frame(16, 0);
  frame[0 * 4 + 1] = 1;
  frame[3 * 4 + 3] = 1;
  frame[2 * 4 + 0] = 1;
  for (const auto kind : {EngineKind::Dense, EngineKind::Event})
    EXPECT_EQ(Engine(n, kind).run(frame), (std::vector<std::int32_t>{1, 0, 1, 1}));
}

TEST(Engines, ArgmaxTiesGoToLowestIndex) {
  EXPECT_EQ(argmax(std::vector<std::int32_t>{3, 5, 5, 1}), 1);
  EXPECT_EQ(argmax(std::vector<std::int32_t>{0, 0, 0}), 0);
  EXPECT_EQ(argmax(std::vector<std::int32_t>{1, 2, 7}), 2);
}

TEST(Engines, QuantizedCurrentIsIntegerSumScaledOnce) {
  // e = -8: weights are 48 and 80 steps of 2^-8; counts 2 and 1 give I = (96 + 80) * 2^-8 = 0.6875
  // > 0.3 -> spike; the second neuron's single input of -16 steps never spikes.
  Network n;
  n.arch = "q";
  n.time_steps = 1;
  n.input_shape = {3};
  n.num_classes = 2;
  Linear fc{3, 2, {}};
  fc.weight.shape = {2, 3};
  fc.weight.values = {0.1875f, 0.3125f, 0.0f, 0.0f, 0.0f, -0.0625f};
  n.layers = {fc, Lif{}};
  n = quantize(n, 8, QuantRule::MaxAbs);
  ASSERT_EQ(n.weights(0).quant->exponent, -8);  // m = 0.3125 -> ceil(log2(0.3125/127)) = -8
  const std::vector<std::uint16_t> frame = {2, 1, 1};
  for (const auto kind : {EngineKind::Dense, EngineKind::Event}) EXPECT_EQ(Engine(n, kind).run(frame), (std::vector<std::int32_t>{1, 0}));
}

// Quantized layers accumulate in int16 lanes that spill into int32 totals; inputs with large
// counts (here up to 60,000, far beyond what one int16 lane holds) take the int32 path. Currents
// must still be the exact integer sum scaled once, in both engines.
TEST(Engines, LargeIntegerSumsAreExactBeyondInt16) {
  Network n;
  n.arch = "wide";
  n.time_steps = 1;
  n.input_shape = {1, 12, 12};
  n.num_classes = 2;
  Conv2d conv{1, 2, {3, 3}, {1, 1}, {1, 1}, {}};
  conv.weight.shape = {2, 1, 3, 3};
  conv.weight.values.assign(18, 1.0f);
  for (int k = 9; k < 18; ++k) conv.weight.values[static_cast<std::size_t>(k)] = -1.0f;
  Linear fc{144, 2, {}};
  fc.weight.shape = {2, 144};
  fc.weight.values.assign(288, 1.0f);
  for (int k = 144; k < 288; ++k) fc.weight.values[static_cast<std::size_t>(k)] = -1.0f;
  Network lin = n;
  n.num_classes = 288;
  n.layers = {conv, Flatten{}, Lif{}};
  lin.layers = {Flatten{}, fc, Lif{}};
  n = quantize(n, 8, QuantRule::MaxAbs);
  lin = quantize(lin, 8, QuantRule::MaxAbs);
  // 1.0 with e = -6 (127 * 2^-6 >= 1 > 127 * 2^-7) is 64 steps, so currents are plain sums of counts.
  ASSERT_EQ(n.weights(0).quant->exponent, -6);
  std::vector<float> input(144);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>(i % 37 == 5 ? 60000 : (i % 2 ? 250 : 1 + i % 7));
  for (const auto kind : {EngineKind::Dense, EngineKind::Event}) {
    {  // Linear: every input reaches both neurons.
      const Engine e(lin, kind);
      auto s = e.new_state();
      const auto y = e.step(*s, 0, 2, input);
      double total = 0;
      for (const float v : input) total += v;
      EXPECT_EQ(y[0], static_cast<float>(total)) << "engine " << static_cast<int>(kind);
      EXPECT_EQ(y[1], static_cast<float>(-total));
    }
    {  // Conv2d 3x3, padding 1: output (y, x) sums its 3x3 neighbourhood.
      const Engine e(n, kind);
      auto s = e.new_state();
      const auto y = e.step(*s, 0, 1, input);
      for (int oy = 0; oy < 12; ++oy)
        for (int ox = 0; ox < 12; ++ox) {
          double sum = 0;
          for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
              const int iy = oy + dy, ix = ox + dx;
              if (iy >= 0 && iy < 12 && ix >= 0 && ix < 12) sum += input[static_cast<std::size_t>(iy * 12 + ix)];
            }
          ASSERT_EQ(y[static_cast<std::size_t>(oy * 12 + ox)], static_cast<float>(sum)) << oy << "," << ox;
          ASSERT_EQ(y[static_cast<std::size_t>(144 + oy * 12 + ox)], static_cast<float>(-sum));
        }
    }
  }
}

}  // namespace
}  // namespace snngx::snn
