// Streamed inference over a frame file (FrameSource, batches read while the previous one runs)
// gives exactly the results of inference over the whole set in memory, for both file layouts,
// any batch size and a limit; a corrupt file is an error naming it.
#include <gtest/gtest.h>

#include "error_of.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"
#include "temp_dir.hpp"

namespace snngx::snn {
namespace {

Network quantized_tiny_mlp() {
  Network n;
  n.arch = "tiny-mlp";
  n.time_steps = 5;
  n.input_shape = {2, 6, 6};
  n.num_classes = 4;
  Linear a{72, 32, {}}, b{32, 4, {}};
  a.weight.shape = {32, 72};
  b.weight.shape = {4, 32};
  n.layers = {Flatten{}, a, Lif{}, b, Lif{}};
  for (std::size_t l = 0; l < n.num_weighted(); ++l) n.weights(l).values.assign(numel(n.weights(l).shape), 0.0f);
  init_weights(n, 5);
  for (std::size_t l = 0; l < n.num_weighted(); ++l)
    for (float& v : n.weights(l).values) v *= 4.0f;  // enough drive to spike
  return quantize(n, 8, QuantRule::MaxAbs);
}

void expect_same(const InferenceResult& a, const InferenceResult& b) {
  EXPECT_EQ(a.spike_counts, b.spike_counts);
  EXPECT_EQ(a.predictions, b.predictions);
  EXPECT_EQ(a.labels, b.labels);
}

// Issue 18 point 4 for streamed files: T comes from the frame file, not from the model (a file
// of 3 or 22 steps for a T = 5 model used to fail with "an index lies outside T x C x H x W").
TEST(StreamingInfer, RunsTheFrameFilesTimeSteps) {
  const testing::TempDir dir;
  const Network net = quantized_tiny_mlp();
  for (const int T : {3, 22}) {
    const auto frames = datasets::synth_frames({T, 2, 6, 6}, 9, 0.2, net.num_classes, 31);
    datasets::write_frames(dir / "t.frames.h5", frames);
    datasets::FrameSource source(dir / "t.frames.h5");
    for (const auto kind : {EngineKind::Event, EngineKind::Dense}) {
      InferenceOptions o;
      o.engine = kind;
      const auto want = infer(net, frames, o);
      expect_same(infer(Engine(net, kind), source, o, 4), want);
      int spikes = 0;
      for (const auto c : want.spike_counts) spikes += c;
      EXPECT_GT(spikes, 0) << "T " << T;
    }
  }
}

TEST(StreamingInfer, EqualsInMemoryForBothLayoutsBatchSizesAndLimit) {
  const testing::TempDir dir;
  const Network net = quantized_tiny_mlp();
  const auto frames = datasets::synth_frames({5, 2, 6, 6}, 53, 0.2, 4, 9);
  InferenceOptions o;
  o.threads = 2;
  const Engine engine(net, EngineKind::Event);
  const auto whole = infer(engine, frames, o);
  int total = 0;
  for (const auto c : whole.spike_counts) total += c;
  ASSERT_GT(total, 0) << "the test net must spike to make the comparison meaningful";
  for (const auto layout : {datasets::FrameLayout::Dense, datasets::FrameLayout::Sparse}) {
    const auto path = dir / ("f" + datasets::to_string(layout) + ".frames.h5");
    datasets::write_frames(path, frames, layout);
    for (const std::size_t batch : {1UL, 7UL, 53UL, 4096UL}) {
      datasets::FrameSource source(path);
      expect_same(whole, infer(engine, source, o, batch));
    }
    InferenceOptions limited = o;
    limited.limit = 20;
    datasets::FrameSource source(path);
    const auto part = infer(engine, source, limited, 6);
    ASSERT_EQ(part.size(), 20U);
    EXPECT_TRUE(std::equal(part.spike_counts.begin(), part.spike_counts.end(), whole.spike_counts.begin()));
    const Engine dense(net, EngineKind::Dense);
    datasets::FrameSource again(path);
    expect_same(whole, infer(dense, again, o, 16));
  }
}

TEST(StreamingInfer, WrongShapeNamesTheFile) {
  const testing::TempDir dir;
  const auto path = dir / "w.frames.h5";
  datasets::write_frames(path, datasets::synth_frames({5, 2, 6, 7}, 3, 0.2, 4, 1));
  datasets::FrameSource source(path);
  const Engine engine(quantized_tiny_mlp(), EngineKind::Event);
  EXPECT_NE(testing::error_of([&] { (void)infer(engine, source); }).find(path.string()), std::string::npos);
}

}  // namespace
}  // namespace snngx::snn
