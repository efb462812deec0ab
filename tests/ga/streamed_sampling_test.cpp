// Issue 17 point 2: encrypt and attack draw their samples from the labels, then read only the
// chosen ones; the draws and accuracies must equal those on the whole set read at once.
#include <gtest/gtest.h>

#include "snngx/datasets/frames.hpp"
#include "snngx/ga/attack.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/ga/sensitivity.hpp"
#include "snngx/snn/inference.hpp"
#include "temp_dir.hpp"
#include "test_nets.hpp"

namespace snngx::ga {
namespace {

using snngx::testing::TempDir;

TEST(StreamedSampling, ReadSubsetTakesSelectSubsetsSamplesInItsOrder) {
  const TempDir dir;
  const auto net = testing::tiny_mlp(1);
  const auto all = testing::frames_for(net, 50, 3);
  datasets::write_frames(dir / "f.frames.h5", all);
  datasets::FrameSource source(dir / "f.frames.h5");
  for (const auto& [size, per_class] : {std::pair{std::size_t{10}, 0}, std::pair{std::size_t{0}, 2}, std::pair{std::size_t{50}, 0}}) {
    const FileSubset s = read_subset(source, size, per_class, 70);
    EXPECT_EQ(s.indices, subset_indices(all, size, per_class, 70));
    const auto want = select_subset(all, size, per_class, 70);
    EXPECT_EQ(s.frames.counts, want.counts);
    EXPECT_EQ(s.frames.labels, want.labels);
  }
  EXPECT_EQ(random_per_class_indices(all.labels, all.num_classes(), 2, 5), random_per_class_indices(all, 2, 5));
  EXPECT_THROW((void)read_subset(source, 51, 0, 70), std::invalid_argument);
}

TEST(StreamedSampling, TestFramesEqualTestAccuracyDrawnAndStreamed) {
  const TempDir dir;
  const auto net = testing::tiny_csnn(2);
  const auto all = testing::frames_for(net, 40, 4);
  datasets::write_frames(dir / "t.frames.h5", all);
  for (const std::size_t limit : {std::size_t{0}, std::size_t{12}, std::size_t{40}}) {
    // The whole-set path: what encrypt and attack computed before streaming.
    const auto expected_set = limit == 0 || limit >= all.size() ? all : select_subset(all, limit, 0, 9);
    const auto drawn = read_test_samples(dir / "t.frames.h5", limit, 9);
    EXPECT_EQ(drawn.counts, expected_set.counts) << "limit " << limit;
    EXPECT_EQ(drawn.labels, expected_set.labels) << "limit " << limit;
    const TestFrames test(dir / "t.frames.h5", limit, 9);
    EXPECT_EQ(test.size(), expected_set.size());
    EXPECT_NO_THROW(test.check_compatible(net));
    const double want = test_accuracy(net, expected_set, 2);
    EXPECT_EQ(test.accuracy(net, 2), want) << "limit " << limit;
    EXPECT_EQ(test.accuracy(net, 1), want) << "limit " << limit;  // any thread count
  }
}

TEST(StreamedSampling, TestFramesCheckTheLabelsOfAStreamedFile) {
  const TempDir dir;
  const auto net = testing::tiny_mlp(1);  // 4 classes
  const datasets::FrameShape shape{net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]};
  const auto frames = datasets::synth_frames(shape, 30, 0.3, 6, 4);  // a 6-class file
  std::size_t first_bad = 0;
  while (frames.labels.at(first_bad) < 4) ++first_bad;
  datasets::write_frames(dir / "t.frames.h5", frames);
  const TestFrames test(dir / "t.frames.h5", 0, 9);
  try {
    test.check_compatible(net);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "t.frames.h5").string() + ": label " + std::to_string(frames.labels[first_bad]) +
                                         " of sample " + std::to_string(first_bad) + " is not a class of the 4-class model");
  }
}

}  // namespace
}  // namespace snngx::ga
