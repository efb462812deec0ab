#include "snngx/datasets/frames.hpp"

#include <algorithm>
#include <limits>
#include <random>
#include <stdexcept>

#include "snngx/datasets/h5.hpp"
#include "snngx/datasets/inspect.hpp"

namespace snngx::datasets {

void FrameSet::push_back(std::span<const std::uint16_t> sample_counts, std::int32_t label) {
  if (sample_counts.size() != shape.sample_size())
    throw std::invalid_argument("FrameSet::push_back: sample has " +
                                std::to_string(sample_counts.size()) + " cells, expected " +
                                std::to_string(shape.sample_size()));
  counts.insert(counts.end(), sample_counts.begin(), sample_counts.end());
  labels.push_back(label);
}

FrameSet FrameSet::empty_like() const {
  FrameSet out;
  out.shape = shape;
  out.source = source;
  out.transform = transform;
  out.sensor_size = sensor_size;
  out.classes = classes;
  return out;
}

FrameSet FrameSet::slice(std::size_t first, std::size_t count) const {
  first = std::min(first, size());
  count = std::min(count, size() - first);
  FrameSet out = empty_like();
  out.counts.assign(counts.begin() + static_cast<std::ptrdiff_t>(first * shape.sample_size()),
                    counts.begin() + static_cast<std::ptrdiff_t>((first + count) * shape.sample_size()));
  out.labels.assign(labels.begin() + static_cast<std::ptrdiff_t>(first),
                    labels.begin() + static_cast<std::ptrdiff_t>(first + count));
  return out;
}

FrameSet FrameSet::select(std::span<const std::size_t> indices) const {
  FrameSet out = empty_like();
  out.counts.reserve(indices.size() * shape.sample_size());
  for (const std::size_t i : indices) out.push_back(sample(i), labels.at(i));
  return out;
}

int FrameSet::num_classes() const {
  if (!classes.empty()) return static_cast<int>(classes.size());
  int m = 0;
  for (const auto l : labels) m = std::max(m, l + 1);
  return m;
}

FrameSet read_frames(const std::filesystem::path& path, std::size_t limit) {
  FrameSet f = read_frames_range(path, 0, limit > 0 ? limit : std::numeric_limits<std::size_t>::max());
  if (f.size() == 0) h5::fail(path.string(), "holds no samples");  // every user of a whole frame set needs some
  return f;
}

FrameSet read_frames_range(const std::filesystem::path& path, std::size_t first, std::size_t count) {
  const std::string where = path.string();
  H5::H5File file = h5::open_read(path);
  h5::expect_kind(file, where, "a frame file");
  if (!file.nameExists("frames")) h5::fail(where, "dataset 'frames' missing");
  if (!file.nameExists("labels")) h5::fail(where, "dataset 'labels' missing");
  const H5::DataSet frames = file.openDataSet("frames");
  const H5::DataSet labels = file.openDataSet("labels");
  const auto fd = h5::dims(frames);
  const auto ld = h5::dims(labels);
  if (fd.size() != 5) h5::fail(where, "dataset 'frames' must be 5-D [N,T,C,H,W], got " + std::to_string(fd.size()) + "-D");
  if (ld.size() != 1 || ld[0] != fd[0])
    h5::fail(where, "dataset 'labels' must be 1-D with one label per sample (" + std::to_string(fd[0]) + ")");
  if (frames.getTypeClass() != H5T_INTEGER) h5::fail(where, "dataset 'frames' must hold integer counts");
  if (labels.getTypeClass() != H5T_INTEGER) h5::fail(where, "dataset 'labels' must hold integers");

  FrameSet out;
  out.shape = {static_cast<int>(fd[1]), static_cast<int>(fd[2]), static_cast<int>(fd[3]), static_cast<int>(fd[4])};
  const hsize_t begin = std::min<hsize_t>(fd[0], first);
  const hsize_t n = std::min<hsize_t>(fd[0] - begin, count);
  out.counts.resize(n * out.shape.sample_size());
  out.labels.resize(n);
  if (n > 0) {
    H5::DataSpace fspace = frames.getSpace();
    const hsize_t start[5] = {begin, 0, 0, 0, 0};
    const hsize_t extent[5] = {n, fd[1], fd[2], fd[3], fd[4]};
    fspace.selectHyperslab(H5S_SELECT_SET, extent, start);
    const H5::DataSpace mspace(5, extent);
    frames.read(out.counts.data(), H5::PredType::NATIVE_UINT16, mspace, fspace);
    H5::DataSpace lspace = labels.getSpace();
    const hsize_t lstart = begin;
    lspace.selectHyperslab(H5S_SELECT_SET, &n, &lstart);
    const H5::DataSpace lmspace(1, &n);
    labels.read(out.labels.data(), H5::PredType::NATIVE_INT32, lmspace, lspace);
  }
  if (h5::has_attr(file, "source")) out.source = h5::get_string(file, "source", where);
  if (h5::has_attr(file, "transform")) out.transform = h5::get_string(file, "transform", where);
  if (h5::has_attr(file, "sensor_size")) {
    const auto s = h5::get_ints(file, "sensor_size", where);
    if (s.size() != 3) h5::fail(where, "attribute 'sensor_size' must be [W,H,P]");
    out.sensor_size = {s[0], s[1], s[2]};
  }
  if (h5::has_attr(file, "classes")) out.classes = h5::get_strings(file, "classes", where);
  for (std::size_t i = 0; i < out.labels.size(); ++i)
    if (out.labels[i] < 0 || (!out.classes.empty() && out.labels[i] >= static_cast<int>(out.classes.size())))
      h5::fail(where, "label " + std::to_string(out.labels[i]) + " of sample " + std::to_string(begin + i) + " is out of range");
  return out;
}

void write_frames(const std::filesystem::path& path, const FrameSet& frames) {
  h5::write_atomically(path, [&](const std::filesystem::path& tmp) {
    H5::H5File file(tmp.string(), H5F_ACC_TRUNC);
    const auto& s = frames.shape;
    const hsize_t n = frames.size();
    const hsize_t fdims[5] = {n, static_cast<hsize_t>(s.t), static_cast<hsize_t>(s.c),
                              static_cast<hsize_t>(s.h), static_cast<hsize_t>(s.w)};
    H5::DSetCreatPropList props;
    if (n > 0 && s.sample_size() > 0) {
      const hsize_t chunk[5] = {1, fdims[1], fdims[2], fdims[3], fdims[4]};
      props.setChunk(5, chunk);
      props.setDeflate(4);
    }
    H5::DataSet ds = file.createDataSet("frames", H5::PredType::STD_U16LE, H5::DataSpace(5, fdims), props);
    if (n > 0) ds.write(frames.counts.data(), H5::PredType::NATIVE_UINT16);
    H5::DataSet ls = file.createDataSet("labels", H5::PredType::STD_I32LE, H5::DataSpace(1, &n));
    if (n > 0) ls.write(frames.labels.data(), H5::PredType::NATIVE_INT32);
    h5::set_attr(file, "source", frames.source);
    h5::set_attr(file, "transform", frames.transform);
    h5::set_attr(file, "sensor_size", std::vector<std::int64_t>(frames.sensor_size.begin(), frames.sensor_size.end()));
    h5::set_attr(file, "classes", frames.classes);
  });
}

FrameSet synth_frames(FrameShape shape, std::size_t count, double density, int classes, std::uint64_t seed) {
  if (shape.t <= 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
    throw std::invalid_argument("frames synth: every dimension of --shape must be positive");
  if (!(density >= 0.0 && density <= 1.0)) throw std::invalid_argument("frames synth: --density must be in [0, 1]");
  if (classes <= 0) throw std::invalid_argument("frames synth: --classes must be positive");
  FrameSet out;
  out.shape = shape;
  out.source = "synth(density=" + std::to_string(density) + ",seed=" + std::to_string(seed) + ")";
  out.transform = "none";
  out.sensor_size = {shape.w, shape.h, shape.c};
  for (int k = 0; k < classes; ++k) out.classes.push_back("class" + std::to_string(k));
  out.counts.assign(count * shape.sample_size(), 0);
  out.labels.resize(count);
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution active(density);
  std::poisson_distribution<int> extra(1.0);
  std::uniform_int_distribution<int> label(0, classes - 1);
  for (std::size_t i = 0; i < count; ++i) {
    out.labels[i] = label(rng);
    for (auto& cell : out.sample(i))
      if (active(rng)) cell = static_cast<std::uint16_t>(1 + std::min(extra(rng), 100));
  }
  return out;
}

}  // namespace snngx::datasets
