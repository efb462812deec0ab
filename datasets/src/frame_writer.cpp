// Streaming frame-file writer for both layouts (docs/formats.md).
// Layout 1: extendible [N,T,C,H,W] dataset, one deflate + Fletcher-32 chunk per sample, compressed
// and checksummed by the caller's threads and stored with H5Dwrite_chunk (byte-identical to
// HDF5's own filters).
// Layout 2: the nonzero cells of each sample (CSR over samples), buffered and appended in blocks
// to extendible 1-D datasets, so memory stays bounded by one block whatever N is.
#include <unistd.h>
#include <zlib.h>

#include <limits>
#include <algorithm>
#include <stdexcept>
#include <system_error>

#include "snngx/datasets/frames.hpp"
#include "snngx/io/errors.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/io/output_files.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;

namespace {
constexpr int deflate_level = 4;              // layout 1, as before
constexpr hsize_t event_chunk = hsize_t{1} << 15;  // layout 2: elements per HDF5 chunk
constexpr hsize_t offset_chunk = hsize_t{1} << 13;
constexpr std::size_t flush_events = std::size_t{1} << 20;  // buffered cells before a write

// String attributes as fixed-length, not variable-length, strings: vlen strings live in HDF5's
// global heap, which libhdf5 copies without bounds checks, so one corrupted length there crashed
// the reader (FrameFileFuzz); fixed-length strings are plain attribute bytes. h5::get_strings
// reads both kinds, so older files still load.
void set_fixed_strings(H5::H5File& file, const std::string& name, const std::vector<std::string>& values, bool scalar) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size() + 1);
  std::vector<char> bytes(std::max<std::size_t>(values.size(), 1) * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) std::copy(values[i].begin(), values[i].end(), bytes.begin() + static_cast<std::ptrdiff_t>(i * width));
  const H5::StrType type(H5::PredType::C_S1, width);
  const hsize_t n = values.size();
  const H5::DataSpace space = scalar ? H5::DataSpace(H5S_SCALAR) : H5::DataSpace(1, &n);
  if (file.attrExists(name)) file.removeAttr(name);
  file.createAttribute(name, type, space).write(type, bytes.data());
}

H5::DataSet create_1d(H5::H5File& file, const std::string& name, const H5::PredType& type, hsize_t chunk, int deflate) {
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
  H5::DSetCreatPropList props;
  props.setChunk(1, &chunk);
  if (deflate > 0) {
    props.setShuffle();
    props.setDeflate(deflate);
  }
  // Fletcher-32 per chunk: a flipped count or index that still forms a valid sample is a read
  // error, not silently different data (FrameFileFuzz); it costs little to verify (docs/formats.md).
  props.setFletcher32();
  return file.createDataSet(name, type, H5::DataSpace(1, &zero, &unlimited), props);
}

// Appends `values` at the end of an extendible 1-D dataset of current length `length`.
template <class T>
void append_1d(H5::DataSet& ds, hsize_t& length, const std::vector<T>& values, const H5::PredType& mem) {
  if (values.empty()) return;
  const hsize_t n = values.size(), end = length + n;
  ds.extend(&end);
  H5::DataSpace fspace = ds.getSpace();
  fspace.selectHyperslab(H5S_SELECT_SET, &n, &length);
  const H5::DataSpace mspace(1, &n);
  ds.write(values.data(), mem, mspace, fspace);
  length = end;
}
}  // namespace

FrameLayout parse_layout(const std::string& name) {
  if (name == "dense") return FrameLayout::Dense;
  if (name == "sparse") return FrameLayout::Sparse;
  throw std::invalid_argument("unknown frame layout '" + name + "' (expected dense or sparse)");
}

std::string to_string(FrameLayout layout) { return layout == FrameLayout::Dense ? "dense" : "sparse"; }

struct FrameWriter::Impl {
  explicit Impl(const fs::path& target) : path(target), tmp(io::temporary_name(target)), temporary(tmp) {}
  fs::path path, tmp;
  io::Temporary temporary;  // removed on an interrupt, or when the writer dies unfinished
  FrameShape shape;
  FrameLayout layout = FrameLayout::Sparse;
  std::string source, transform;
  std::array<std::int64_t, 3> sensor_size{};
  std::vector<std::string> classes;
  H5::H5File file;
  H5::DataSet frames;                       // layout 1
  H5::DataSet offsets_ds, index_ds, count_ds;  // layout 2
  hsize_t offsets_len = 0, events_len = 0;
  std::uint64_t events_total = 0;
  std::vector<std::uint64_t> offsets;  // pending
  std::vector<std::uint32_t> index;
  std::vector<std::uint16_t> count;
  std::vector<std::int32_t> labels;
  hsize_t capacity = 0;
  bool finished = false;

  void flush() {
    append_1d(offsets_ds, offsets_len, offsets, H5::PredType::NATIVE_UINT64);
    append_1d(index_ds, events_len, index, H5::PredType::NATIVE_UINT32);
    hsize_t count_len = events_len - index.size();
    append_1d(count_ds, count_len, count, H5::PredType::NATIVE_UINT16);
    offsets.clear();
    index.clear();
    count.clear();
  }
};

FrameWriter::FrameWriter(const fs::path& path, FrameShape shape, std::string source, std::string transform,
                         std::array<std::int64_t, 3> sensor_size, std::vector<std::string> classes, FrameLayout layout,
                         int sparse_deflate)
    : impl_(std::make_unique<Impl>(path)) {
  if (shape.t <= 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
    throw std::invalid_argument(path.string() + ": frame shape must be positive in every dimension");
  if (layout == FrameLayout::Sparse && shape.sample_size() > std::numeric_limits<std::uint32_t>::max())
    throw io::ParameterError(io::ParameterError::literal(path.string()) + ": a sample of more than 2^32 cells does not fit layout 2 (use {layout} dense)");
  if (layout == FrameLayout::Dense && static_cast<double>(shape.sample_size()) * 2.0 >= 4294967296.0)  // HDF5 chunks (one sample each) stay below 4 GiB
    throw std::invalid_argument(path.string() + ": one sample of [T=" + std::to_string(shape.t) + ", C=" + std::to_string(shape.c) +
                                ", H=" + std::to_string(shape.h) + ", W=" + std::to_string(shape.w) +
                                "] takes 4 GiB or more, above HDF5's chunk limit (fewer time bins or more downsampling)");
  if (sparse_deflate < 0 || sparse_deflate > 9)
    throw std::invalid_argument(path.string() + ": deflate level must be in 0..9");
  Impl& m = *impl_;
  m.shape = shape;
  m.layout = layout;
  m.source = std::move(source);
  m.transform = std::move(transform);
  m.sensor_size = sensor_size;
  m.classes = std::move(classes);
  try {
    // HDF5 1.8 object headers carry checksums: a corrupt chunk dimension is a read error, not a
    // division by zero inside libhdf5 (fuzzing, docs/datasets.md).
    m.file = h5::create_checksummed_file(m.tmp);
    if (layout == FrameLayout::Dense) {
      const hsize_t dims[5] = {0, static_cast<hsize_t>(shape.t), static_cast<hsize_t>(shape.c),
                               static_cast<hsize_t>(shape.h), static_cast<hsize_t>(shape.w)};
      const hsize_t maxdims[5] = {H5S_UNLIMITED, dims[1], dims[2], dims[3], dims[4]};
      const hsize_t chunk[5] = {1, dims[1], dims[2], dims[3], dims[4]};
      H5::DSetCreatPropList props;
      props.setChunk(5, chunk);
      props.setDeflate(deflate_level);
      props.setFletcher32();  // after deflate: compress() appends the checksum of the deflated bytes
      m.frames = m.file.createDataSet("frames", H5::PredType::STD_U16LE, H5::DataSpace(5, dims, maxdims), props);
    } else {
      m.offsets_ds = create_1d(m.file, "sample_offsets", H5::PredType::STD_U64LE, offset_chunk, 0);
      m.index_ds = create_1d(m.file, "event_index", H5::PredType::STD_U32LE, event_chunk, sparse_deflate);
      m.count_ds = create_1d(m.file, "event_count", H5::PredType::STD_U16LE, event_chunk, sparse_deflate);
      m.offsets.push_back(0);
    }
  } catch (const H5::Exception& e) {
    std::error_code ec;
    fs::remove(m.tmp, ec);
    throw std::runtime_error(path.string() + ": cannot create frame file (" + e.getDetailMsg() + ")");
  }
}

FrameWriter::~FrameWriter() {
  if (impl_ && !impl_->finished) {
    try {
      impl_->frames.close();
      impl_->offsets_ds.close();
      impl_->index_ds.close();
      impl_->count_ds.close();
      impl_->file.close();
    } catch (...) {  // best effort: the temporary file is removed below either way
    }
    std::error_code ec;
    fs::remove(impl_->tmp, ec);
  }
}

FrameLayout FrameWriter::layout() const { return impl_->layout; }

std::vector<std::uint8_t> FrameWriter::compress(std::span<const std::uint16_t> sample) {
  const uLong raw = static_cast<uLong>(sample.size_bytes());
  uLongf size = compressBound(raw);
  std::vector<std::uint8_t> out(size);
  if (compress2(out.data(), &size, reinterpret_cast<const Bytef*>(sample.data()), raw, deflate_level) != Z_OK)
    throw std::runtime_error("frame writer: zlib compression failed");
  out.resize(size);
  // The pipeline's next filter, Fletcher-32: its checksum of the deflated bytes, little-endian.
  const std::uint32_t sum = h5::fletcher32(out);
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<std::uint8_t>(sum >> (8 * k)));
  out.shrink_to_fit();  // a block of samples waits in memory: keep the compressed size, not the bound
  return out;
}

FrameWriter::Encoded FrameWriter::encode(std::span<const std::uint16_t> sample) const {
  if (sample.size() != impl_->shape.sample_size())
    throw std::invalid_argument(impl_->path.string() + ": sample has " + std::to_string(sample.size()) +
                                " cells, expected " + std::to_string(impl_->shape.sample_size()));
  Encoded e;
  if (impl_->layout == FrameLayout::Dense) {
    e.chunk = compress(sample);
    return e;
  }
  for (std::size_t i = 0; i < sample.size(); ++i)
    if (sample[i] != 0) {
      e.index.push_back(static_cast<std::uint32_t>(i));
      e.count.push_back(sample[i]);
    }
  return e;
}

void FrameWriter::append(std::span<const std::uint16_t> sample, std::int32_t label) {
  append_encoded(encode(sample), label);
}

void FrameWriter::append_encoded(const Encoded& sample, std::int32_t label) {
  if (impl_->layout == FrameLayout::Dense) return append_compressed(sample.chunk, label);
  append_sparse({sample.index, sample.count}, label);
}

void FrameWriter::append_sparse(SparseSample sample, std::int32_t label) {
  Impl& m = *impl_;
  if (m.finished) throw std::logic_error("FrameWriter: append after finish");
  const std::size_t cells = m.shape.sample_size();
  if (sample.index.size() != sample.count.size())
    throw std::invalid_argument(m.path.string() + ": sparse sample has " + std::to_string(sample.index.size()) +
                                " indices but " + std::to_string(sample.count.size()) + " counts");
  for (std::size_t k = 0; k < sample.size(); ++k)
    if (sample.index[k] >= cells || (k > 0 && sample.index[k] <= sample.index[k - 1]) || sample.count[k] == 0)
      throw std::invalid_argument(m.path.string() + ": sparse sample " + std::to_string(m.labels.size()) +
                                  " has an index out of order or out of the shape, or a zero count");
  if (m.layout == FrameLayout::Dense) {
    std::vector<std::uint16_t> dense(cells, 0);
    for (std::size_t k = 0; k < sample.size(); ++k) dense[sample.index[k]] = sample.count[k];
    return append_compressed(compress(dense), label);
  }
  m.index.insert(m.index.end(), sample.index.begin(), sample.index.end());
  m.count.insert(m.count.end(), sample.count.begin(), sample.count.end());
  m.events_total += sample.size();
  m.offsets.push_back(m.events_total);
  m.labels.push_back(label);
  if (m.index.size() >= flush_events || m.offsets.size() >= offset_chunk) {
    try {
      m.flush();
    } catch (const H5::Exception& e) {
      throw std::runtime_error(m.path.string() + ": cannot write samples (" + e.getDetailMsg() + ")");
    }
  }
}

void FrameWriter::append_compressed(std::span<const std::uint8_t> chunk, std::int32_t label) {
  Impl& m = *impl_;
  if (m.finished) throw std::logic_error("FrameWriter: append after finish");
  if (m.layout != FrameLayout::Dense) throw std::logic_error("FrameWriter: append_compressed on a layout-2 writer");
  const hsize_t n = m.labels.size();
  if (n == m.capacity) {
    m.capacity = std::max<hsize_t>(1024, m.capacity * 2);
    const hsize_t dims[5] = {m.capacity, static_cast<hsize_t>(m.shape.t), static_cast<hsize_t>(m.shape.c),
                             static_cast<hsize_t>(m.shape.h), static_cast<hsize_t>(m.shape.w)};
    m.frames.extend(dims);
  }
  const hsize_t offset[5] = {n, 0, 0, 0, 0};
  if (H5Dwrite_chunk(m.frames.getId(), H5P_DEFAULT, 0, offset, chunk.size(), chunk.data()) < 0)
    throw std::runtime_error(m.path.string() + ": cannot write sample " + std::to_string(n));
  m.labels.push_back(label);
}

std::size_t FrameWriter::size() const { return impl_->labels.size(); }

void FrameWriter::finish() {
  Impl& m = *impl_;
  if (m.finished) return;
  try {
    const hsize_t n = m.labels.size();
    if (m.layout == FrameLayout::Dense) {
      const hsize_t dims[5] = {n, static_cast<hsize_t>(m.shape.t), static_cast<hsize_t>(m.shape.c),
                               static_cast<hsize_t>(m.shape.h), static_cast<hsize_t>(m.shape.w)};
      m.frames.extend(dims);
    } else {
      m.flush();
      h5::set_attr(m.file, "layout", std::int64_t{2});
      h5::set_attr(m.file, "frame_shape", std::vector<std::int64_t>{m.shape.t, m.shape.c, m.shape.h, m.shape.w});
    }
    // Labels checksummed too (Fletcher-32): a flipped label bit that stays in range was read as a
    // different, valid label (FrameFileFuzz: the one "changed but valid" of 10,000 layout-2 flips).
    H5::DataSet ls = h5::write_checksummed(m.file, "labels", H5::PredType::STD_I32LE, {n}, H5::PredType::NATIVE_INT32, m.labels.data());
    set_fixed_strings(m.file, "source", {m.source}, true);
    set_fixed_strings(m.file, "transform", {m.transform}, true);
    h5::set_attr(m.file, "sensor_size", std::vector<std::int64_t>(m.sensor_size.begin(), m.sensor_size.end()));
    set_fixed_strings(m.file, "classes", m.classes, false);
    ls.close();
    m.frames.close();
    m.offsets_ds.close();
    m.index_ds.close();
    m.count_ds.close();
    m.file.close();
  } catch (const H5::Exception& e) {
    throw std::runtime_error(m.path.string() + ": cannot finish frame file (" + e.getDetailMsg() + ")");
  }
  fs::rename(m.tmp, m.path);
  m.temporary.release();
  m.finished = true;
}

}  // namespace snngx::datasets
