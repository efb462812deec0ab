// `snngx frames synth|convert`, `dataset info` on both layouts, and `snngx infer` streaming a
// large NMNIST-shaped file with peak memory far below the dense size of its frames.
#include <gtest/gtest.h>

#include <H5Cpp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "cli.hpp"
#include "snngx/datasets/frames.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {

using snngx::testing::run_snngx;
using snngx::testing::TempDir;

using testing::q;


TEST(FramesCli, SynthWritesLayout2AndConvertGoesBothWaysBitIdentically) {
  const TempDir dir;
  ASSERT_EQ(run_snngx("frames synth --shape 4,2,5,5 --count 30 --density 0.1 --seed 3 -o " + q(dir / "s.frames.h5")).exit_code, 0);
  EXPECT_EQ(FrameSource(dir / "s.frames.h5").layout(), FrameLayout::Sparse);
  ASSERT_EQ(run_snngx("frames convert " + q(dir / "s.frames.h5") + " --layout dense -o " + q(dir / "d.frames.h5")).exit_code, 0);
  EXPECT_EQ(FrameSource(dir / "d.frames.h5").layout(), FrameLayout::Dense);
  ASSERT_EQ(run_snngx("frames convert " + q(dir / "d.frames.h5") + " --layout sparse -o " + q(dir / "t.frames.h5")).exit_code, 0);
  const FrameSet expected = synth_frames({4, 2, 5, 5}, 30, 0.1, 10, 3);
  for (const char* name : {"s.frames.h5", "d.frames.h5", "t.frames.h5"}) {
    const FrameSet f = read_frames(dir / name);
    EXPECT_EQ(f.counts, expected.counts) << name;
    EXPECT_EQ(f.labels, expected.labels) << name;
  }
  const auto info = run_snngx("dataset info " + q(dir / "t.frames.h5"));
  EXPECT_NE(info.out.find("layout:      2 (sparse)"), std::string::npos) << info.out;
  std::uint64_t nonzero = 0;
  for (const auto c : expected.counts) nonzero += c != 0;
  char density[64];
  std::snprintf(density, sizeof density, "nonzero density %.2f %%", 100.0 * static_cast<double>(nonzero) / static_cast<double>(expected.counts.size()));
  EXPECT_NE(info.out.find(density), std::string::npos) << info.out << " expected " << density;
  EXPECT_NE(run_snngx("dataset info " + q(dir / "d.frames.h5")).out.find("layout:      1 (dense)"), std::string::npos);
}

TEST(FramesCli, CorruptFrameFileIsOneErrorLine) {
  const TempDir dir;
  ASSERT_EQ(run_snngx("frames synth --shape 2,1,3,3 --count 3 --density 0.5 -o " + q(dir / "s.frames.h5")).exit_code, 0);
  {
    H5::H5File f((dir / "s.frames.h5").string(), H5F_ACC_RDWR);
    const std::uint32_t bad = 1000;  // outside 2*1*3*3 cells
    H5::DataSet ds = f.openDataSet("event_index");
    H5::DataSpace space = ds.getSpace();
    const hsize_t one = 1, at = 0;
    space.selectHyperslab(H5S_SELECT_SET, &one, &at);
    ds.write(&bad, H5::PredType::NATIVE_UINT32, H5::DataSpace(1, &one), space);
  }
  const auto r = run_snngx("frames convert " + q(dir / "s.frames.h5") + " --layout dense -o " + q(dir / "d.frames.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "snngx: error: " + (dir / "s.frames.h5").string() +
                       ": event 0 of sample 0: index 1000 is outside the frame shape\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "d.frames.h5"));
}

// Issue 17: 20,000 NMNIST-shaped samples (2x34x34, T = 15, 2 % density) are 1.39 GB of dense
// uint16 frames; streamed inference must stay far below that.
TEST(FramesCli, InferStreamsALargeFileInBoundedMemory) {
  const TempDir dir;
  const std::size_t n = 20'000;
  const double dense_mb = static_cast<double>(n) * 15 * 2 * 34 * 34 * 2 / 1048576.0;
  ASSERT_EQ(run_snngx("frames synth --shape 15,2,34,34 --count " + std::to_string(n) + " --density 0.02 --seed 1 -o " +
                      q(dir / "big.frames.h5"))
                .exit_code,
            0);
  ASSERT_EQ(run_snngx("model init --arch nmnist-mlp --seed 1 -o " + q(dir / "m.snn.h5")).exit_code, 0);
  ASSERT_EQ(run_snngx("model quantize " + q(dir / "m.snn.h5") + " -o " + q(dir / "q.snn.h5")).exit_code, 0);
  const auto [code, peak_mb] = testing::run_snngx_measured({"infer", "--model", (dir / "q.snn.h5").string(), "--frames",
                                             (dir / "big.frames.h5").string(), "--threads", "2", "--outputs",
                                             (dir / "out.h5").string()});
  ASSERT_EQ(code, 0);
  RecordProperty("peak_rss_mb", std::to_string(peak_mb));
  EXPECT_LT(peak_mb, testing::peak_rss_cap_mb(200.0)) << "dense frames alone would take " << dense_mb << " MB";
  EXPECT_GT(dense_mb, 1300.0);
  H5::H5File out((dir / "out.h5").string(), H5F_ACC_RDONLY);
  hsize_t rows = 0;
  out.openDataSet("predictions").getSpace().getSimpleExtentDims(&rows);
  EXPECT_EQ(rows, n);
}


// Issue 17 point 5 at the command level: `snngx infer --outputs` on mutated frame files (bit
// flips, random byte runs, truncation) exits 0 with a full outputs file, or exits 1 with exactly
// one error line naming the frame file and leaves no outputs file; never a signal, an abort or a
// half-written file. SNNGX_FUZZ_MUTATIONS / 10 runs (default 30: each run is a process).
TEST(FramesCli, InferOnMutatedFrameFilesIsResultOrOneErrorLine) {
  const TempDir dir;
  const std::size_t n = 12;
  ASSERT_EQ(run_snngx("frames synth --shape 15,2,34,34 --count " + std::to_string(n) + " --density 0.02 --seed 5 -o " +
                      q(dir / "v.frames.h5")).exit_code, 0);
  ASSERT_EQ(run_snngx("model init --arch nmnist-mlp --seed 1 -o " + q(dir / "m.snn.h5")).exit_code, 0);
  ASSERT_EQ(run_snngx("model quantize " + q(dir / "m.snn.h5") + " -o " + q(dir / "q.snn.h5")).exit_code, 0);
  std::ifstream in(dir / "v.frames.h5", std::ios::binary);
  const std::vector<char> valid{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const char* env = std::getenv("SNNGX_FUZZ_MUTATIONS");
  const int runs = env && std::atoi(env) >= 10 ? std::atoi(env) / 10 : 30;
  std::mt19937_64 rng(17);
  const auto bad = dir / "bad.frames.h5", out = dir / "out.h5";
  int ok = 0, rejected = 0;
  for (int i = 0; i < runs; ++i) {
    std::vector<char> b = valid;
    switch (i % 3) {
      case 0:
        for (int k = 0; k < 4; ++k) b[rng() % b.size()] ^= static_cast<char>(1U << (rng() % 8));
        break;
      case 1: {
        const std::size_t at = rng() % b.size(), len = std::min<std::size_t>(b.size() - at, 1 + rng() % 64);
        for (std::size_t k = 0; k < len; ++k) b[at + k] = static_cast<char>(rng());
        break;
      }
      default:
        b.resize(rng() % b.size());
    }
    std::ofstream(bad, std::ios::binary | std::ios::trunc).write(b.data(), static_cast<std::streamsize>(b.size()));
    std::filesystem::remove(out);
    const auto r = run_snngx("infer --model " + q(dir / "q.snn.h5") + " --frames " + q(bad) + " --threads 2 --outputs " + q(out));
    SCOPED_TRACE("mutation " + std::to_string(i) + ": " + r.err);
    if (r.exit_code == 0) {
      ++ok;
      H5::H5File f(out.string(), H5F_ACC_RDONLY);
      hsize_t rows = 0;
      f.openDataSet("predictions").getSpace().getSimpleExtentDims(&rows);
      EXPECT_EQ(rows, n);
      continue;
    }
    ++rejected;
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("snngx: error: " + bad.string() + ": ", 0), 0U);
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "exactly one line";
    EXPECT_FALSE(std::filesystem::exists(out)) << "no outputs after an error";
  }
  std::printf("%d runs: %d results, %d one-line errors\n", runs, ok, rejected);
  EXPECT_GT(rejected, runs / 3);  // every truncation at least
}

}  // namespace
}  // namespace snngx::datasets
