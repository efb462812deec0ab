#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "readers_detail.hpp"
#include "snngx/datasets/memory.hpp"
#include "snngx/io/errors.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;

std::unique_ptr<EventDataset> open_dataset(const std::string& format, const fs::path& root, const std::string& split,
                                           const ReaderOptions& options) {
  if (split != "train" && split != "test")
    throw io::ParameterError("{split} must be 'train' or 'test', got '" + split + "'");
  if (format == "nmnist") return detail::open_nmnist(root, split, options);
  if (format == "dvsgesture") return detail::open_dvsgesture(root, split);
  if (format == "shd") return detail::open_shd(root, split);
  throw std::invalid_argument("unknown dataset format '" + format + "' (expected nmnist, dvsgesture or shd)");
}

double default_downsample(const std::string& format) { return format == "dvsgesture" ? 0.25 : 1.0; }

std::string describe_transform(const ConvertOptions& options) {
  // The spec's form: the framing first, then the event transforms applied before it.
  std::string s = options.to_frame.describe();
  if (options.to_frame.mode != ToFrame::Mode::time_bins) s += "[frames=" + std::to_string(options.time_bins) + "]";
  if (options.downsample != 1.0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "|Downsample(%g)", options.downsample);
    s += buf;
  }
  if (options.denoise_us > 0) s += "|Denoise(filter_time=" + std::to_string(options.denoise_us) + ")";
  return s;
}

std::size_t frame_sample(Events& events, SensorSize sensor, const ConvertOptions& options, const std::string& where,
                         std::span<std::uint16_t> out) {
  if (options.sort) sort_by_time(events);
  else check_time_order(events, where);
  if (options.denoise_us > 0) events = denoise(events, options.denoise_us);
  if (options.downsample != 1.0) {
    downsample(events, options.downsample);
    sensor = downsample(sensor, options.downsample);
  }
  std::fill(out.begin(), out.end(), std::uint16_t{0});
  const auto bins = static_cast<std::size_t>(options.time_bins);
  options.to_frame.accumulate(events, sensor, out, bins);
  return options.to_frame.num_frames(events);
}

ConvertStats convert_dataset(const EventDataset& dataset, const ConvertOptions& options, const fs::path& output,
                             const ConvertProgressFn& progress) {
  if (options.time_bins <= 0) throw io::ParameterError("{time_bins} must be positive");
  if (options.to_frame.mode == ToFrame::Mode::time_bins && options.to_frame.value != options.time_bins)
    throw std::invalid_argument("ToFrame(n_time_bins) must equal the stored number of frames");
  if (!(options.downsample > 0.0 && options.downsample <= 1.0))
    throw io::ParameterError("{downsample} must be in (0, 1]");
  const SensorSize raw = dataset.sensor();
  const SensorSize sensor = options.downsample != 1.0 ? downsample(raw, options.downsample) : raw;
  if (sensor.w <= 0 || sensor.h <= 0) throw io::ParameterError("{downsample} leaves an empty sensor");
  const FrameShape shape{options.time_bins, sensor.p, sensor.h, sensor.w};
  const auto classes = dataset.classes();
  FrameWriter writer(output, shape, dataset.description(), describe_transform(options), {sensor.w, sensor.h, sensor.p},
                     classes, options.layout);

  struct Framed {
    FrameWriter::Encoded encoded;
    std::int32_t label = 0;
    std::uint64_t events = 0;
    std::size_t frames = 0;
  };
  ConvertStats stats;
  stats.units_total = dataset.num_units();
  stats.per_class.assign(classes.size(), 0);
  const std::size_t block = convert_block_units(stats.units_total, options.limit);  // estimated in memory.hpp
  for (std::size_t first = 0; first < stats.units_total; first += block) {
    const std::size_t last = std::min(stats.units_total, first + block);
    std::vector<std::vector<Framed>> results(last - first);
    tbb::parallel_for(first, last, [&](std::size_t unit) {
      std::vector<Sample> samples = dataset.load(unit);
      std::vector<std::uint16_t> buffer(shape.sample_size());
      auto& out = results[unit - first];
      out.reserve(samples.size());
      for (auto& s : samples) {
        Framed f;
        f.frames = frame_sample(s.events, raw, options, s.id, buffer);
        f.events = s.events.size();
        f.label = s.label;
        f.encoded = writer.encode(buffer);  // deflate (layout 1) or nonzero cells (layout 2), in parallel
        out.push_back(std::move(f));
      }
    });
    for (auto& unit : results) {
      for (auto& f : unit) {
        if (options.limit > 0 && stats.samples >= options.limit) break;
        writer.append_encoded(f.encoded, f.label);
        ++stats.samples;
        stats.events += f.events;
        if (static_cast<std::size_t>(f.label) < stats.per_class.size()) ++stats.per_class[static_cast<std::size_t>(f.label)];
        if (f.frames < static_cast<std::size_t>(options.time_bins)) stats.frames_padded++;
        if (f.frames > static_cast<std::size_t>(options.time_bins)) stats.frames_truncated++;
      }
      ++stats.units_done;
    }
    if (progress) progress(stats);
    if (options.limit > 0 && stats.samples >= options.limit) break;
  }
  writer.finish();
  return stats;
}

}  // namespace snngx::datasets
