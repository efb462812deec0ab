// `snngx outputs export`: an infer outputs file as CSV and .npy, read back and compared with the
// HDF5 arrays; a file of another kind is refused without writing anything.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::run_snngx;
using testing::TempDir;

using testing::q;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::int32_t> h5_ints(const fs::path& file, const std::string& name) {
  const H5::H5File f(file.string(), H5F_ACC_RDONLY);
  const H5::DataSet ds = f.openDataSet(name);
  hsize_t dims[2] = {1, 1};
  ds.getSpace().getSimpleExtentDims(dims);
  std::vector<std::int32_t> v(dims[0] * (ds.getSpace().getSimpleExtentNdims() == 2 ? dims[1] : 1));
  ds.read(v.data(), H5::PredType::NATIVE_INT32);
  return v;
}

struct Exported {
  TempDir dir;
  fs::path outputs = dir / "o.h5";
  Exported() {
    EXPECT_EQ(run_snngx("model init --arch nmnist-mlp -o " + q(dir / "m.snn.h5")).exit_code, 0);
    EXPECT_EQ(run_snngx("frames synth --shape 15,2,34,34 --count 7 --density 0.1 -o " + q(dir / "f.frames.h5")).exit_code, 0);
    EXPECT_EQ(run_snngx("infer --model " + q(dir / "m.snn.h5") + " --frames " + q(dir / "f.frames.h5") + " --outputs " + q(outputs))
                  .exit_code,
              0);
  }
};

TEST(CliOutputsExport, NpyMatchesTheHdf5Arrays) {
  const Exported e;
  const auto r = run_snngx("outputs export " + q(e.outputs) + " --npy " + q(e.dir / "npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string name : {"spike_counts", "predictions", "labels"}) {
    SCOPED_TRACE(name);
    const std::string f = read_text(e.dir / "npy" / (name + ".npy"));
    ASSERT_GT(f.size(), 10u);
    const std::size_t header = static_cast<unsigned char>(f[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(f[9])) << 8);
    EXPECT_NE(f.find("'descr': '<i4'"), std::string::npos);
    EXPECT_NE(f.find(name == "spike_counts" ? "'shape': (7, 10)" : "'shape': (7,)"), std::string::npos) << f.substr(10, header);
    const auto expected = h5_ints(e.outputs, name);
    ASSERT_EQ(f.size(), 10 + header + expected.size() * 4);
    std::vector<std::int32_t> got(expected.size());
    std::memcpy(got.data(), f.data() + 10 + header, got.size() * 4);
    EXPECT_EQ(got, expected);
  }
}

TEST(CliOutputsExport, CsvHoldsOneRowPerSample) {
  const Exported e;
  ASSERT_EQ(run_snngx("outputs export " + q(e.outputs) + " --csv " + q(e.dir / "csv")).exit_code, 0);
  const auto predictions = h5_ints(e.outputs, "predictions");
  std::string expected = "sample,predictions\n";
  for (std::size_t i = 0; i < predictions.size(); ++i) expected += std::to_string(i) + "," + std::to_string(predictions[i]) + "\n";
  EXPECT_EQ(read_text(e.dir / "csv" / "predictions.csv"), expected);
}

TEST(CliOutputsExport, NeedsExactlyOneFormatAndTheRightKindOfFile) {
  const Exported e;
  auto r = run_snngx("outputs export " + q(e.outputs));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("give --csv DIR or --npy DIR"), std::string::npos) << r.err;
  r = run_snngx("outputs export " + q(e.dir / "m.snn.h5") + " --csv " + q(e.dir / "x"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("m.snn.h5: is a model file, not an outputs file"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(e.dir / "x"));
}

// Issue 17 point 5: infer writes every array of an outputs file with a Fletcher-32 checksum, so a
// flipped bit in a spike count is one error line naming the file, exit 1, and no export folder.
TEST(CliOutputsExport, AFlippedSpikeCountBitIsOneErrorLine) {
  const Exported e;
  std::size_t at = 0;
  {
    const H5::H5File f(e.outputs.string(), H5F_ACC_RDONLY);
    for (const char* name : {"spike_counts", "predictions", "labels"}) {
      SCOPED_TRACE(name);
      const H5::DSetCreatPropList props = f.openDataSet(name).getCreatePlist();
      ASSERT_EQ(props.getNfilters(), 1);
      unsigned flags = 0, config = 0;
      std::size_t n_values = 0;
      char filter[32];
      EXPECT_EQ(props.getFilter(0, flags, n_values, nullptr, sizeof filter, filter, config), H5Z_FILTER_FLETCHER32);
    }
    const H5::DataSet ds = f.openDataSet("spike_counts");
    haddr_t addr = 0;
    hsize_t size = 0;
    unsigned mask = 0;
    ASSERT_GE(H5Dget_chunk_info(ds.getId(), ds.getSpace().getId(), 0, nullptr, &mask, &addr, &size), 0);
    ASSERT_EQ(size, 7U * 10U * 4U + 4U) << "one chunk: 7 x 10 int32 counts and the checksum";
    at = static_cast<std::size_t>(addr);  // spike count [0][0], lowest byte
  }
  {
    std::fstream f(e.outputs, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    const char c = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(c ^ 1));
  }
  const auto r = run_snngx("outputs export " + q(e.outputs) + " --csv " + q(e.dir / "csv"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("snngx: error: " + e.outputs.string() + ": dataset 'spike_counts' cannot be read: corrupt (checksum", 0), 0U)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(e.dir / "csv"));
}

}  // namespace
}  // namespace snngx
