#pragma once
// Event streams and tonic's transforms on them (spec: datasets.md, "Framing").
//
// An event is (x, y, t, p): pixel column and row, time in microseconds and polarity (1 = ON).
// Audio streams (SHD) use x as the channel and y = 0, p = 0. Transforms keep tonic's names and
// its exact integer arithmetic so frames match tonic value for value.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace snngx::datasets {

struct Event {
  std::int64_t t = 0;   // microseconds
  std::uint16_t x = 0;  // column (or audio channel)
  std::uint16_t y = 0;  // row
  std::uint8_t p = 0;   // polarity: 1 = ON, 0 = OFF
  bool operator==(const Event&) const = default;
};
using Events = std::vector<Event>;

/// tonic's sensor_size (W, H, P).
struct SensorSize {
  int w = 0, h = 0, p = 0;
  [[nodiscard]] std::size_t frame_size() const { return static_cast<std::size_t>(w) * h * p; }
  bool operator==(const SensorSize&) const = default;
};

/// One labelled sample; `id` names where it came from (file, or file#row) for error messages.
struct Sample {
  Events events;
  std::int32_t label = 0;
  std::string id;
};

/// Throws "<where>: timestamp decreases at event <i> (<t_prev> -> <t>)" unless times are non-decreasing.
void check_time_order(std::span<const Event> events, const std::string& where);
/// Stable sort by time (what `--sort` asks for).
void sort_by_time(Events& events);
/// Throws "<where>: event <i> at (x, y, p) is outside the sensor WxHxP" for the first offender.
void check_in_sensor(std::span<const Event> events, SensorSize sensor, const std::string& where);

/// tonic.transforms.ToFrame with exactly one of n_time_bins, time_window, event_count
/// (overlap 0, include_incomplete false). Counts are added into [bins][P][H][W], not clipped
/// (saturating at 65535, where tonic's int16 would wrap).
struct ToFrame {
  enum class Mode { time_bins, time_window, event_count };
  Mode mode = Mode::time_bins;
  std::int64_t value = 15;  // T, the window in us, or the events per frame

  static ToFrame n_time_bins(std::int64_t t) { return {Mode::time_bins, t}; }
  static ToFrame time_window(std::int64_t us) { return {Mode::time_window, us}; }
  static ToFrame event_count(std::int64_t k) { return {Mode::event_count, k}; }

  /// Number of frames tonic produces for these events (requires time order).
  [[nodiscard]] std::size_t num_frames(std::span<const Event> events) const;
  /// Frames into `out` ([max_frames][P][H][W], zeroed by the caller). Frames beyond
  /// `max_frames` are dropped, missing ones stay zero (fixed T for frame files).
  /// Events must be time-ordered and inside the sensor (checked by the readers).
  void accumulate(std::span<const Event> events, SensorSize sensor, std::span<std::uint16_t> out,
                  std::size_t max_frames) const;
  /// Convenience: all frames tonic would produce, [num_frames][P][H][W].
  [[nodiscard]] std::vector<std::uint16_t> operator()(std::span<const Event> events, SensorSize sensor) const;
  /// "ToFrame(n_time_bins=15)" etc.
  [[nodiscard]] std::string describe() const;
};

/// tonic.transforms.Downsample(spatial_factor=f): x' = trunc(x*f), y' = trunc(y*f), in place.
void downsample(Events& events, double factor);
/// Sensor size after Downsample: (int(W*f), int(H*f), P).
SensorSize downsample(SensorSize sensor, double factor);

/// tonic.transforms.Denoise(filter_time): keeps an event only if one of its 4 neighbours fired
/// within `filter_time` us before it (tonic's algorithm, including its start-up and border rules).
Events denoise(std::span<const Event> events, std::int64_t filter_time);

}  // namespace snngx::datasets
