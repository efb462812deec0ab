// The shd-rsnn architecture trains on the synthetic SHD of the default data: a fast test that the
// training loss falls, and a slow one (SNNGX_SLOW_TESTS=1, ctest label "slow") that the test
// accuracy beats chance (5 %) by a wide margin.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "snngx/datasets/default_data.hpp"
#include "snngx/datasets/reader.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/train.hpp"
#include "temp_dir.hpp"

namespace snngx::snn {
namespace {

struct ShdFrames {
  datasets::FrameSet train, test;
};

ShdFrames synthetic_shd_frames(const testing::TempDir& dir, std::size_t train, std::size_t test, int bins) {
  (void)datasets::make_synthetic_shd(dir / "shd", train, test, 1);
  datasets::ConvertOptions o;
  o.to_frame = datasets::ToFrame::n_time_bins(bins);
  o.time_bins = bins;
  for (const char* split : {"train", "test"})
    (void)datasets::convert_dataset(*datasets::open_dataset("shd", dir / "shd", split), o, dir / (std::string(split) + ".frames.h5"));
  return {datasets::read_frames(dir / "train.frames.h5"), datasets::read_frames(dir / "test.frames.h5")};
}

double mean_loss(const Network& net, const datasets::FrameSet& data) {
  std::vector<std::size_t> idx(data.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  return compute_gradients(net, data, idx).loss;
}

TEST(ShdRsnn, TrainingLowersTheLoss) {
  const testing::TempDir dir;
  const auto data = synthetic_shd_frames(dir, 80, 20, 50);
  ASSERT_EQ(data.train.shape.w, 700);
  Network net = make_shd_rsnn();
  init_weights(net, 1);
  const double before = mean_loss(net, data.train);
  TrainOptions o;
  o.epochs = 2;
  o.adam.learning_rate = 1e-3f;
  const auto r = train(net, data.train, nullptr, o);
  const double after = mean_loss(r.last, data.train);
  std::printf("shd-rsnn, 80 samples, 2 epochs: loss %.5f -> %.5f\n", before, after);
  EXPECT_LT(after, before);
}

TEST(ShdRsnnSlow, BeatsChanceOnTheSyntheticShd) {
  if (!std::getenv("SNNGX_SLOW_TESTS")) GTEST_SKIP() << "slow (minutes): set SNNGX_SLOW_TESTS=1 or run ctest -L slow";
  const testing::TempDir dir;
  const auto data = synthetic_shd_frames(dir, 600, 200, 50);
  Network net = make_shd_rsnn();
  init_weights(net, 1);
  TrainOptions o;
  o.epochs = 6;
  o.adam.learning_rate = 1e-3f;
  o.gradient.loss = Loss::CrossEntropy;
  o.on_epoch = [](const EpochStats& e) {
    std::printf("epoch %d: loss %.4f train %.1f %% test %.1f %% (%.1f s)\n", e.epoch, e.loss, 100 * e.train_accuracy,
                100 * e.test_accuracy, e.seconds);
  };
  const auto r = train(net, data.train, &data.test, o);
  EXPECT_GT(r.best_test_accuracy, 0.5) << "chance is 5 %; measured 71.0 % (docs/results.md)";
}

}  // namespace
}  // namespace snngx::snn
