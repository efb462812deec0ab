#include "snngx/datasets/h5.hpp"

#include "snngx/io/output_files.hpp"

#include "direct_chunks.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
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
  // Names read from a corrupted file may hold control bytes; the error stays one printable line.
  std::string line = where + ": " + what;
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  throw std::runtime_error(line);
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

// libhdf5 trusts the fields of a stored number type: a precision corrupted from 32 to 33 bits in a
// 4-byte integer made its conversion return different values for different selections of the same
// dataset (FrameFileFuzz, layout 1, seed 203: the labels read whole were shifted by ten samples,
// read seven at a time they were all 0). A number type must therefore be one of HDF5's standard
// integer types or an IEEE binary16/32/64 float, field for field (what every writer, h5py
// included, stores).
bool ieee_float_layout(hid_t type) {  // binary16 (numpy's float16, as h5py stores it), binary32, binary64
  const std::size_t size = H5Tget_size(type);
  const std::size_t exponent_bits = size == 2 ? 5 : size == 4 ? 8 : size == 8 ? 11 : 0;
  if (exponent_bits == 0 || H5Tget_offset(type) != 0 || H5Tget_precision(type) != 8 * size) return false;
  std::size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
  if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0) return false;
  const std::size_t mantissa_bits = 8 * size - 1 - exponent_bits;
  H5T_pad_t lsb = H5T_PAD_ERROR, msb = H5T_PAD_ERROR;
  const H5T_order_t order = H5Tget_order(type);
  return spos == 8 * size - 1 && epos == mantissa_bits && esize == exponent_bits && mpos == 0 && msize == mantissa_bits &&
         H5Tget_ebias(type) == (std::size_t{1} << (exponent_bits - 1)) - 1 && H5Tget_norm(type) == H5T_NORM_IMPLIED &&
         H5Tget_inpad(type) == H5T_PAD_ZERO && H5Tget_pad(type, &lsb, &msb) >= 0 && lsb == H5T_PAD_ZERO &&
         msb == H5T_PAD_ZERO && (order == H5T_ORDER_LE || order == H5T_ORDER_BE);
}

bool standard_number_type(hid_t type) {
  if (H5Tget_class(type) == H5T_FLOAT) return ieee_float_layout(type);
  static const hid_t standard[] = {H5T_STD_I8LE,  H5T_STD_I8BE,  H5T_STD_U8LE,  H5T_STD_U8BE,  H5T_STD_I16LE, H5T_STD_I16BE,
                                   H5T_STD_U16LE, H5T_STD_U16BE, H5T_STD_I32LE, H5T_STD_I32BE, H5T_STD_U32LE, H5T_STD_U32BE,
                                   H5T_STD_I64LE, H5T_STD_I64BE, H5T_STD_U64LE, H5T_STD_U64BE};
  return std::any_of(std::begin(standard), std::end(standard), [type](hid_t s) { return H5Tequal(type, s) > 0; });
}

// A string type as every writer stores one: one-byte C characters (H5T_C_S1), ASCII or UTF-8, a
// known padding, fixed or variable length. A variable-length string's character type is stored
// apart, with a size of its own; corrupted to 2 GiB, libhdf5 allocated and zeroed that much per
// character of the string (NirFileFuzz, the Norse file: 54 s and 102 s for one file).
bool standard_string_type(hid_t type) {
  const H5T_cset_t cset = H5Tget_cset(type);
  const H5T_str_t pad = H5Tget_strpad(type);
  const htri_t variable = H5Tis_variable_str(type);
  if ((cset != H5T_CSET_ASCII && cset != H5T_CSET_UTF8) || pad < H5T_STR_NULLTERM || pad > H5T_STR_SPACEPAD || variable < 0) return false;
  const std::size_t size = H5Tget_size(type);
  if (variable == 0 && size == 0) return false;
  const hid_t standard = H5Tcopy(H5T_C_S1);
  const bool same = standard >= 0 && H5Tset_size(standard, variable > 0 ? H5T_VARIABLE : size) >= 0 &&
                    H5Tset_cset(standard, cset) >= 0 && H5Tset_strpad(standard, pad) >= 0 && H5Tequal(standard, type) > 0;
  if (standard >= 0) H5Tclose(standard);
  return same;
}

void check_number_type(const std::string& where, const H5::DataType& type, const std::string& what) {
  const H5T_class_t cls = type.getClass();
  if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && !standard_number_type(type.getId()))
    fail(where, what + " has a corrupt number type (not a standard integer or IEEE float layout)");
  if (cls == H5T_STRING && !standard_string_type(type.getId()))
    fail(where, what + " has a corrupt string type (not one-byte characters, ASCII or UTF-8)");
  if (cls == H5T_VLEN) check_number_type(where, type.getSuper(), what + " (its elements)");  // sized apart, as a string's characters
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
// String attributes are written as fixed-length (null-padded) strings, not variable-length ones:
// vlen strings live in HDF5's global heap, which libhdf5 1.10 copies without bounds checks, so one
// corrupted length there crashed the reader (SIGSEGV in H5HG_read, found by FrameFileFuzz and
// ModelFileFuzz). Fixed-length strings are plain attribute bytes. get_strings reads both kinds.
namespace {
void set_fixed_strings(H5::H5Object& obj, const std::string& name, const std::vector<std::string>& values, bool scalar) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size() + 1);
  std::vector<char> bytes(std::max<std::size_t>(values.size(), 1) * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::copy(values[i].begin(), values[i].end(), bytes.begin() + static_cast<std::ptrdiff_t>(i * width));
  const H5::StrType type(H5::PredType::C_S1, width);
  const hsize_t n = values.size();
  create(obj, name, type, scalar ? H5::DataSpace(H5S_SCALAR) : H5::DataSpace(1, &n)).write(type, bytes.data());
}
}  // namespace

void set_attr(H5::H5Object& obj, const std::string& name, const std::string& value) {
  set_fixed_strings(obj, name, {value}, true);
}
void set_attr(H5::H5Object& obj, const std::string& name, const std::vector<std::int64_t>& value) {
  const hsize_t n = value.size();
  create(obj, name, H5::PredType::NATIVE_INT64, H5::DataSpace(1, &n))
      .write(H5::PredType::NATIVE_INT64, value.data());
}
void set_attr(H5::H5Object& obj, const std::string& name, const std::vector<std::string>& value) {
  set_fixed_strings(obj, name, value, false);
}

std::vector<std::int64_t> get_ints(const H5::H5Object& obj, const std::string& name,
                                   const std::string& where) {
  const H5::Attribute a = open_attr(obj, name, where);
  if (a.getTypeClass() != H5T_INTEGER) fail(where, "attribute '" + name + "' must be an integer");
  check_number_type(where, a.getDataType(), "attribute '" + name + "'");
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
  check_number_type(where, a.getDataType(), "attribute '" + name + "'");
  if (attr_count(a, name, where) != 1) fail(where, "attribute '" + name + "' must be a single number");
  double v = 0;
  a.read(H5::PredType::NATIVE_DOUBLE, &v);
  return v;
}

std::vector<std::string> get_strings(const H5::H5Object& obj, const std::string& name,
                                     const std::string& where) {
  const H5::Attribute a = open_attr(obj, name, where);
  if (a.getTypeClass() != H5T_STRING) fail(where, "attribute '" + name + "' must be a string");
  check_number_type(where, a.getDataType(), "attribute '" + name + "'");
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

namespace {
// Whether a contiguous dataset's `bytes` lie inside the file, both as stored and as libhdf5 sees
// it (its end-of-allocation address). A corrupted superblock (base address 0 -> 4) made libhdf5
// shorten the file by 4 bytes: the last label then lay past its end, and libhdf5's sieve buffer
// returned stale memory for it, a different value for each selection (FrameFileFuzz, layout 1,
// seed 203, mutation 5,107: read_frames and FrameSource disagreed on the last label).
// The end of what a read of `ds`'s file can reach: the smaller of the file's size and its
// end-of-allocation address (relative to the base address, which is the user block's size).
std::optional<std::uintmax_t> readable_end(const H5::DataSet& ds) {
  const hid_t file = H5Iget_file_id(ds.getId());
  if (file < 0) return std::nullopt;
  haddr_t eoa = 0;
  hsize_t user_block = 0;
  const hid_t create = H5Fget_create_plist(file);
  const bool have_eoa = create >= 0 && H5Pget_userblock(create, &user_block) >= 0 && H5Fget_eoa(file, &eoa) >= 0;
  if (create >= 0) H5Pclose(create);
  H5Fclose(file);
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(ds.getFileName(), ec);
  if (!have_eoa || ec) return std::nullopt;
  return std::min<std::uintmax_t>(eoa + user_block, size);
}

bool within_file(const H5::DataSet& ds, hsize_t bytes) {
  const haddr_t offset = H5Dget_offset(ds.getId());
  if (offset == HADDR_UNDEF) return false;  // not allocated, or in an external file: neither is read
  const auto end = readable_end(ds);
  return end && offset <= *end && bytes <= *end - offset;
}
}  // namespace

void check_storage(const std::string& where, const H5::DataSet& ds, const std::string& name) {
  check_number_type(where, ds.getDataType(), "dataset '" + name + "'");
  // The extent, read once. A corrupted extent beyond its maximum, or whose element count overflows
  // 64 bits (libhdf5 then reports the wrapped, small count and a reader sized its loops by the
  // huge dimension: std::bad_alloc from outputs export, OutputsFileFuzz seed 403, mutation 2,052).
  const H5::DataSpace space = ds.getSpace();
  const int rank = std::max(space.getSimpleExtentNdims(), 0);
  std::vector<hsize_t> cur(static_cast<std::size_t>(rank)), max(cur.size());
  if (rank > 0) space.getSimpleExtentDims(cur.data(), max.data());
  hsize_t points = 1;
  for (std::size_t k = 0; k < cur.size(); ++k) {
    if (max[k] != H5S_UNLIMITED && cur[k] > max[k]) fail(where, "dataset '" + name + "' has a corrupt shape (larger than its maximum)");
    if (cur[k] != 0 && points > std::numeric_limits<hsize_t>::max() / cur[k]) fail(where, "dataset '" + name + "' has a corrupt shape (too many elements)");
    points *= cur[k];
  }
  const H5::DSetCreatPropList props = ds.getCreatePlist();
  const H5D_layout_t layout = props.getLayout();
  if (layout == H5D_CHUNKED) {
    // A chunk larger than a fixed dimension cannot be written by HDF5, only corrupted into the
    // file; libhdf5 then copies past its buffers (SIGSEGV found by FrameFileFuzz).
    std::vector<hsize_t> chunk(cur.size());
    if (props.getChunk(rank, chunk.data()) != rank) fail(where, "dataset '" + name + "' has a corrupt chunk layout");
    for (std::size_t k = 0; k < chunk.size(); ++k)
      if (chunk[k] == 0 || (max[k] != H5S_UNLIMITED && chunk[k] > max[k])) fail(where, "dataset '" + name + "' has a corrupt chunk layout");
    constexpr hsize_t kChunksCheckedHere = 1024;  // larger datasets: their readers check what they read
    hsize_t chunks = 1;
    for (std::size_t k = 0; k < chunk.size(); ++k) chunks *= (cur[k] + chunk[k] - 1) / chunk[k];
    if (rank > 0 && cur[0] > 0 && chunks <= kChunksCheckedHere) {
      try {
        check_chunks(ds, 0, cur[0]);
      } catch (const H5::Exception& e) {
        fail(where, "dataset '" + name + "': " + e.getDetailMsg());
      }
    }
    return;
  }
  if (layout != H5D_CONTIGUOUS && layout != H5D_COMPACT) return;
  const std::size_t element = ds.getDataType().getSize();
  if (element == 0 || points > std::numeric_limits<hsize_t>::max() / element || ds.getStorageSize() < points * element)
    fail(where, "dataset '" + name + "' holds fewer bytes than its shape needs (truncated or corrupt)");
  if (layout == H5D_CONTIGUOUS && points > 0 && !within_file(ds, points * element))
    fail(where, "dataset '" + name + "' lies beyond the end of the file (truncated or corrupt)");
}

void check_chunks(const H5::DataSet& ds, hsize_t first, hsize_t count) {
  const H5::DSetCreatPropList props = ds.getCreatePlist();
  if (count == 0 || props.getLayout() != H5D_CHUNKED) return;
  const H5::DataSpace space = ds.getSpace();
  const int rank = space.getSimpleExtentNdims();
  if (rank <= 0) return;
  std::vector<hsize_t> cur(static_cast<std::size_t>(rank)), chunk(cur.size());
  space.getSimpleExtentDims(cur.data());
  if (props.getChunk(rank, chunk.data()) != rank) throw H5::DataSetIException("check_chunks", "corrupt chunk layout");
  hsize_t raw = ds.getDataType().getSize();
  for (const hsize_t c : chunk) {
    if (c == 0 || raw > std::numeric_limits<hsize_t>::max() / c) throw H5::DataSetIException("check_chunks", "corrupt chunk layout");
    raw *= c;
  }
  // Which filters may shrink a chunk: all but shuffle and Fletcher-32 (bit k of a chunk's mask
  // set = filter k skipped for that chunk).
  const int filters = props.getNfilters();
  std::uint32_t compressing = 0;
  for (int k = 0; k < filters && k < 32; ++k) {
    unsigned flags = 0, config = 0;
    std::size_t values = 0;
    char name[64];
    const H5Z_filter_t id = props.getFilter(k, flags, values, nullptr, sizeof name, name, config);
    if (id != H5Z_FILTER_SHUFFLE && id != H5Z_FILTER_FLETCHER32) compressing |= std::uint32_t{1} << k;
  }
  // A chunk's stored size sits in the chunk index too, unchecksummed in a v1 B-tree: corrupted
  // to gigabytes, libhdf5 allocates that much before its read fails (ModelFileFuzz, seed 303).
  const auto end = readable_end(ds);
  if (!end) throw H5::DataSetIException("check_chunks", "cannot tell where the file ends");
  const hsize_t last = std::min(first + count, cur[0]);
  std::vector<hsize_t> at(cur.size(), 0);
  for (hsize_t row = first / chunk[0] * chunk[0]; row < last; row += chunk[0]) {
    at[0] = row;
    unsigned mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t stored = 0;
    if (H5Dget_chunk_info_by_coord(ds.getId(), at.data(), &mask, &address, &stored) < 0)
      throw H5::DataSetIException("check_chunks", "cannot look up the chunk at row " + std::to_string(row) + " (corrupt file)");
    if (address == HADDR_UNDEF) continue;  // never written: reads as fill values
    if (address > *end || stored > *end - address)
      throw H5::DataSetIException("check_chunks", "chunk at row " + std::to_string(row) + " lies beyond the end of the file (truncated or corrupt)");
    const bool compressed = (compressing & ~mask) != 0;
    if (!compressed && stored < raw)
      throw H5::DataSetIException("check_chunks", "chunk at row " + std::to_string(row) +
                                                      " is stored shorter than its data with no compression applied (corrupt file)");
  }
}

namespace {
// Little-endian field of `n` bytes at `at` (HDF5 encodes the file format little-endian).
std::uint64_t le_field(const std::vector<char>& b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < n; ++k) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[at + k])) << (8 * k);
  return v;
}

std::vector<char> file_bytes(std::ifstream& in, std::uint64_t at, std::uint64_t n) {
  std::vector<char> b(n);
  in.seekg(static_cast<std::streamoff>(at));
  if (!in.read(b.data(), static_cast<std::streamsize>(n))) b.clear();
  return b;
}

// The sizes of one object in a global heap collection, walked exactly as libhdf5 1.10's
// H5HG__cache_heap_deserialize walks it, but refusing what it trusts: an object running past the
// collection, a zero-length step (an endless loop there), a collection past the end of the file.
// Returns the size recorded for object `index`, or nullopt when the collection is malformed or
// has no such object.
std::optional<std::uint64_t> heap_object_size(std::ifstream& in, std::uint64_t file_size, std::uint64_t addr, std::uint32_t index,
                                              std::size_t sizeof_size) {
  constexpr std::uint64_t min_collection = 4096;  // H5HG_MINSIZE: libhdf5 first reads this much
  const std::size_t header = 4 + 1 + 3 + sizeof_size, object_header = 2 + 2 + 4 + sizeof_size;
  if (index == 0 || addr >= file_size || file_size - addr < min_collection) return std::nullopt;
  const std::vector<char> head = file_bytes(in, addr, header);
  if (head.size() != header || std::string(head.data(), 4) != "GCOL" || head[4] != 1) return std::nullopt;
  const std::uint64_t size = le_field(head, 8, sizeof_size);
  if (size < min_collection || size > file_size - addr) return std::nullopt;
  const std::vector<char> heap = file_bytes(in, addr, size);
  if (heap.size() != size) return std::nullopt;
  std::optional<std::uint64_t> found;
  std::uint64_t at = header;
  while (at < size) {
    const std::uint64_t left = size - at;
    if (left < object_header) break;  // libhdf5 takes the tail as free space
    const auto idx = static_cast<std::uint32_t>(le_field(heap, at, 2));
    const std::uint64_t object = le_field(heap, at + 8, sizeof_size);
    if (object > left) return std::nullopt;
    const std::uint64_t need = idx > 0 ? object_header + ((object + 7) & ~std::uint64_t{7}) : object;
    if (need == 0 || need > left) return std::nullopt;
    if (idx == index) found = object;  // a later duplicate wins, as in libhdf5
    at += need;
  }
  return found;
}
}  // namespace

void check_vlen_strings(const std::string& where, const H5::DataSet& ds, const std::string& name) {
  const H5::DataType type = ds.getDataType();
  if (type.getClass() != H5T_STRING || !ds.getStrType().isVariableStr()) return;
  const std::string bad = "dataset '" + name + "' has a corrupt variable-length string";
  if (ds.getCreatePlist().getLayout() != H5D_CONTIGUOUS) return;  // compact / chunked: not checked (docs/formats.md)
  std::size_t sizeof_addr = 8, sizeof_size = 8;
  {
    const hid_t file = H5Iget_file_id(ds.getId());
    const hid_t fcpl = file < 0 ? H5I_INVALID_HID : H5Fget_create_plist(file);
    const bool ok = fcpl >= 0 && H5Pget_sizes(fcpl, &sizeof_addr, &sizeof_size) >= 0;
    if (fcpl >= 0) H5Pclose(fcpl);
    if (file >= 0) H5Fclose(file);
    if (!ok || sizeof_addr > 8 || sizeof_size > 8 || sizeof_addr == 0 || sizeof_size == 0) fail(where, bad);
  }
  const auto points = static_cast<std::uint64_t>(ds.getSpace().getSimpleExtentNpoints());
  const std::uint64_t descriptor = 4 + sizeof_addr + 4;  // sequence length, heap collection address, object index
  const haddr_t offset = H5Dget_offset(ds.getId());
  if (points == 0) return;
  if (offset == HADDR_UNDEF || ds.getStorageSize() < points * descriptor) fail(where, bad);
  std::ifstream in(ds.getFileName(), std::ios::binary);
  std::error_code ec;
  const std::uint64_t file_size = fs::file_size(ds.getFileName(), ec);
  if (!in || ec || offset > file_size || points * descriptor > file_size - offset) fail(where, bad);
  const std::vector<char> raw = file_bytes(in, offset, points * descriptor);
  if (raw.size() != points * descriptor) fail(where, bad);
  for (std::uint64_t k = 0; k < points; ++k) {
    const std::size_t at = static_cast<std::size_t>(k * descriptor);
    const std::uint64_t length = le_field(raw, at, 4), addr = le_field(raw, at + 4, sizeof_addr);
    const auto index = static_cast<std::uint32_t>(le_field(raw, at + 4 + sizeof_addr, 4));
    if (addr == 0) continue;  // a null string: libhdf5 reads nothing
    const auto stored = heap_object_size(in, file_size, addr, index, sizeof_size);
    if (!stored || *stored != length) fail(where, bad);
  }
}

namespace {

// The largest counts libhdf5 accepts: links and attributes then never move to dense storage.
constexpr unsigned kMaxCompact = 65535;

// Link and attribute phase changes are group (and object) creation properties; the root group's
// come from the file creation list, which shares them.
void keep_compact(hid_t creation_list) {
  if (H5Pset_link_phase_change(creation_list, kMaxCompact, kMaxCompact) < 0 ||
      H5Pset_attr_phase_change(creation_list, kMaxCompact, kMaxCompact) < 0)
    throw H5::PropListIException("keep_compact", "cannot set compact link and attribute storage");
}

herr_t collect_link_name(hid_t, const char* name, const H5L_info_t*, void* names) {
  auto& out = *static_cast<std::vector<std::string>*>(names);
  constexpr std::size_t kMaxLinks = std::size_t{1} << 20;  // a corrupted count must not exhaust memory
  if (out.size() >= kMaxLinks) return -1;
  out.emplace_back(name);
  return 0;
}

}  // namespace

H5::H5File create_checksummed_file(const fs::path& path) {
  H5::FileAccPropList access;
  access.setLibverBounds(H5F_LIBVER_V18, H5F_LIBVER_LATEST);
  const H5::FileCreatPropList creation;
  keep_compact(creation.getId());
  return H5::H5File(path.string(), H5F_ACC_TRUNC, creation, access);
}

H5::Group create_group(H5::Group& parent, const std::string& name) {
  const hid_t creation = H5Pcreate(H5P_GROUP_CREATE);
  if (creation < 0) throw H5::PropListIException("create_group", "cannot make a group creation list");
  try {
    keep_compact(creation);
  } catch (...) {
    H5Pclose(creation);
    throw;
  }
  const hid_t id = H5Gcreate2(parent.getId(), name.c_str(), H5P_DEFAULT, creation, H5P_DEFAULT);
  H5Pclose(creation);
  if (id < 0) throw H5::GroupIException("create_group", "cannot create group '" + name + "'");
  H5::Group group(id);  // holds its own reference to the id
  H5Gclose(id);
  return group;
}

std::vector<std::string> link_names(const H5::Group& group) {
  std::vector<std::string> names;
  if (H5Literate(group.getId(), H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, collect_link_name, &names) < 0)
    throw H5::GroupIException("link_names", "cannot list the group's links (corrupt file)");
  std::sort(names.begin(), names.end());
  return names;
}

H5::DataSet write_checksummed(H5::Group& parent, const std::string& name, const H5::PredType& file_type,
                              const std::vector<hsize_t>& dims, const H5::PredType& mem_type, const void* data) {
  const H5::DataSpace space = dims.empty() ? H5::DataSpace(H5S_SCALAR) : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
  const bool empty = std::any_of(dims.begin(), dims.end(), [](hsize_t d) { return d == 0; });
  H5::DSetCreatPropList props;
  if (!dims.empty() && !empty) {
    // 256 KiB: several chunks fit libhdf5's default 1 MiB chunk cache, so that a reader going
    // through an array in batches (frame labels) decodes and verifies each chunk once.
    constexpr hsize_t chunk_bytes = hsize_t{1} << 18;
    hsize_t row_bytes = file_type.getSize();
    for (std::size_t k = 1; k < dims.size(); ++k) row_bytes *= dims[k];
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::clamp<hsize_t>(chunk_bytes / std::max<hsize_t>(row_bytes, 1), 1, dims[0]);
    props.setChunk(static_cast<int>(chunk.size()), chunk.data());
    props.setFletcher32();
  }
  H5::DataSet ds = parent.createDataSet(name, file_type, space, props);
  if (!empty) ds.write(data, mem_type);
  return ds;
}

void read_whole(const H5::DataSet& ds, const H5::PredType& file_type, const H5::PredType& mem_type, void* out) {
  if (mem_type == file_type) {
    const datasets::detail::FileDescriptor fd(ds.getFileName());
    if (auto direct = datasets::detail::DirectChunks::open(ds, file_type, fd)) {
      const auto points = static_cast<std::uint64_t>(ds.getSpace().getSimpleExtentNpoints());
      if (points > 0) direct->read(0, points, out);
      return;
    }
  }
  ds.read(out, mem_type);
}

std::uint32_t fletcher32(std::span<const std::uint8_t> bytes) {
  // libhdf5 adds word by word and folds its sums back into 16 bits every 360 words; each sum ends
  // as its residue mod 65535, written 1..65535 (a positive sum never folds to 0) and 0 only for
  // all-zero data. The same residues come from exact sums over blocks of words, which the
  // compiler vectorizes: after a block of n words w_0..w_{n-1}, sum1 grows by L1 = sum(w_k) and
  // sum2 by n * sum1 + L2, L2 = sum((n - k) * w_k) (libhdf5 adds the running sum1 after each
  // word). At 256 words L2 < 2^32.
  constexpr std::size_t kBlock = 256;
  constexpr std::uint64_t kModulus = 65535;
  std::uint64_t sum1 = 0, sum2 = 0;
  bool nonzero = false;
  const auto add_block = [&](const std::uint8_t* at, std::size_t n) {
    std::uint32_t l1 = 0, l2 = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint32_t word = static_cast<std::uint32_t>(at[2 * k]) << 8 | at[2 * k + 1];
      l1 += word;
      l2 += static_cast<std::uint32_t>(n - k) * word;
    }
    sum2 = (sum2 + n * sum1 + l2) % kModulus;
    sum1 = (sum1 + l1) % kModulus;
    nonzero |= l1 != 0;
  };
  const std::size_t words = bytes.size() / 2;
  std::size_t done = 0;
  for (; done + kBlock <= words; done += kBlock) add_block(bytes.data() + 2 * done, kBlock);  // fixed trip count
  if (done < words) add_block(bytes.data() + 2 * done, words - done);
  if (bytes.size() % 2 != 0) {  // the odd last byte is the high half of a word
    const std::uint64_t word = static_cast<std::uint64_t>(bytes.back()) << 8;
    sum1 = (sum1 + word) % kModulus;
    sum2 = (sum2 + sum1) % kModulus;
    nonzero |= word != 0;
  }
  const auto written = [nonzero](std::uint64_t residue) {
    return static_cast<std::uint32_t>(!nonzero ? 0 : residue == 0 ? kModulus : residue);
  };
  return written(sum2) << 16 | written(sum1);
}

std::vector<hsize_t> dims(const H5::DataSet& ds) {
  const H5::DataSpace space = ds.getSpace();
  std::vector<hsize_t> d(static_cast<size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(d.data());
  return d;
}

}  // namespace snngx::h5
