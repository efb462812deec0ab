// Byte-level fuzzing of outputs files (issue 17 point 5) as `snngx outputs export` reads them
// (datasets::export_outputs), with the mutation kinds of tests/common/file_fuzz.hpp. The rule:
// every array is exported (the same files, or changed numbers HDF5 could not tell apart), or one
// error line naming the file and no output folder left behind.
// ctest runs SNNGX_FUZZ_MUTATIONS (default 100) per kind and format; scripts/fuzz_files.sh 10,000.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <map>

#include "file_fuzz_hdf5.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/datasets/outputs_export.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {
namespace fs = std::filesystem;
using namespace snngx::testing;

enum class Checksums { Fletcher32, None };

// An outputs file as `simulate --outputs` writes it: spike_counts [N, classes] int32,
// predictions / labels [N] int32, cycles [N] uint64, each checksummed (h5::write_checksummed, as
// the commands do); or, as snngx wrote them before, contiguous without checksums.
void write_outputs_file(const fs::path& path, Checksums checksums) {
  constexpr hsize_t n = 24, classes = 5;
  std::vector<std::int32_t> counts(n * classes), predictions(n), labels(n);
  std::vector<std::uint64_t> cycles(n);
  for (hsize_t i = 0; i < n; ++i) {
    for (hsize_t c = 0; c < classes; ++c) counts[i * classes + c] = static_cast<std::int32_t>((i * 7 + c * 3) % 11);
    predictions[i] = static_cast<std::int32_t>(i % classes);
    labels[i] = static_cast<std::int32_t>((i + i / 3) % classes);
    cycles[i] = 100'000 + i * 977;
  }
  if (checksums == Checksums::Fletcher32) {
    // As the commands write it: checksummed headers (HDF5 1.8 format) and Fletcher-32 arrays.
    // Checksummed headers matter: in the older format a flip in a chunked dataset's layout
    // message (a chunk dimension 4 -> 0) made libhdf5 divide by zero inside H5Dopen (SIGFPE,
    // found by this test at 10,000 mutations), before any reader check can run.
    H5::H5File f = h5::create_checksummed_file(path);
    const auto i32 = H5::PredType::STD_I32LE, ni32 = H5::PredType::NATIVE_INT32;
    h5::write_checksummed(f, "spike_counts", i32, {n, classes}, ni32, counts.data());
    h5::write_checksummed(f, "predictions", i32, {n}, ni32, predictions.data());
    h5::write_checksummed(f, "labels", i32, {n}, ni32, labels.data());
    h5::write_checksummed(f, "cycles", H5::PredType::STD_U64LE, {n}, H5::PredType::NATIVE_UINT64, cycles.data());
    return;
  }
  H5::H5File f(path.string(), H5F_ACC_TRUNC);
  const hsize_t d2[2] = {n, classes};
  f.createDataSet("spike_counts", H5::PredType::STD_I32LE, H5::DataSpace(2, d2)).write(counts.data(), H5::PredType::NATIVE_INT32);
  f.createDataSet("predictions", H5::PredType::STD_I32LE, H5::DataSpace(1, &n)).write(predictions.data(), H5::PredType::NATIVE_INT32);
  f.createDataSet("labels", H5::PredType::STD_I32LE, H5::DataSpace(1, &n)).write(labels.data(), H5::PredType::NATIVE_INT32);
  f.createDataSet("cycles", H5::PredType::STD_U64LE, H5::DataSpace(1, &n)).write(cycles.data(), H5::PredType::NATIVE_UINT64);
}

// The files of a folder and their bytes.
std::map<std::string, Bytes> folder_contents(const fs::path& dir) {
  std::map<std::string, Bytes> out;
  for (const auto& e : fs::directory_iterator(dir)) out[e.path().filename().string()] = read_bytes(e.path());
  return out;
}

void fuzz_outputs_file(ExportFormat format, Checksums checksums, std::uint64_t seed) {
  const TempDir dir;
  const fs::path valid_path = dir / "valid.h5", path = dir / "fuzz.h5", out = dir / "export";
  write_outputs_file(valid_path, checksums);
  (void)export_outputs(valid_path, out, format);
  const auto expected = folder_contents(out);
  ASSERT_EQ(expected.size(), 4U);
  fs::remove_all(out);
  const Bytes valid = read_bytes(valid_path);
  const auto data = dataset_byte_ranges(valid_path);
  ASSERT_EQ(data.size(), 4U);
  std::mt19937_64 rng(seed);
  const int n = fuzz_mutations();
  const std::string label = std::string(checksums == Checksums::None ? "outputs file without checksums" : "outputs file") +
                            ", export to " + (format == ExportFormat::csv ? "CSV" : ".npy");
  const auto read = [&] {
    try {
      const auto written = export_outputs(path, out, format);
      const auto got = folder_contents(out);
      EXPECT_EQ(got.size(), written.size());  // every file it names, nothing else
      fs::remove_all(out);
      return got == expected;
    } catch (const std::runtime_error&) {
      EXPECT_FALSE(fs::exists(out)) << "a failed export left its folder";
      fs::remove_all(out);
      throw;
    }
  };
  for (const auto kind : all_file_mutations) {
    const auto t = fuzz_file(valid, path, kind, data, n, rng, read, label);
    if (kind == FileMutation::Truncation) {
      EXPECT_GT(t.rejected, n / 2) << label;
    }
  }
}

TEST(OutputsFileFuzz, CsvExportSurvivesBitFlipsTruncationAndRandomRuns) { fuzz_outputs_file(ExportFormat::csv, Checksums::Fletcher32, 401); }
TEST(OutputsFileFuzz, NpyExportSurvivesBitFlipsTruncationAndRandomRuns) { fuzz_outputs_file(ExportFormat::npy, Checksums::Fletcher32, 402); }
// Files written before the checksums (contiguous arrays): still read, and still one error line or a result.
TEST(OutputsFileFuzz, UnchecksummedFileSurvivesBitFlipsTruncationAndRandomRuns) { fuzz_outputs_file(ExportFormat::csv, Checksums::None, 403); }

}  // namespace
}  // namespace snngx::datasets
