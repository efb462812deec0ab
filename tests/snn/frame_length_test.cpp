// Issue 18 point 4: T comes from the frame file, not from the model; a frame file whose C x H x W
// does not fit the model's input is refused with both shapes named.
#include <gtest/gtest.h>

#include <random>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::snn {
namespace {

Weights random_weights(std::vector<int> shape, std::mt19937_64& rng, float bound) {
  Weights w;
  w.shape = std::move(shape);
  w.values.resize(numel(w.shape));
  std::uniform_real_distribution<float> u(-bound, bound);
  for (auto& v : w.values) v = u(rng);
  return w;
}

/// Flatten, fc 24->12, LIF, fc 12->3, LIF on [2,3,4]; the model says T = 15.
Network small_net(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Network n;
  n.arch = "test-mlp";
  n.time_steps = 15;
  n.input_shape = {2, 3, 4};
  n.num_classes = 3;
  n.layers = {Flatten{}, Linear{24, 12, random_weights({12, 24}, rng, 0.6f)}, Lif{}, Linear{12, 3, random_weights({3, 12}, rng, 0.9f)},
              Lif{}};
  return n;
}

// The slow path: one Engine::step per frame of the sample, counting output spikes.
std::vector<std::int32_t> step_by_step(const Network& net, std::span<const std::uint16_t> sample, std::size_t steps) {
  const Engine engine(net, EngineKind::Dense);
  const auto state = engine.new_state();
  const std::size_t size = numel(net.input_shape);
  std::vector<std::int32_t> counts(static_cast<std::size_t>(net.num_classes), 0);
  std::vector<float> frame(size);
  for (std::size_t t = 0; t < steps; ++t) {
    std::copy_n(sample.begin() + static_cast<std::ptrdiff_t>(t * size), size, frame.begin());
    const auto out = engine.step(*state, 0, net.layers.size(), frame);
    for (std::size_t k = 0; k < counts.size(); ++k) counts[k] += out[k] != 0.0f;
  }
  return counts;
}

TEST(FrameLength, InferRunsTheFrameFilesTNotTheModels) {
  std::int64_t spikes = 0;
  for (const auto& net : {small_net(1), quantize(small_net(2), 8, QuantRule::MaxAbs)}) {
    for (const int T : {1, 7, 15, 40}) {
      const auto frames = datasets::synth_frames({T, 2, 3, 4}, 5, 0.4, net.num_classes, 9);
      for (const auto kind : {EngineKind::Dense, EngineKind::Event}) {
        InferenceOptions o;
        o.engine = kind;
        o.threads = 1;
        const auto r = infer(net, frames, o);
        for (std::size_t i = 0; i < frames.size(); ++i) {
          const auto want = step_by_step(net, frames.sample(i), static_cast<std::size_t>(T));
          const std::vector<std::int32_t> got(r.spike_counts.begin() + static_cast<std::ptrdiff_t>(i * 3),
                                              r.spike_counts.begin() + static_cast<std::ptrdiff_t>(i * 3 + 3));
          ASSERT_EQ(got, want) << "T " << T << " sample " << i;
          for (const auto c : want) {
            spikes += c;
            EXPECT_LE(c, T);
          }
        }
      }
    }
  }
  EXPECT_GT(spikes, 0) << "the test network never spikes";
}

TEST(FrameLength, RunTakesTFromTheSampleLength) {
  const Network net = small_net(3);
  const Engine engine(net, EngineKind::Event);
  const std::vector<std::uint16_t> eleven(11 * 24, 1);
  EXPECT_EQ(engine.run(eleven), step_by_step(net, eleven, 11));
  const std::vector<std::uint16_t> ragged(24 * 2 + 5, 1), empty;
  EXPECT_THROW((void)engine.run(ragged), std::invalid_argument);
  EXPECT_THROW((void)engine.run(empty), std::invalid_argument);
}

std::string compat_error(const Network& net, const datasets::FrameShape& shape) {
  try {
    check_compatible(net, shape, "f.frames.h5");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(FrameLength, ShapeMismatchNamesBothShapes) {
  const Network net = small_net(4);
  EXPECT_EQ(compat_error(net, {99, 2, 3, 4}), "");
  EXPECT_EQ(compat_error(net, {15, 2, 4, 3}), "f.frames.h5: frames of shape [2,4,3] do not fit the model's input_shape [2,3,4]");
  EXPECT_EQ(compat_error(net, {15, 24, 1, 1}), "f.frames.h5: frames of shape [24,1,1] do not fit the model's input_shape [2,3,4]");
  EXPECT_NE(compat_error(net, {0, 2, 3, 4}).find("T = 0"), std::string::npos);

  // A flat input [F] takes frames [F,1,1] only (not any C x H x W with F values).
  Network flat = net;
  flat.input_shape = {24};
  flat.layers.erase(flat.layers.begin());
  EXPECT_EQ(frame_input_shape(flat), (Shape{24, 1, 1}));
  EXPECT_EQ(compat_error(flat, {3, 24, 1, 1}), "");
  EXPECT_EQ(compat_error(flat, {3, 2, 3, 4}),
            "f.frames.h5: frames of shape [2,3,4] do not fit the model's input_shape [24] (a flat input takes frames of shape [24,1,1])");
}

}  // namespace
}  // namespace snngx::snn
