// Streaming frame-file writer: extendible chunked dataset, chunks compressed by the caller's
// threads and stored with H5Dwrite_chunk (byte-identical to what HDF5's deflate filter stores).
#include <unistd.h>
#include <zlib.h>

#include <stdexcept>
#include <system_error>

#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/io/output_files.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;

namespace {
constexpr int deflate_level = 4;  // as write_frames
}

struct FrameWriter::Impl {
  explicit Impl(const fs::path& target) : path(target), tmp(io::temporary_name(target)), temporary(tmp) {}
  fs::path path, tmp;
  io::Temporary temporary;  // removed on an interrupt, or when the writer dies unfinished
  FrameShape shape;
  std::string source, transform;
  std::array<std::int64_t, 3> sensor_size{};
  std::vector<std::string> classes;
  H5::H5File file;
  H5::DataSet frames;
  std::vector<std::int32_t> labels;
  hsize_t capacity = 0;
  bool finished = false;
};

FrameWriter::FrameWriter(const fs::path& path, FrameShape shape, std::string source, std::string transform,
                         std::array<std::int64_t, 3> sensor_size, std::vector<std::string> classes)
    : impl_(std::make_unique<Impl>(path)) {
  if (shape.t <= 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
    throw std::invalid_argument(path.string() + ": frame shape must be positive in every dimension");
  if (static_cast<double>(shape.sample_size()) * 2.0 >= 4294967296.0)  // HDF5 chunks (one sample each) stay below 4 GiB
    throw std::invalid_argument(path.string() + ": one sample of [T=" + std::to_string(shape.t) + ", C=" + std::to_string(shape.c) +
                                ", H=" + std::to_string(shape.h) + ", W=" + std::to_string(shape.w) +
                                "] takes 4 GiB or more, above HDF5's chunk limit (fewer time bins or more downsampling)");
  Impl& m = *impl_;
  m.shape = shape;
  m.source = std::move(source);
  m.transform = std::move(transform);
  m.sensor_size = sensor_size;
  m.classes = std::move(classes);
  try {
    m.file = H5::H5File(m.tmp.string(), H5F_ACC_TRUNC);
    const hsize_t dims[5] = {0, static_cast<hsize_t>(shape.t), static_cast<hsize_t>(shape.c),
                             static_cast<hsize_t>(shape.h), static_cast<hsize_t>(shape.w)};
    const hsize_t maxdims[5] = {H5S_UNLIMITED, dims[1], dims[2], dims[3], dims[4]};
    const hsize_t chunk[5] = {1, dims[1], dims[2], dims[3], dims[4]};
    H5::DSetCreatPropList props;
    props.setChunk(5, chunk);
    props.setDeflate(deflate_level);
    m.frames = m.file.createDataSet("frames", H5::PredType::STD_U16LE, H5::DataSpace(5, dims, maxdims), props);
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
      impl_->file.close();
    } catch (...) {  // best effort: the temporary file is removed below either way
    }
    std::error_code ec;
    fs::remove(impl_->tmp, ec);
  }
}

std::vector<std::uint8_t> FrameWriter::compress(std::span<const std::uint16_t> sample) {
  const uLong raw = static_cast<uLong>(sample.size_bytes());
  uLongf size = compressBound(raw);
  std::vector<std::uint8_t> out(size);
  if (compress2(out.data(), &size, reinterpret_cast<const Bytef*>(sample.data()), raw, deflate_level) != Z_OK)
    throw std::runtime_error("frame writer: zlib compression failed");
  out.resize(size);
  out.shrink_to_fit();  // a block of samples waits in memory: keep the compressed size, not the bound
  return out;
}

void FrameWriter::append(std::span<const std::uint16_t> sample, std::int32_t label) {
  if (sample.size() != impl_->shape.sample_size())
    throw std::invalid_argument(impl_->path.string() + ": sample has " + std::to_string(sample.size()) +
                                " cells, expected " + std::to_string(impl_->shape.sample_size()));
  append_compressed(compress(sample), label);
}

void FrameWriter::append_compressed(std::span<const std::uint8_t> chunk, std::int32_t label) {
  Impl& m = *impl_;
  if (m.finished) throw std::logic_error("FrameWriter: append after finish");
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
    const hsize_t dims[5] = {n, static_cast<hsize_t>(m.shape.t), static_cast<hsize_t>(m.shape.c),
                             static_cast<hsize_t>(m.shape.h), static_cast<hsize_t>(m.shape.w)};
    m.frames.extend(dims);
    H5::DataSet ls = m.file.createDataSet("labels", H5::PredType::STD_I32LE, H5::DataSpace(1, &n));
    if (n > 0) ls.write(m.labels.data(), H5::PredType::NATIVE_INT32);
    h5::set_attr(m.file, "source", m.source);
    h5::set_attr(m.file, "transform", m.transform);
    h5::set_attr(m.file, "sensor_size", std::vector<std::int64_t>(m.sensor_size.begin(), m.sensor_size.end()));
    h5::set_attr(m.file, "classes", m.classes);
    ls.close();
    m.frames.close();
    m.file.close();
  } catch (const H5::Exception& e) {
    throw std::runtime_error(m.path.string() + ": cannot finish frame file (" + e.getDetailMsg() + ")");
  }
  fs::rename(m.tmp, m.path);
  m.temporary.release();
  m.finished = true;
}

}  // namespace snngx::datasets
