// N-MNIST .bin decoding from hand-built bytes (overflow markers, truncation, coordinates), the
// Train|Test tree reader and convert_dataset end to end against ToFrame applied directly.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::string decode_error(const Bytes& b) {
  try {
    (void)decode_nmnist(b, "f.bin");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(NmnistDecode, FiveBytesPerEventPolarityInBit7And23BitTime) {
  const Bytes b{3, 4, 0x81, 0x23, 0x45, 33, 0, 0x7F, 0xFF, 0xFF};
  const Events e = decode_nmnist(b, "f.bin");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0], (Event{0x012345, 3, 4, 1}));
  EXPECT_EQ(e[1], (Event{0x7FFFFF, 33, 0, 0}));
}

TEST(NmnistDecode, OverflowMarkersAdd8192ToEveryLaterEventCumulatively) {
  const Bytes b{1, 1, 0, 0, 9,  // t = 9
                0, 240, 0, 0, 0,  // marker
                2, 2, 0x80, 0, 5,  // t = 8192 + 5
                7, 240, 1, 2, 3,  // marker (other bytes ignored)
                3, 3, 0, 0, 1};   // t = 16384 + 1
  const Events e = decode_nmnist(b, "f.bin");
  EXPECT_EQ(e, (Events{{9, 1, 1, 0}, {8197, 2, 2, 1}, {16385, 3, 3, 0}}));
}

TEST(NmnistDecode, RejectsTruncatedRecordsAndPixelsOutsideTheSensor) {
  EXPECT_EQ(decode_error(Bytes{1, 1, 0, 0, 9, 1, 1}),
            "f.bin: truncated record at byte offset 5 (file length 7 is not a multiple of 5)");
  EXPECT_EQ(decode_error(Bytes{1, 1, 0, 0, 9, 34, 0, 0, 0, 1}),
            "f.bin: event at byte offset 5 has x=34, y=0 outside the 34x34 sensor");
  EXPECT_EQ(decode_error(Bytes{0, 239, 0, 0, 9}), "f.bin: event at byte offset 0 has x=0, y=239 outside the 34x34 sensor");
  EXPECT_TRUE(decode_nmnist(Bytes{}, "f.bin").empty());
}

TEST(NmnistDecode, FirstSaccadeKeepsTimesBelow100ms) {
  const Events all{{0, 1, 1, 1}, {99'999, 2, 2, 0}, {100'000, 3, 3, 1}, {250'000, 4, 4, 1}};
  EXPECT_EQ(decode_nmnist(encode_nmnist(all), "f.bin", true), (Events{all[0], all[1]}));
}

TEST(NmnistEncode, RoundTripsLongRecordingsThroughOverflowMarkers) {
  std::mt19937_64 rng(5);
  Events events;
  std::int64_t t = 0;
  for (int i = 0; i < 5000; ++i) {
    t += static_cast<std::int64_t>(rng() % 5000);  // up to ~12.5 s > 2^23 us
    events.push_back({t, static_cast<std::uint16_t>(rng() % 34), static_cast<std::uint16_t>(rng() % 34),
                      static_cast<std::uint8_t>(rng() % 2)});
  }
  ASSERT_GT(t, std::int64_t{1} << 23);
  const Bytes b = encode_nmnist(events);
  EXPECT_GT(b.size(), events.size() * 5);  // markers were needed
  EXPECT_EQ(decode_nmnist(b, "f.bin"), events);
}

void write_tree(const std::filesystem::path& root, const std::string& split,
                const std::vector<std::pair<int, Events>>& samples) {
  int i = 0;
  for (const auto& [digit, events] : samples) {
    const auto dir = root / split / std::to_string(digit);
    std::filesystem::create_directories(dir);
    write_nmnist_file(dir / (std::to_string(10 + i++) + ".bin"), events);
  }
}

TEST(NmnistReader, LabelsComeFromTheDigitFolderOrderedByLabelThenName) {
  const testing::TempDir dir;
  write_tree(dir.path, "Train", {{7, {{5, 1, 1, 1}}}, {2, {{6, 2, 2, 0}}}, {7, {{7, 3, 3, 1}}}});
  std::ofstream(dir / "Train/7/notes.txt") << "ignored";
  const auto files = list_nmnist(dir.path, "train");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].label, 2);
  EXPECT_EQ(files[1].path.filename(), "10.bin");
  EXPECT_EQ(files[2].path.filename(), "12.bin");
  const auto data = open_dataset("nmnist", dir.path, "train");
  EXPECT_EQ(data->load(2)[0].events, (Events{{7, 3, 3, 1}}));
  EXPECT_EQ(data->classes()[0], "0 - zero");
  try {
    (void)open_dataset("nmnist", dir.path, "test");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Test: no such directory"), std::string::npos) << e.what();
  }
}

TEST(ConvertDataset, FramesEqualToFrameAppliedToEachFileAndCountsClasses) {
  const testing::TempDir dir;
  std::mt19937_64 rng(11);
  std::vector<std::pair<int, Events>> samples;
  for (int i = 0; i < 40; ++i) {
    Events e;
    std::int64_t t = 0;
    const int n = 1 + static_cast<int>(rng() % 300);
    for (int k = 0; k < n; ++k) {
      t += static_cast<std::int64_t>(rng() % 2000);
      e.push_back({t, static_cast<std::uint16_t>(rng() % 34), static_cast<std::uint16_t>(rng() % 34),
                   static_cast<std::uint8_t>(rng() % 2)});
    }
    samples.emplace_back(i % 3, std::move(e));
  }
  write_tree(dir.path, "Test", samples);
  const auto data = open_dataset("nmnist", dir.path, "test");
  ConvertOptions o;  // ToFrame(n_time_bins=15), as the reference NMNIST pipeline
  const auto stats = convert_dataset(*data, o, dir / "t.frames.h5");
  EXPECT_EQ(stats.samples, 40u);
  EXPECT_EQ(stats.per_class, (std::vector<std::size_t>{14, 13, 13, 0, 0, 0, 0, 0, 0, 0}));
  const FrameSet f = read_frames(dir / "t.frames.h5");
  ASSERT_EQ(f.shape, (FrameShape{15, 2, 34, 34}));
  EXPECT_EQ(f.transform, "ToFrame(n_time_bins=15)");
  EXPECT_EQ(f.sensor_size, (std::array<std::int64_t, 3>{34, 34, 2}));
  for (std::size_t i = 0; i < f.size(); ++i) {
    const auto events = data->load(i)[0];
    EXPECT_EQ(f.labels[i], events.label);
    const auto expected = ToFrame::n_time_bins(15)(events.events, nmnist_sensor);
    const auto got = f.sample(i);
    ASSERT_TRUE(std::equal(got.begin(), got.end(), expected.begin(), expected.end())) << "sample " << i;
  }
  // --limit keeps the first N samples in reader order.
  o.limit = 5;
  EXPECT_EQ(convert_dataset(*data, o, dir / "l.frames.h5").samples, 5u);
  const FrameSet l = read_frames(dir / "l.frames.h5");
  ASSERT_EQ(l.size(), 5u);
  EXPECT_TRUE(std::equal(l.counts.begin(), l.counts.end(), f.counts.begin()));
}

}  // namespace
}  // namespace snngx::datasets
