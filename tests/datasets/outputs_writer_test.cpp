// The one writer of outputs files (`infer`, `simulate`, `cosim --outputs`): stored types, shapes
// and values read back with libhdf5 directly (independent of the writer), and by the exporter.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include "snngx/datasets/outputs_export.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {

using snngx::testing::TempDir;

std::vector<hsize_t> dims_of(const H5::DataSet& ds) {
  std::vector<hsize_t> d(static_cast<std::size_t>(ds.getSpace().getSimpleExtentNdims()));
  ds.getSpace().getSimpleExtentDims(d.data());
  return d;
}

TEST(OutputsWriter, StoresEachArrayLittleEndianWithItsShape) {
  const TempDir dir;
  const std::vector<std::int32_t> counts{1, 2, 3, 4, 5, 6}, predictions{2, 0};
  const std::vector<std::uint64_t> cycles{123456789012ULL, 7};
  const std::vector<std::uint8_t> spikes{1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0};
  const std::vector<float> membrane{0.5f, -1.25f, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  OutputsWriter out;
  out.add("spike_counts", std::span<const std::int32_t>(counts), {2, 3});
  out.add("predictions", std::span<const std::int32_t>(predictions), {2});
  out.add("cycles", std::span<const std::uint64_t>(cycles), {2});
  out.add("spikes", std::span<const std::uint8_t>(spikes), {2, 2, 3});
  out.add("membrane", std::span<const float>(membrane), {2, 2, 3});
  out.write(dir / "o.h5");

  const H5::H5File f((dir / "o.h5").string(), H5F_ACC_RDONLY);
  const auto expect = [&](const std::string& name, const H5::PredType& stored, std::vector<hsize_t> dims) {
    const H5::DataSet ds = f.openDataSet(name);
    EXPECT_TRUE(ds.getDataType() == stored) << name;
    EXPECT_EQ(dims_of(ds), dims) << name;
    return ds;
  };
  std::vector<std::int32_t> i32(6);
  expect("spike_counts", H5::PredType::STD_I32LE, {2, 3}).read(i32.data(), H5::PredType::NATIVE_INT32);
  EXPECT_EQ(i32, counts);
  std::vector<std::uint64_t> u64(2);
  expect("cycles", H5::PredType::STD_U64LE, {2}).read(u64.data(), H5::PredType::NATIVE_UINT64);
  EXPECT_EQ(u64, cycles);
  std::vector<std::uint8_t> u8(12);
  expect("spikes", H5::PredType::STD_U8LE, {2, 2, 3}).read(u8.data(), H5::PredType::NATIVE_UINT8);
  EXPECT_EQ(u8, spikes);
  std::vector<float> f32(12);
  expect("membrane", H5::PredType::IEEE_F32LE, {2, 2, 3}).read(f32.data(), H5::PredType::NATIVE_FLOAT);
  EXPECT_EQ(f32, membrane);
  (void)expect("predictions", H5::PredType::STD_I32LE, {2});

  // The exporter reads it as an outputs file: its 1-D and 2-D arrays, in name order.
  const auto arrays = read_output_arrays(dir / "o.h5");
  ASSERT_EQ(arrays.size(), 3U);
  EXPECT_EQ(arrays[0].name, "cycles");
  EXPECT_EQ(arrays[0].element(0), "123456789012");
  EXPECT_EQ(to_csv(arrays[2]), "sample,spike_counts_0,spike_counts_1,spike_counts_2\n0,1,2,3\n1,4,5,6\n");
}

TEST(OutputsWriter, RefusesAShapeTheValuesDoNotFill) {
  const std::vector<std::int32_t> v{1, 2, 3};
  OutputsWriter out;
  EXPECT_THROW(out.add("a", std::span<const std::int32_t>(v), {2, 2}), std::logic_error);
  EXPECT_THROW(out.add("a", std::span<const std::int32_t>(v), {}), std::logic_error);
  EXPECT_NO_THROW(out.add("a", std::span<const std::int32_t>(v), {3, 1}));
}

}  // namespace
}  // namespace snngx::datasets
