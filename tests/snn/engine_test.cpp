// The event-driven engine equals the dense reference engine exactly (float and quantized, both
// reference architectures and small nets with stride/padding), plus max-pool and argmax rules.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <utility>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::snn {
namespace {

void scale_weights(Network& net, float factor) {
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    for (float& v : net.weights(l).values) v *= factor;
}

/// A network with its header set and no layers yet.
Network bare_network(std::string arch, int time_steps, Shape input_shape, int num_classes) {
  Network n;
  n.arch = std::move(arch);
  n.time_steps = time_steps;
  n.input_shape = std::move(input_shape);
  n.num_classes = num_classes;
  return n;
}

// A small CSNN exercising stride, asymmetric kernels and padding, followed by an MLP head.
Network small_csnn(std::uint64_t seed) {
  Network n = bare_network("small-csnn", 6, {2, 9, 11}, 5);
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

// Runs both engines sample by sample and compares every output count; each engine also runs
// the sample in sparse form (the event engine's first layer then reads the active cells directly).
void expect_engines_agree(const Network& net, const datasets::FrameSet& frames, int* total_spikes = nullptr) {
  const Engine dense(net, EngineKind::Dense), event(net, EngineKind::Event);
  auto dense_state = dense.new_state(), event_state = event.new_state();
  datasets::SparseBatch sparse;
  for (std::size_t i = 0; i < frames.size(); ++i) sparse.push_dense(frames.sample(i), frames.labels[i]);
  int spikes = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto a = dense.run(frames.sample(i));
    const auto b = event.run(frames.sample(i));
    ASSERT_EQ(a, b) << "sample " << i;
    ASSERT_EQ(a, event.run(*event_state, sparse.sample(i))) << "sparse input, event engine, sample " << i;
    ASSERT_EQ(a, dense.run(*dense_state, sparse.sample(i))) << "sparse input, dense engine, sample " << i;
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
  Network n = bare_network("pool", 1, {1, 4, 4}, 4);
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
  Network n = bare_network("q", 1, {3}, 2);
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
  Network n = bare_network("wide", 1, {1, 12, 12}, 2);
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

// ---- fused event stages ------------------------------------------------------------------------
// Quantized Conv2d layers with a multiple of 32 out channels followed by a LIF (and a max-pool) run
// as one fused kernel on spike bitmaps in the event engine; these tests pin it to the dense engine.

// Strides, an asymmetric kernel, 32 / 96 / 64 channels (one, three and two 32-lane words) and an
// overlapping 2x3 pool; the second LIF has its own constants.
Network fused_csnn(std::uint64_t seed) {
  Network n = bare_network("fused-csnn", 8, {2, 12, 10}, 6);
  Conv2d c0{2, 32, {3, 3}, {1, 1}, {1, 1}, {}};    // 12x10, pool -> 6x5
  Conv2d c1{32, 96, {3, 2}, {2, 1}, {1, 0}, {}};   // 3x4
  Conv2d c2{96, 64, {3, 3}, {1, 1}, {1, 1}, {}};   // 3x4, pool 2x3 stride 1 -> 2x2
  c0.weight.shape = {32, 2, 3, 3};
  c1.weight.shape = {96, 32, 3, 2};
  c2.weight.shape = {64, 96, 3, 3};
  Linear fc{256, 6, {}};
  fc.weight.shape = {6, 256};
  n.layers = {c0, Lif{}, MaxPool2d{}, c1, Lif{0.5f, 0.2f}, c2, Lif{}, MaxPool2d{{2, 3}, {1, 1}}, Flatten{}, fc, Lif{}};
  for (std::size_t l = 0; l < n.num_weighted(); ++l) n.weights(l).values.assign(numel(n.weights(l).shape), 0.0f);
  init_weights(n, seed);
  scale_weights(n, 4.0f);
  return n;
}

TEST(Engines, EventEqualsDenseOnFusedCsnns) {
  int spikes = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const Network net = fused_csnn(seed);
    for (const double density : {0.01, 0.05, 0.3}) {
      const auto frames = datasets::synth_frames(frame_shape(net), 3, density, net.num_classes, seed * 11);
      int s = 0;
      expect_engines_agree(quantize(net, 8, QuantRule::MaxAbs), frames, &s);
      spikes += s;
      expect_engines_agree(quantize(net, 5, QuantRule::Reference), frames, &s);
      spikes += s;
    }
  }
  EXPECT_GT(spikes, 100) << "the test nets must actually spike to be meaningful";
}

// Maps larger than 64 x 64 take the fused stage's path without per-row occupancy masks.
TEST(Engines, EventEqualsDenseOnFusedConvWiderThan64) {
  Network n = bare_network("wide-map", 4, {2, 5, 70}, 4);
  Conv2d c0{2, 32, {3, 3}, {1, 1}, {1, 1}, {}};  // 5x70, pool -> 2x35
  c0.weight.shape = {32, 2, 3, 3};
  Linear fc{32 * 2 * 35, 4, {}};
  fc.weight.shape = {4, 32 * 2 * 35};
  n.layers = {c0, Lif{}, MaxPool2d{}, Flatten{}, fc, Lif{}};
  for (std::size_t l = 0; l < n.num_weighted(); ++l) n.weights(l).values.assign(numel(n.weights(l).shape), 0.0f);
  int spikes = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    init_weights(n, seed);
    scale_weights(n, 4.0f);
    const auto frames = datasets::synth_frames(frame_shape(n), 3, 0.05 * static_cast<double>(seed), n.num_classes, seed + 90);
    int s = 0;
    expect_engines_agree(quantize(n, 8, QuantRule::MaxAbs), frames, &s);
    spikes += s;
  }
  EXPECT_GT(spikes, 0) << "the test net must actually spike to be meaningful";
}

// The full DVSGesture CSNN (every conv stage fused) at several input densities and seeds.
TEST(Engines, EventEqualsDenseOnQuantizedDvsGestureCsnnAtSeveralDensities) {
  Network net = make_dvsgesture_csnn();
  net.time_steps = 8;  // keeps the dense reference affordable
  int spikes = 0;
  for (const auto& [seed, density] : {std::pair<std::uint64_t, double>{1, 0.01}, {2, 0.02}, {3, 0.05}}) {
    init_weights(net, seed);
    scale_weights(net, 4.0f);
    const auto frames = datasets::synth_frames(frame_shape(net), 1, density, 11, seed + 40);
    int s = 0;
    expect_engines_agree(quantize(net, 8, QuantRule::MaxAbs), frames, &s);
    spikes += s;
  }
  EXPECT_GT(spikes, 0);
}

// Engine::step over ranges that cut the fused stages anywhere (as the GA does: a stage may start
// at a LIF fed with currents, at a max-pool, or at a conv fed with a float spike map) gives the
// same activations in both engines, at every step.
TEST(Engines, StepRangesAgreeAcrossEngines) {
  const Network net = quantize(fused_csnn(2), 8, QuantRule::MaxAbs);
  const Engine dense(net, EngineKind::Dense), event(net, EngineKind::Event);
  const auto frames = datasets::synth_frames(frame_shape(net), 2, 0.1, net.num_classes, 5);
  const std::size_t L = net.layers.size(), step_size = numel(net.input_shape);
  // Runs [0, a) and then, if a < L, [a, L); returns every step's output.
  const auto outputs = [&](const Engine& e, std::size_t a, std::span<const std::uint16_t> sample) {
    const auto state = e.new_state();
    std::vector<std::vector<float>> out;
    for (int t = 0; t < net.time_steps; ++t) {
      const auto counts = sample.subspan(static_cast<std::size_t>(t) * step_size, step_size);
      const std::vector<float> frame(counts.begin(), counts.end());
      const auto y = e.step(*state, 0, a, frame);
      out.emplace_back(y.begin(), y.end());
      if (a < L) {
        const std::vector<float> mid = out.back();
        const auto z = e.step(*state, a, L, mid);
        out.emplace_back(z.begin(), z.end());
      }
    }
    return out;
  };
  double nonzero = 0;
  for (std::size_t a = 1; a <= L; ++a)
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const auto d = outputs(dense, a, frames.sample(i)), e = outputs(event, a, frames.sample(i));
      ASSERT_EQ(d, e) << "split after layer " << a << ", sample " << i;
      for (const auto& y : d)
        for (const float v : y) nonzero += v != 0.0f;
    }
  EXPECT_GT(nonzero, 1000);
}

// Fused stages sum in int16 lanes with exact int32 spills. Here true sums pass INT16_MAX, and the
// int16 wrap-around would flip the sign: counts of 600 (beyond any int16 lane: the int32 path),
// two counts of 300 meeting in one output (a spill between them), in the second conv 576 spikes
// of weight 64 meeting in every inner output (spills between kernel taps), and 288 spikes of
// weight 127 at one input position (spills within one position's spikes).
TEST(Engines, FusedConvSumsAreExactBeyondInt16) {
  Network n = bare_network("wide-fused", 1, {2, 8, 8}, 32 * 64);
  Conv2d c0{2, 64, {3, 3}, {1, 1}, {1, 1}, {}};
  Conv2d c1{64, 32, {3, 3}, {1, 1}, {1, 1}, {}};
  c0.weight.shape = {64, 2, 3, 3};
  c1.weight.shape = {32, 64, 3, 3};
  // Even out channels add +1 (64 steps of 2^-6) per input, odd ones -1.
  const auto fill = [](Conv2d& c) {
    const std::size_t per_out = static_cast<std::size_t>(c.in_channels) * 9;
    for (int o = 0; o < c.out_channels; ++o) c.weight.values.insert(c.weight.values.end(), per_out, o % 2 ? -1.0f : 1.0f);
  };
  fill(c0);
  fill(c1);
  Network first = n;
  // The trailing LIF (decay 0, threshold 0) passes the spikes through: networks end in a LIF.
  first.layers = {c0, Lif{}, Flatten{}, Lif{0.0f, 0.0f}};
  first.num_classes = 64 * 64;
  Conv2d all = c0;  // every channel spikes wherever the input is nonzero
  all.weight.values.assign(all.weight.values.size(), 1.0f);
  n.layers = {all, Lif{}, c1, Lif{}, Flatten{}, Lif{0.0f, 0.0f}};
  first = quantize(first, 8, QuantRule::MaxAbs);
  n = quantize(n, 8, QuantRule::MaxAbs);
  ASSERT_EQ(n.weights(0).quant->exponent, -6);
  std::vector<std::uint16_t> input(128, 0);
  input[2 * 8 + 2] = 600;       // channel 0, (2, 2)
  input[64 + 5 * 8 + 5] = 300;  // channel 1, (5, 5) and (5, 6)
  input[64 + 5 * 8 + 6] = 300;
  const auto near = [](int y, int x, int cy, int cx) { return std::abs(y - cy) <= 1 && std::abs(x - cx) <= 1; };
  std::vector<std::int32_t> expect_first(64 * 64, 0);
  for (int o = 0; o < 64; o += 2)
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x)
        expect_first[static_cast<std::size_t>(o * 64 + y * 8 + x)] = near(y, x, 2, 2) || near(y, x, 5, 5) || near(y, x, 5, 6);
  // Second conv: all 64 channels spike at every position.
  const std::vector<std::uint16_t> ones(128, 1);
  std::vector<std::int32_t> expect_second(32 * 64, 0);
  for (int o = 0; o < 32; o += 2)
    for (int p = 0; p < 64; ++p) expect_second[static_cast<std::size_t>(o * 64 + p)] = 1;
  // Third: 288 spikes of weight 127 steps at one position, more than one int16 budget (258).
  Network deep = n;
  deep.input_shape = {2, 2, 2};
  deep.num_classes = 32 * 4;
  Conv2d d0{2, 288, {1, 1}, {1, 1}, {0, 0}, {}};
  Conv2d d1{288, 32, {1, 1}, {1, 1}, {0, 0}, {}};
  d0.weight.shape = {288, 2, 1, 1};
  d1.weight.shape = {32, 288, 1, 1};
  d0.weight.values.assign(2 * 288, 1.984375f);  // 127 steps of 2^-6
  for (int o = 0; o < 32; ++o) d1.weight.values.insert(d1.weight.values.end(), 288, o % 2 ? -1.984375f : 1.984375f);
  deep.layers = {d0, Lif{}, d1, Lif{}, Flatten{}, Lif{0.0f, 0.0f}};
  deep = quantize(deep, 8, QuantRule::MaxAbs);
  std::vector<std::int32_t> expect_deep(32 * 4, 0);
  for (int o = 0; o < 32; o += 2)
    for (int p = 0; p < 4; ++p) expect_deep[static_cast<std::size_t>(o * 4 + p)] = 1;
  for (const auto kind : {EngineKind::Dense, EngineKind::Event}) {
    EXPECT_EQ(Engine(first, kind).run(input), expect_first) << "engine " << static_cast<int>(kind);
    EXPECT_EQ(Engine(n, kind).run(ones), expect_second) << "engine " << static_cast<int>(kind);
    EXPECT_EQ(Engine(deep, kind).run(std::vector<std::uint16_t>(8, 1)), expect_deep) << "engine " << static_cast<int>(kind);
  }
}

// Neurons whose receptive field is silent still decay. Channels 0-15 never get input (their
// membranes stay 0), channels 16-23 see 0.25 at steps 0 and 2 and channels 24-31 see 0.28:
// 0.25 -> 0.075 -> 0.2725 stays below 0.3, 0.28 -> 0.084 -> 0.3052 spikes once. Without the
// decay at step 1, 0.25 would reach 0.325 and spike.
TEST(Engines, SilentNeuronsOfFusedStagesStillDecay) {
  Network n = bare_network("decay", 3, {1, 1, 1}, 32);
  Conv2d c{1, 32, {1, 1}, {1, 1}, {0, 0}, {}};
  c.weight.shape = {32, 1, 1, 1};
  c.weight.values.assign(32, 0.0f);
  for (int o = 16; o < 32; ++o) c.weight.values[static_cast<std::size_t>(o)] = o < 24 ? 0.25f : 0.28f;
  n.layers = {c, Lif{}, Flatten{}, Lif{0.0f, 0.0f}};
  n = quantize(n, 8, QuantRule::MaxAbs);
  std::vector<std::int32_t> expected(32, 0);
  std::fill(expected.begin() + 24, expected.end(), 1);
  const std::vector<std::uint16_t> frames = {1, 0, 1};
  for (const auto kind : {EngineKind::Dense, EngineKind::Event})
    EXPECT_EQ(Engine(n, kind).run(frames), expected) << "engine " << static_cast<int>(kind);
}

TEST(Engines, FusedResultsDoNotDependOnThreadCount) {
  const Network net = quantize(fused_csnn(3), 8, QuantRule::MaxAbs);
  const auto frames = datasets::synth_frames(frame_shape(net), 64, 0.1, net.num_classes, 1);
  InferenceOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const auto a = infer(net, frames, one), b = infer(net, frames, two);
  EXPECT_EQ(a.spike_counts, b.spike_counts);
  EXPECT_EQ(a.predictions, b.predictions);
}

}  // namespace
}  // namespace snngx::snn
