// h5::check_storage's number-type rule (issue 17 point 5): libhdf5 converts numbers trusting
// every field of a stored type, so a corrupted field must be refused before a read, while every
// type a real writer stores (HDF5's standard integers, IEEE floats, h5py's float16) still reads.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <functional>

#include "error_of.hpp"
#include "snngx/datasets/h5.hpp"
#include "temp_dir.hpp"

namespace snngx::h5 {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

// A 2-element dataset of `type` (a type id this test owns or a predefined one), then check_storage.
std::string check_type(const fs::path& path, hid_t type) {
  {
    H5::H5File f(path.string(), H5F_ACC_TRUNC);
    const hsize_t n = 2;
    const double values[2] = {1.0, 2.0};
    H5::DataSet ds = f.createDataSet("x", H5::DataType(type), H5::DataSpace(1, &n));
    ds.write(values, H5::PredType::NATIVE_DOUBLE);
  }
  const H5::H5File f(path.string(), H5F_ACC_RDONLY);
  return error_of([&] { check_storage(path.string(), f.openDataSet("x"), "x"); });
}

// numpy's float16 as h5py builds it: a copy of IEEE binary32 with binary16 fields.
hid_t float16() {
  const hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(t, 15, 10, 5, 0, 10);
  H5Tset_size(t, 2);
  H5Tset_ebias(t, 15);
  return t;
}

TEST(H5Checks, EveryStandardNumberTypeIsAccepted) {
  const testing::TempDir dir;
  for (const hid_t t : {H5T_STD_I8LE, H5T_STD_U8BE, H5T_STD_I16BE, H5T_STD_U16LE, H5T_STD_I32LE, H5T_STD_U32BE, H5T_STD_I64BE,
                        H5T_STD_U64LE, H5T_IEEE_F32LE, H5T_IEEE_F32BE, H5T_IEEE_F64LE, H5T_IEEE_F64BE}) {
    EXPECT_EQ(check_type(dir / "ok.h5", t), "no error");
  }
  const hid_t half = float16();
  EXPECT_EQ(check_type(dir / "half.h5", half), "no error");
  H5Tclose(half);
}

TEST(H5Checks, ACorruptNumberTypeFieldIsOneError) {
  const testing::TempDir dir;
  const fs::path path = dir / "bad.h5";
  const std::string expected = path.string() + ": dataset 'x' has a corrupt number type (not a standard integer or IEEE float layout)";
  struct Case {
    const char* what;
    std::function<void(hid_t)> corrupt;
    hid_t base;
  };
  const std::vector<Case> cases = {
      {"int32 with 31-bit precision", [](hid_t t) { H5Tset_precision(t, 31); }, H5T_STD_I32LE},
      {"int32 with bit offset 1", [](hid_t t) { H5Tset_precision(t, 31), H5Tset_offset(t, 1); }, H5T_STD_I32LE},
      {"uint16 with ones as padding", [](hid_t t) { H5Tset_pad(t, H5T_PAD_ONE, H5T_PAD_ONE); }, H5T_STD_U16LE},
      {"float32 with exponent bias 126", [](hid_t t) { H5Tset_ebias(t, 126); }, H5T_IEEE_F32LE},
      {"float64 with a 51-bit mantissa", [](hid_t t) { H5Tset_fields(t, 63, 51, 12, 0, 51); }, H5T_IEEE_F64LE},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const hid_t t = H5Tcopy(c.base);
    c.corrupt(t);
    EXPECT_EQ(check_type(path, t), expected);
    H5Tclose(t);
  }
}

}  // namespace
}  // namespace snngx::h5
