#pragma once
// Reads an int32 array of an outputs file (`infer` / `simulate` / `cosim --outputs`) whole, in C
// order, with libhdf5 directly: the tests' independent reader of what the commands wrote.
#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace snngx::testing {

inline std::vector<std::int32_t> read_outputs_i32(const std::filesystem::path& file, const std::string& name = "spike_counts") {
  const H5::H5File f(file.string(), H5F_ACC_RDONLY);
  const H5::DataSet ds = f.openDataSet(name);
  std::vector<std::int32_t> v(static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints()));
  ds.read(v.data(), H5::PredType::NATIVE_INT32);
  return v;
}

}  // namespace snngx::testing
