// Issue 17 point 2: `train` reads its frames from files in bounded memory (each shuffled batch
// reads only its samples, the test file streams); the result must equal training on the whole
// set read at once, bit for bit.
#include <gtest/gtest.h>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/train.hpp"
#include "temp_dir.hpp"

namespace snngx::snn {
namespace {

Network mlp() {
  Network net;
  net.arch = "stream-mlp";
  net.time_steps = 6;
  net.input_shape = {2, 3, 3};
  net.num_classes = 3;
  Linear a{18, 12, {}}, b{12, 3, {}};
  a.weight.shape = {12, 18};
  a.weight.values.assign(12 * 18, 0.0f);
  b.weight.shape = {3, 12};
  b.weight.values.assign(3 * 12, 0.0f);
  net.layers = {Flatten{}, a, Lif{}, b, Lif{}};
  init_weights(net, 3);
  return net;
}

void expect_same_weights(const Network& a, const Network& b, const std::string& what) {
  ASSERT_EQ(a.num_weighted(), b.num_weighted());
  for (std::size_t k = 0; k < a.num_weighted(); ++k) EXPECT_EQ(a.weights(k).values, b.weights(k).values) << what << " layer " << k;
}

TEST(TrainStreamed, FrameFilesGiveTheSameBitsAsTheWholeSet) {
  const snngx::testing::TempDir dir;
  const auto net = mlp();
  const datasets::FrameShape shape{net.time_steps, 2, 3, 3};
  const auto train_all = datasets::synth_frames(shape, 50, 0.3, 3, 11), test_all = datasets::synth_frames(shape, 30, 0.3, 3, 12);
  for (const auto layout : {datasets::FrameLayout::Sparse, datasets::FrameLayout::Dense}) {
    datasets::write_frames(dir / "train.frames.h5", train_all, layout);
    datasets::write_frames(dir / "test.frames.h5", test_all, layout);
    TrainOptions o;
    o.epochs = 3;
    o.batch_size = 4;
    o.seed = 5;
    o.gradient.threads = 2;
    // Limits: the first 37 training and 20 test samples, as `--limit-train` / `--limit-test`.
    const auto train_set = train_all.slice(0, 37), test_set = test_all.slice(0, 20);
    const TrainResult want = train(net, train_set, &test_set, o);
    datasets::FrameSource train_file(dir / "train.frames.h5"), test_file(dir / "test.frames.h5");
    const TrainResult got = train(net, train_file, &test_file, o, 37, 20);
    ASSERT_EQ(got.history.size(), want.history.size());
    for (std::size_t e = 0; e < want.history.size(); ++e) {
      EXPECT_EQ(got.history[e].loss, want.history[e].loss) << "epoch " << e;
      EXPECT_EQ(got.history[e].train_accuracy, want.history[e].train_accuracy) << "epoch " << e;
      EXPECT_EQ(got.history[e].test_accuracy, want.history[e].test_accuracy) << "epoch " << e;
    }
    EXPECT_GT(want.history.back().test_accuracy, 0.0);
    EXPECT_EQ(got.best_epoch, want.best_epoch);
    expect_same_weights(got.last, want.last, "last");
    expect_same_weights(got.best, want.best, "best");
    // Training moved the weights at all (so equal weights mean something).
    EXPECT_NE(want.last.weights(0).values, net.weights(0).values);
  }
}

}  // namespace
}  // namespace snngx::snn
