#include "snngx/datasets/memory.hpp"

#include <algorithm>
#include <limits>

#include "snngx/datasets/events.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/h5.hpp"

namespace snngx::datasets {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::uint64_t mul(std::uint64_t a, std::uint64_t b) { return a != 0 && b > kMax / a ? kMax : a * b; }
std::uint64_t add(std::uint64_t a, std::uint64_t b) { return b > kMax - a ? kMax : a + b; }

}  // namespace

std::uint64_t frame_set_bytes(FrameShape shape, std::uint64_t samples) {
  std::uint64_t cells = 1;
  for (const int d : {shape.t, shape.c, shape.h, shape.w}) cells = mul(cells, static_cast<std::uint64_t>(std::max(d, 0)));
  return mul(mul(cells, sizeof(std::uint16_t)), samples);
}

std::uint64_t read_frames_bytes(const std::filesystem::path& path, std::size_t limit) {
  // Either layout: read_frames decodes into a dense set, so the estimate is the dense size.
  FrameSource source(path);
  const std::uint64_t n = source.size();
  const std::uint64_t samples = limit > 0 ? std::min<std::uint64_t>(n, limit) : n;
  return add(frame_set_bytes(source.meta().shape, samples), mul(samples, sizeof(std::int32_t)));
}

std::size_t convert_block_units(std::size_t units_total, std::size_t limit) {
  const std::size_t block = std::max<std::size_t>(16, std::min<std::size_t>(1024, units_total / 64));
  return limit > 0 ? std::min(block, limit) : block;
}

std::uint64_t convert_memory_bytes(FrameShape shape, std::size_t block_units, int threads, FrameLayout layout) {
  // A busy thread holds its frame buffer and, for the dense layout, zlib's compression buffer
  // (its bound, about one raw sample) that becomes the unit's held sample once shrunk; the sparse
  // layout's nonzero list of a framed sample is not counted (a few bytes per event). The other
  // units of the block hold one sample each, at most raw. At most block_units threads are busy.
  const std::uint64_t sample = frame_set_bytes(shape, 1);
  const std::uint64_t units = std::max<std::uint64_t>(block_units, 1);
  const std::uint64_t busy = std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max(threads, 1)), units);
  const std::uint64_t per_busy = layout == FrameLayout::Dense ? 2 : 1;
  return add(mul(mul(sample, per_busy), busy), mul(sample, units - busy));
}

FrameShape converted_shape(const EventDataset& dataset, const ConvertOptions& options) {
  const SensorSize raw = dataset.sensor();
  const SensorSize s = options.downsample != 1.0 ? downsample(raw, options.downsample) : raw;
  return {options.time_bins, s.p, s.h, s.w};
}

}  // namespace snngx::datasets
