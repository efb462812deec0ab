#include "snngx/datasets/h5.hpp"

#include "snngx/io/output_files.hpp"

#include <fstream>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace snngx::h5 {
namespace fs = std::filesystem;

namespace {
// HDF5's C++ API prints an error stack for every exception; we report errors ourselves.
[[maybe_unused]] const bool quiet_hdf5 = [] {
  H5::Exception::dontPrint();
  return true;
}();
}  // namespace

void fail(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

void write_atomically(const fs::path& path, const std::function<void(const fs::path&)>& write) {
  io::write_atomically(path, write);
}

H5::H5File open_read(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path.string(), "no such file");
  if (fs::is_directory(path, ec)) fail(path.string(), "is a folder, not a file");
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0) fail(path.string(), "the file is empty");
  if (!H5::H5File::isHdf5(path.string())) {
    std::ifstream in(path, std::ios::binary);
    std::string magic(8, '\0');
    in.read(magic.data(), 8);
    if (magic == "SNNGXKEY") fail(path.string(), "is a key file, not an HDF5 file");
    fail(path.string(), "not an HDF5 file");
  }
  try {
    return H5::H5File(path.string(), H5F_ACC_RDONLY);
  } catch (const H5::Exception& e) {
    fail(path.string(), "cannot open HDF5 file (" + e.getDetailMsg() + ")");
  }
}

bool has_attr(const H5::H5Object& obj, const std::string& name) { return obj.attrExists(name); }

std::string file_kind(const H5::H5File& file) {
  try {
    if (file.attrExists("format") && file.openAttribute("format").getTypeClass() == H5T_STRING &&
        get_string(file, "format", "") == "snngx-model")
      return "a model file";
    if (file.nameExists("frames") || (file.attrExists("layout") && file.nameExists("sample_offsets"))) return "a frame file";  // layout 1 or 2
    if (file.nameExists("predictions")) return "an outputs file";
  } catch (const std::exception&) {  // unreadable contents: the reader reports them itself
  } catch (const H5::Exception&) {
  }
  return "";
}

void expect_kind(const H5::H5File& file, const std::string& where, const std::string& expected) {
  const std::string kind = file_kind(file);
  if (!kind.empty() && kind != expected) fail(where, "is " + kind + ", not " + expected);
}

namespace {
H5::Attribute create(H5::H5Object& obj, const std::string& name, const H5::DataType& type,
                     const H5::DataSpace& space) {
  if (obj.attrExists(name)) obj.removeAttr(name);
  return obj.createAttribute(name, type, space);
}

H5::Attribute open_attr(const H5::H5Object& obj, const std::string& name, const std::string& where) {
  if (!obj.attrExists(name)) fail(where, "attribute '" + name + "' missing");
  return obj.openAttribute(name);
}

hsize_t attr_count(const H5::Attribute& a, const std::string& name, const std::string& where) {
  const H5::DataSpace space = a.getSpace();
  const int rank = space.getSimpleExtentNdims();
  if (rank == 0) return 1;
  if (rank != 1) fail(where, "attribute '" + name + "' must be a scalar or 1-D array");
  hsize_t n = 0;
  space.getSimpleExtentDims(&n);
  return n;
}
}  // namespace

void set_attr(H5::H5Object& obj, const std::string& name, std::int64_t value) {
  create(obj, name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_INT64, &value);
}
void set_attr(H5::H5Object& obj, const std::string& name, double value) {
  create(obj, name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_DOUBLE, &value);
}
void set_attr_f32(H5::H5Object& obj, const std::string& name, float value) {
  create(obj, name, H5::PredType::NATIVE_FLOAT, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_FLOAT, &value);
}
void set_attr(H5::H5Object& obj, const std::string& name, const std::string& value) {
  const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  const char* c = value.c_str();
  create(obj, name, type, H5::DataSpace(H5S_SCALAR)).write(type, &c);
}
void set_attr(H5::H5Object& obj, const std::string& name, const std::vector<std::int64_t>& value) {
  const hsize_t n = value.size();
  create(obj, name, H5::PredType::NATIVE_INT64, H5::DataSpace(1, &n))
      .write(H5::PredType::NATIVE_INT64, value.data());
}
void set_attr(H5::H5Object& obj, const std::string& name, const std::vector<std::string>& value) {
  const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  std::vector<const char*> ptrs;
  for (const auto& s : value) ptrs.push_back(s.c_str());
  const hsize_t n = value.size();
  create(obj, name, type, H5::DataSpace(1, &n)).write(type, ptrs.data());
}

std::vector<std::int64_t> get_ints(const H5::H5Object& obj, const std::string& name,
                                   const std::string& where) {
  const H5::Attribute a = open_attr(obj, name, where);
  if (a.getTypeClass() != H5T_INTEGER) fail(where, "attribute '" + name + "' must be an integer");
  std::vector<std::int64_t> out(attr_count(a, name, where));
  a.read(H5::PredType::NATIVE_INT64, out.data());
  return out;
}

std::int64_t get_int(const H5::H5Object& obj, const std::string& name, const std::string& where) {
  const auto v = get_ints(obj, name, where);
  if (v.size() != 1) fail(where, "attribute '" + name + "' must be a single integer");
  return v[0];
}

double get_double(const H5::H5Object& obj, const std::string& name, const std::string& where) {
  const H5::Attribute a = open_attr(obj, name, where);
  if (a.getTypeClass() != H5T_FLOAT && a.getTypeClass() != H5T_INTEGER)
    fail(where, "attribute '" + name + "' must be a number");
  if (attr_count(a, name, where) != 1) fail(where, "attribute '" + name + "' must be a single number");
  double v = 0;
  a.read(H5::PredType::NATIVE_DOUBLE, &v);
  return v;
}

std::vector<std::string> get_strings(const H5::H5Object& obj, const std::string& name,
                                     const std::string& where) {
  const H5::Attribute a = open_attr(obj, name, where);
  if (a.getTypeClass() != H5T_STRING) fail(where, "attribute '" + name + "' must be a string");
  const hsize_t n = attr_count(a, name, where);
  const H5::StrType stored = a.getStrType();
  std::vector<std::string> out;
  if (stored.isVariableStr()) {
    const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    std::vector<char*> ptrs(n, nullptr);
    a.read(type, ptrs.data());
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(type.getId(), a.getSpace().getId(), H5P_DEFAULT, ptrs.data());
  } else {
    const size_t len = stored.getSize();
    std::vector<char> buf(n * len);
    a.read(stored, buf.data());
    for (hsize_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * len, len);
      s.erase(s.find_last_not_of('\0') + 1);
      out.push_back(s);
    }
  }
  return out;
}

std::string get_string(const H5::H5Object& obj, const std::string& name, const std::string& where) {
  const auto v = get_strings(obj, name, where);
  if (v.size() != 1) fail(where, "attribute '" + name + "' must be a single string");
  return v[0];
}

std::vector<hsize_t> dims(const H5::DataSet& ds) {
  const H5::DataSpace space = ds.getSpace();
  std::vector<hsize_t> d(static_cast<size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(d.data());
  return d;
}

}  // namespace snngx::h5
