#include "snngx/datasets/frames.hpp"
#include "snngx/io/errors.hpp"

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

int FrameSet::num_classes() const { return datasets::num_classes(classes, labels); }

int num_classes(const std::vector<std::string>& classes, std::span<const std::int32_t> labels) {
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
  FrameSource source(path);
  return source.read_dense(first, count);
}

void write_frames(const std::filesystem::path& path, const FrameSet& frames, FrameLayout layout, int sparse_deflate) {
  FrameWriter writer(path, frames.shape, frames.source, frames.transform, frames.sensor_size, frames.classes, layout,
                     sparse_deflate);
  for (std::size_t i = 0; i < frames.size(); ++i) writer.append(frames.sample(i), frames.labels[i]);
  writer.finish();
}

std::size_t convert_frames(const std::filesystem::path& input, const std::filesystem::path& output, FrameLayout layout,
                           int sparse_deflate) {
  constexpr std::size_t batch = 1024;
  FrameSource source(input);
  const FrameSet& m = source.meta();
  FrameWriter writer(output, m.shape, m.source, m.transform, m.sensor_size, m.classes, layout, sparse_deflate);
  for_each_batch(source, batch, 0, [&](const SparseBatch& b) {
    for (std::size_t i = 0; i < b.size(); ++i) writer.append_sparse(b.sample(i), b.labels[i]);
  });
  writer.finish();
  return writer.size();
}

namespace {
// The synthetic stream: per sample a label, then every cell in order; one generator, so the
// streamed writer and the in-memory set hold the same bits.
class SynthStream {
 public:
  SynthStream(FrameShape shape, double density, int classes, std::uint64_t seed)
      : shape_(shape), rng_(seed), active_(density), label_(0, classes - 1) {
    if (shape.t <= 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
      throw io::ParameterError("frames synth: every dimension of {shape} must be positive");
    if (!(density >= 0.0 && density <= 1.0)) throw io::ParameterError("frames synth: {density} must be in [0, 1]");
    if (classes <= 0) throw io::ParameterError("frames synth: {classes} must be positive");
  }
  std::int32_t next(std::span<std::uint16_t> cells) {
    const std::int32_t label = label_(rng_);
    for (auto& cell : cells) cell = active_(rng_) ? static_cast<std::uint16_t>(1 + std::min(extra_(rng_), 100)) : 0;
    return label;
  }
  FrameSet empty_set(double density, int classes, std::uint64_t seed) const {
    FrameSet out;
    out.shape = shape_;
    out.source = "synth(density=" + std::to_string(density) + ",seed=" + std::to_string(seed) + ")";
    out.transform = "none";
    out.sensor_size = {shape_.w, shape_.h, shape_.c};
    for (int k = 0; k < classes; ++k) out.classes.push_back("class" + std::to_string(k));
    return out;
  }

 private:
  FrameShape shape_;
  std::mt19937_64 rng_;
  std::bernoulli_distribution active_;
  std::poisson_distribution<int> extra_{1.0};
  std::uniform_int_distribution<int> label_;
};
}  // namespace

FrameSet synth_frames(FrameShape shape, std::size_t count, double density, int classes, std::uint64_t seed) {
  SynthStream stream(shape, density, classes, seed);
  FrameSet out = stream.empty_set(density, classes, seed);
  out.counts.assign(count * shape.sample_size(), 0);
  out.labels.resize(count);
  for (std::size_t i = 0; i < count; ++i) out.labels[i] = stream.next(out.sample(i));
  return out;
}

void write_synth_frames(const std::filesystem::path& path, FrameShape shape, std::size_t count, double density, int classes,
                        std::uint64_t seed, FrameLayout layout) {
  SynthStream stream(shape, density, classes, seed);
  const FrameSet m = stream.empty_set(density, classes, seed);
  FrameWriter writer(path, shape, m.source, m.transform, m.sensor_size, m.classes, layout);
  std::vector<std::uint16_t> cells(shape.sample_size());
  for (std::size_t i = 0; i < count; ++i) {
    const std::int32_t label = stream.next(cells);
    writer.append(cells, label);
  }
  writer.finish();
}

}  // namespace snngx::datasets
