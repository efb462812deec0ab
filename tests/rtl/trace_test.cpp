// Waveforms on request: the FST file of a short run.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "snngx/rram/decryption_unit.hpp"
#include "snngx/rtl/cosim.hpp"
#include "temp_dir.hpp"

namespace snngx::rtl {
namespace {

TEST(RtlTrace, WritesAnFstWaveformOfTheRun) {
  const snngx::testing::TempDir dir;
  const auto path = dir / "run.fst";
  configure_simulation({path, 1});
  {
    const rram::DecryptionParams p;
    auto unit = make_rtl_decryption_unit(p);
    const auto bank0_row1 = static_cast<std::uint16_t>(p.lanes);  // rows 0 and LANES: bank 0, work 2
    unit->load_key(std::vector<rram::KeyEntry>{{0, 0, 7}, {bank0_row1, 1, -3}});
    rram::CorrectionRequest req;
    req.active.assign(static_cast<std::size_t>((p.rows + 63) / 64), 0);
    req.active[0] = 1U | (std::uint64_t{1} << bank0_row1);
    std::vector<std::int32_t> corr(static_cast<std::size_t>(p.cols));
    EXPECT_EQ(unit->correct(req, corr), rram::response_latency(2));
    EXPECT_EQ(corr[0], 7);
    EXPECT_EQ(corr[1], -3);
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
