// Waveforms on request: the FST file of a short run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "snngx/rtl/cosim.hpp"
#include "temp_dir.hpp"

namespace snngx::rtl {
namespace {

TEST(RtlTrace, WritesAnFstWaveformOfTheRun) {
  const snngx::testing::TempDir dir;
  const auto path = dir / "run.fst";
  configure_simulation({path, 1});
  {
    RtlSlice slice(true);
    SliceInputs in;
    in.in_valid = true;
    in.in_active = {1, 0};
    for (int i = 0; i < 20; ++i) slice.tick(in);
  }
  close_trace();
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_GT(std::filesystem::file_size(path), 200U);
  std::ifstream f(path, std::ios::binary);
  EXPECT_EQ(f.get(), 0);  // an FST file starts with its header block (type FST_BL_HDR = 0)
  EXPECT_THROW(configure_simulation({}), std::logic_error);  // SystemC elaborates once per process
}

}  // namespace
}  // namespace snngx::rtl
