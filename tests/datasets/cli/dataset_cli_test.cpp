// `snngx dataset convert|info|view`: outputs equal the library's, reference defaults per format,
// and malformed inputs end with one "snngx: error: <file>: ..." line and exit code 1.
#include <gtest/gtest.h>

#include <fstream>

#include "cli.hpp"
#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {

using snngx::testing::run_snngx;
using snngx::testing::TempDir;

using testing::q;

Events gesture_events(std::int64_t t0, int n) {
  Events e;
  for (int i = 0; i < n; ++i)
    e.push_back({t0 + i * 100, static_cast<std::uint16_t>((i * 13) % 128), static_cast<std::uint16_t>((i * 29) % 128),
                 static_cast<std::uint8_t>(i % 2)});
  return e;
}

void write_text(const std::filesystem::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// One row of the per-class summary, as printed: "    {:2}  {:<28} {}".
std::string class_line(int c, const std::string& name, int n) {
  std::string id = std::to_string(c);
  return std::string(4 + 2 - id.size(), ' ') + id + "  " + name + std::string(28 - name.size(), ' ') + " " + std::to_string(n) + "\n";
}

TEST(DatasetCli, ConvertDvsGestureUsesTheReferencePipelineAndPrintsASummary) {
  const TempDir dir;
  write_file_bytes(dir / "user24_led.aedat", encode_aedat31(gesture_events(5000, 3000)));
  write_text(dir / "user24_led_labels.csv", "class,startTime_usec,endTime_usec\r\n2,5000,150000\r\n9,150000,300000\r\n");
  write_text(dir / "trials_to_test.txt", "user24_led.aedat\r\n");
  const auto r = run_snngx("dataset convert --format dvsgesture --root " + q(dir.path) + " --split test -o " + q(dir / "g.frames.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("transform ToFrame(n_time_bins=15)|Downsample(0.25)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 samples, layout 2 (sparse), "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(class_line(1, "right hand wave", 1)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(class_line(8, "air drums", 1)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(class_line(0, "hand clapping", 0)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1475 per sample on average"), std::string::npos) << r.out;  // 1450 and 1500 events
  const FrameSet f = read_frames(dir / "g.frames.h5");
  ASSERT_EQ(f.shape, (FrameShape{15, 2, 32, 32}));  // the CSNN's input
  const auto data = open_dataset("dvsgesture", dir.path, "test");
  ConvertOptions o;
  o.downsample = 0.25;
  std::vector<std::uint16_t> expected(f.shape.sample_size());
  auto samples = data->load(0);
  for (std::size_t i = 0; i < 2; ++i) {
    (void)frame_sample(samples[i].events, dvsgesture_sensor, o, "x", expected);
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), f.sample(i).begin())) << i;
    EXPECT_EQ(f.labels[i], samples[i].label);
  }
  // info and view on the result.
  const auto info = run_snngx("dataset info " + q(dir / "g.frames.h5"));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("2 samples of [T=15, C=2, H=32, W=32]"), std::string::npos) << info.out;
  const auto view = run_snngx("dataset view " + q(dir / "g.frames.h5") + " --index 1 -o " + q(dir / "s.png"));
  ASSERT_EQ(view.exit_code, 0) << view.err;
  EXPECT_NE(view.out.find("label 8 (air drums)"), std::string::npos) << view.out;
  const auto png = read_file_bytes(dir / "s.png");
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(std::vector<std::uint8_t>(png.begin(), png.begin() + 8), (std::vector<std::uint8_t>{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}));
  const auto past = run_snngx("dataset view " + q(dir / "g.frames.h5") + " --index 2 -o " + q(dir / "t.png"));
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_EQ(past.err, "snngx: error: " + (dir / "g.frames.h5").string() + ": --index 2 is past the last sample (the file holds 2 samples, indices 0..1)\n");
}

TEST(DatasetCli, InfoDescribesRawRootsAndFiles) {
  const TempDir dir;
  for (int d : {3, 3, 5}) {
    std::filesystem::create_directories(dir / "Train" / std::to_string(d));
    static int k = 0;
    write_nmnist_file(dir / "Train" / std::to_string(d) / (std::to_string(k++) + ".bin"), Events{{1, 1, 1, 1}, {9, 2, 2, 0}});
  }
  const auto r = run_snngx("dataset info " + q(dir.path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nmnist (sensor 34x34x2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("train: 3 samples in 3 files"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(class_line(3, "3 - three", 2)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(class_line(5, "5 - five", 1)), std::string::npos) << r.out;
  const auto f = run_snngx("dataset info " + q(dir / "Train/5/2.bin"));
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("2 events (1 ON, 1 OFF), t from 1 to 9 us"), std::string::npos) << f.out;
}

TEST(DatasetCli, MalformedInputGivesOneErrorLine) {
  const TempDir dir;
  std::filesystem::create_directories(dir / "Test/4");
  write_file_bytes(dir / "Test/4/bad.bin", std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6});
  const auto r = run_snngx("dataset convert --format nmnist --root " + q(dir.path) + " --split test -o " + q(dir / "x.frames.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(r.err.find("snngx: error:")), "snngx: error: " + (dir / "Test/4/bad.bin").string() +
                                                           ": truncated record at byte offset 5 (file length 6 is not a multiple of 5)\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "x.frames.h5"));  // nothing half-written
}

}  // namespace
}  // namespace snngx::datasets
