// Issue 17 point 2: commands choose samples from the labels alone, then read only the chosen
// ones (FrameSource::read_labels, read_selected), in both layouts.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "snngx/datasets/frames.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {

using snngx::testing::TempDir;

TEST(FrameSelect, ReadSelectedEqualsSelectOfTheWholeSetInBothLayouts) {
  const TempDir dir;
  const FrameSet all = synth_frames({3, 2, 4, 4}, 60, 0.2, 4, 9);
  // Any order, a repeat, neighbours, far-apart samples and both ends.
  const std::vector<std::size_t> indices{59, 0, 7, 7, 8, 9, 30, 12, 58, 1};
  const FrameSet want = all.select(indices);
  for (const auto layout : {FrameLayout::Sparse, FrameLayout::Dense}) {
    const auto path = dir / ("f-" + to_string(layout) + ".frames.h5");
    write_frames(path, all, layout);
    FrameSource source(path);
    EXPECT_EQ(source.read_labels(), all.labels) << to_string(layout);
    for (const std::size_t batch : {std::size_t{1}, std::size_t{3}, std::size_t{1024}}) {
      const FrameSet got = source.read_selected(indices, batch);
      EXPECT_EQ(got.shape, all.shape);
      EXPECT_EQ(got.classes, all.classes);
      EXPECT_EQ(got.labels, want.labels) << to_string(layout) << " batch " << batch;
      EXPECT_EQ(got.counts, want.counts) << to_string(layout) << " batch " << batch;
    }
    EXPECT_EQ(source.read_selected({}).size(), 0U);
  }
}

TEST(FrameSelect, AnIndexPastTheEndNamesTheFile) {
  const TempDir dir;
  write_frames(dir / "f.frames.h5", synth_frames({2, 1, 3, 3}, 5, 0.3, 2, 1));
  FrameSource source(dir / "f.frames.h5");
  const std::vector<std::size_t> bad{1, 5};
  try {
    (void)source.read_selected(bad);
    FAIL() << "no error";
  } catch (const std::out_of_range& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "f.frames.h5").string() + ": sample 5 asked, but the file holds 5");
  }
}

TEST(FrameSelect, NumClassesFromNamesOrLabels) {
  EXPECT_EQ(num_classes({"a", "b", "c"}, std::vector<std::int32_t>{0, 1}), 3);
  EXPECT_EQ(num_classes({}, std::vector<std::int32_t>{0, 4, 2}), 5);
  EXPECT_EQ(num_classes({}, std::vector<std::int32_t>{}), 0);
}

}  // namespace
}  // namespace snngx::datasets
