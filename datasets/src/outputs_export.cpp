#include "snngx/datasets/outputs_export.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "snngx/datasets/h5.hpp"
#include "snngx/io/npy.hpp"
#include "snngx/io/output_files.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;
namespace {

struct MemoryType {
  H5::PredType type;
  std::string descr;
};

// The native type to read a stored dataset into, and its NumPy name (x86-64: little-endian).
std::optional<MemoryType> memory_type(const H5::DataSet& ds) {
  const H5T_class_t cls = ds.getTypeClass();
  if (cls == H5T_FLOAT) {
    const auto size = ds.getFloatType().getSize();
    if (size == 4) return MemoryType{H5::PredType::NATIVE_FLOAT, "<f4"};
    if (size == 8) return MemoryType{H5::PredType::NATIVE_DOUBLE, "<f8"};
    return std::nullopt;
  }
  if (cls != H5T_INTEGER) return std::nullopt;
  const H5::IntType it = ds.getIntType();
  const bool sign = it.getSign() != H5T_SGN_NONE;
  switch (it.getSize()) {
    case 1: return sign ? MemoryType{H5::PredType::NATIVE_INT8, "|i1"} : MemoryType{H5::PredType::NATIVE_UINT8, "|u1"};
    case 2: return sign ? MemoryType{H5::PredType::NATIVE_INT16, "<i2"} : MemoryType{H5::PredType::NATIVE_UINT16, "<u2"};
    case 4: return sign ? MemoryType{H5::PredType::NATIVE_INT32, "<i4"} : MemoryType{H5::PredType::NATIVE_UINT32, "<u4"};
    case 8: return sign ? MemoryType{H5::PredType::NATIVE_INT64, "<i8"} : MemoryType{H5::PredType::NATIVE_UINT64, "<u8"};
    default: return std::nullopt;
  }
}

template <typename T>
T at(const std::vector<std::uint8_t>& bytes, std::uint64_t i) {
  T v;
  std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

std::string OutputArray::element(std::uint64_t i) const {
  char buf[40];
  if (is_float) {
    const double v = item_bytes == 4 ? static_cast<double>(at<float>(bytes, i)) : at<double>(bytes, i);
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
  }
  if (is_signed) {
    std::int64_t v = 0;
    switch (item_bytes) {
      case 1: v = at<std::int8_t>(bytes, i); break;
      case 2: v = at<std::int16_t>(bytes, i); break;
      case 4: v = at<std::int32_t>(bytes, i); break;
      default: v = at<std::int64_t>(bytes, i); break;
    }
    return std::to_string(v);
  }
  std::uint64_t v = 0;
  switch (item_bytes) {
    case 1: v = at<std::uint8_t>(bytes, i); break;
    case 2: v = at<std::uint16_t>(bytes, i); break;
    case 4: v = at<std::uint32_t>(bytes, i); break;
    default: v = at<std::uint64_t>(bytes, i); break;
  }
  return std::to_string(v);
}

namespace {
// One array, or nothing when the dataset is not a 1-D or 2-D table of numbers.
std::optional<OutputArray> read_array(const H5::H5File& file, const std::string& name, const std::string& where) {
  const H5::DataSet ds = file.openDataSet(name);
  const auto type = memory_type(ds);
  const auto dims = h5::dims(ds);
  if (!type || dims.empty() || dims.size() > 2) return std::nullopt;
  // A corrupted extent or chunk layout would make libhdf5 copy past its buffers, and a huge
  // extent would make the buffer below fail to allocate: both are refused here, naming the file.
  h5::check_storage(where, ds, name);
  OutputArray a;
  a.name = name;
  a.shape.assign(dims.begin(), dims.end());
  a.npy_descr = type->descr;
  a.item_bytes = type->type.getSize();
  a.is_float = ds.getTypeClass() == H5T_FLOAT;
  a.is_signed = a.is_float || ds.getIntType().getSign() != H5T_SGN_NONE;
  const auto count = static_cast<std::uint64_t>(ds.getSpace().getSimpleExtentNpoints());
  try {
    a.bytes.resize(count * a.item_bytes);
  } catch (const std::exception&) {  // bad_alloc / length_error: a chunked extent no memory can hold
    h5::fail(where, "dataset '" + name + "' is too large to read (" + std::to_string(count) + " values)");
  }
  try {
    if (count > 0) ds.read(a.bytes.data(), type->type);
  } catch (const H5::Exception& e) {  // most often a Fletcher-32 mismatch: a flipped bit in the stored numbers
    h5::fail(where, "dataset '" + name + "' cannot be read: corrupt (checksum or stored bytes; " + e.getDetailMsg() + ")");
  }
  return a;
}
}  // namespace

void OutputsWriter::add_array(std::string name, const void* data, std::size_t count, Element element,
                              std::vector<std::uint64_t> shape) {
  std::uint64_t elements = 1;
  for (const auto d : shape) elements *= d;
  if (shape.empty() || shape.size() > 3 || elements != count)
    throw std::logic_error("outputs array '" + name + "': " + std::to_string(count) + " values do not fill its shape");
  arrays_.push_back({std::move(name), std::move(shape), data, element});
}

void OutputsWriter::add(std::string name, std::span<const std::int32_t> v, std::vector<std::uint64_t> shape) {
  add_array(std::move(name), v.data(), v.size(), Element::i32, std::move(shape));
}
void OutputsWriter::add(std::string name, std::span<const std::uint8_t> v, std::vector<std::uint64_t> shape) {
  add_array(std::move(name), v.data(), v.size(), Element::u8, std::move(shape));
}
void OutputsWriter::add(std::string name, std::span<const std::uint64_t> v, std::vector<std::uint64_t> shape) {
  add_array(std::move(name), v.data(), v.size(), Element::u64, std::move(shape));
}
void OutputsWriter::add(std::string name, std::span<const float> v, std::vector<std::uint64_t> shape) {
  add_array(std::move(name), v.data(), v.size(), Element::f32, std::move(shape));
}

void OutputsWriter::write(const fs::path& path) const {
  H5::H5File f = h5::create_checksummed_file(path);  // headers and every array checksummed (docs/formats.md)
  for (const auto& a : arrays_) {
    // (stored type, memory type) per element kind: little-endian in the file, native in memory.
    const auto [file_type, mem_type] = [&] {
      switch (a.element) {
        case Element::u8: return std::pair{H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8};
        case Element::u64: return std::pair{H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64};
        case Element::f32: return std::pair{H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT};
        case Element::i32: break;
      }
      return std::pair{H5::PredType::STD_I32LE, H5::PredType::NATIVE_INT32};
    }();
    const std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
    h5::write_checksummed(f, a.name, file_type, dims, mem_type, a.data);
  }
}

std::vector<OutputArray> read_output_arrays(const fs::path& path) {
  const std::string where = path.string();
  const H5::H5File file = h5::open_read(path);
  h5::expect_kind(file, where, "an outputs file");
  std::vector<OutputArray> arrays;
  try {
    for (const std::string& name : h5::link_names(file)) {
      if (file.childObjType(name) != H5O_TYPE_DATASET) continue;
      if (auto a = read_array(file, name, where)) arrays.push_back(std::move(*a));
    }
  } catch (const H5::Exception& e) {  // a corrupt file: one line naming it, as every reader
    h5::fail(where, "HDF5 error: " + e.getDetailMsg());
  }
  if (arrays.empty()) h5::fail(where, "holds no arrays of numbers to export");
  std::sort(arrays.begin(), arrays.end(), [](const OutputArray& x, const OutputArray& y) { return x.name < y.name; });
  // A corrupted link table can repeat a name; two arrays must never stage the same output file.
  for (std::size_t i = 1; i < arrays.size(); ++i)
    if (arrays[i].name == arrays[i - 1].name) h5::fail(where, "holds two arrays named '" + arrays[i].name + "' (corrupt file)");
  return arrays;
}

std::string to_csv(const OutputArray& a) {
  const std::uint64_t rows = a.shape[0];
  const std::uint64_t cols = a.shape.size() == 2 ? a.shape[1] : 1;
  std::string csv = "sample";
  if (a.shape.size() == 1) csv += "," + a.name;
  else
    for (std::uint64_t c = 0; c < cols; ++c) csv += "," + a.name + "_" + std::to_string(c);
  csv += "\n";
  for (std::uint64_t r = 0; r < rows; ++r) {
    csv += std::to_string(r);
    for (std::uint64_t c = 0; c < cols; ++c) csv += "," + a.element(r * cols + c);
    csv += "\n";
  }
  return csv;
}

std::vector<fs::path> export_outputs(const fs::path& outputs_file, const fs::path& dir, ExportFormat format) {
  const auto arrays = read_output_arrays(outputs_file);
  const io::NewFolder folder(dir);
  io::StagedOutputs staged;
  std::vector<fs::path> written;
  for (const auto& a : arrays) {
    const fs::path target = dir / (a.name + (format == ExportFormat::csv ? ".csv" : ".npy"));
    if (format == ExportFormat::csv) {
      staged.write_text(target, to_csv(a));
    } else {
      const auto bytes = io::npy_file(a.npy_descr, a.item_bytes, a.shape, a.bytes);
      io::write_bytes_to(staged.stage(target), bytes);
    }
    written.push_back(target);
  }
  staged.commit();
  folder.keep();
  return written;
}

}  // namespace snngx::datasets
