#include "snngx/datasets/events.hpp"
#include "snngx/io/errors.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace snngx::datasets {
namespace {

// Python's floor division for a positive divisor.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

void add_count(std::uint16_t& cell) {
  if (cell != std::numeric_limits<std::uint16_t>::max()) ++cell;
}

// Consecutive windows [t0 + i*w, t0 + (i+1)*w), i < frames, over time-ordered events: the bin
// edge advances with the events instead of a 64-bit division per event (same result as
// (t - t0) / w, several times faster). Events past the last window end the loop.
template <typename Add>
void accumulate_windows(std::span<const Event> events, std::int64_t w, std::size_t frames, Add add) {
  const std::int64_t t0 = events.front().t;
  std::size_t bin = 0;
  std::int64_t end = t0 + w;
  for (const Event& e : events) {
    if (e.t >= end) {
      const auto skip = static_cast<std::size_t>((e.t - end) / w) + 1;  // rare: empty windows
      bin += skip;
      if (bin >= frames) return;
      end += static_cast<std::int64_t>(skip) * w;
    }
    add(bin, e);
  }
}

}  // namespace

void check_time_order(std::span<const Event> events, const std::string& where) {
  for (std::size_t i = 1; i < events.size(); ++i)
    if (events[i].t < events[i - 1].t)
      throw io::ParameterError(io::ParameterError::literal(where) + ": timestamp decreases at event " + std::to_string(i) + " (" +
                               std::to_string(events[i - 1].t) + " -> " + std::to_string(events[i].t) +
                               " us); use {sort} to sort events by time");
}

void sort_by_time(Events& events) {
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.t < b.t; });
}

void check_in_sensor(std::span<const Event> events, SensorSize sensor, const std::string& where) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.x >= sensor.w || e.y >= sensor.h || e.p >= sensor.p)
      throw std::runtime_error(where + ": event " + std::to_string(i) + " at (x=" + std::to_string(e.x) +
                               ", y=" + std::to_string(e.y) + ", p=" + std::to_string(e.p) +
                               ") is outside the " + std::to_string(sensor.w) + "x" + std::to_string(sensor.h) +
                               "x" + std::to_string(sensor.p) + " sensor");
  }
}

std::size_t ToFrame::num_frames(std::span<const Event> events) const {
  if (value <= 0) throw std::invalid_argument(describe() + ": the parameter must be positive");
  const auto n = static_cast<std::int64_t>(events.size());
  switch (mode) {
    case Mode::time_bins:
      return static_cast<std::size_t>(value);
    case Mode::time_window: {
      if (events.empty()) return 1;
      const std::int64_t span = events.back().t - events.front().t;
      return static_cast<std::size_t>(std::max<std::int64_t>(1, floor_div(span - value, value) + 1));
    }
    case Mode::event_count:
      return static_cast<std::size_t>((n - std::min(value, n)) / value + 1);
  }
  return 0;
}

void ToFrame::accumulate(std::span<const Event> events, SensorSize sensor, std::span<std::uint16_t> out,
                         std::size_t max_frames) const {
  const std::size_t frame = sensor.frame_size();
  if (out.size() < max_frames * frame) throw std::invalid_argument("ToFrame: output buffer too small");
  const std::size_t frames = std::min(num_frames(events), max_frames);
  if (events.empty() || frames == 0) return;
  const std::size_t plane = static_cast<std::size_t>(sensor.w) * sensor.h;
  // tonic: a single-polarity sensor maps every event to channel 0.
  const bool single_polarity = sensor.p == 1;
  const auto cell = [&](const Event& e) {
    return (single_polarity ? 0 : e.p) * plane + static_cast<std::size_t>(e.y) * sensor.w + e.x;
  };
  const std::int64_t t0 = events.front().t;
  switch (mode) {
    case Mode::time_bins: {
      // tonic: w = (t1 - t0) // T; bin i = [t0 + i*w, t0 + (i+1)*w); the remainder is dropped.
      const std::int64_t w = (events.back().t - t0) / value;
      if (w == 0) return;
      accumulate_windows(events, w, frames, [&](std::size_t bin, const Event& e) { add_count(out[bin * frame + cell(e)]); });
      return;
    }
    case Mode::time_window:
      accumulate_windows(events, value, frames, [&](std::size_t bin, const Event& e) { add_count(out[bin * frame + cell(e)]); });
      return;
    case Mode::event_count: {
      const auto k = static_cast<std::size_t>(value);
      const std::size_t per_frame = std::min(k, events.size());
      for (std::size_t i = 0; i < events.size(); ++i) {
        const std::size_t bin = i / k;
        if (bin >= frames) break;
        if (i - bin * k < per_frame) add_count(out[bin * frame + cell(events[i])]);
      }
      return;
    }
  }
}

std::vector<std::uint16_t> ToFrame::operator()(std::span<const Event> events, SensorSize sensor) const {
  const std::size_t n = num_frames(events);
  std::vector<std::uint16_t> out(n * sensor.frame_size(), 0);
  accumulate(events, sensor, out, n);
  return out;
}

std::string ToFrame::describe() const {
  switch (mode) {
    case Mode::time_bins: return "ToFrame(n_time_bins=" + std::to_string(value) + ")";
    case Mode::time_window: return "ToFrame(time_window=" + std::to_string(value) + ")";
    case Mode::event_count: return "ToFrame(event_count=" + std::to_string(value) + ")";
  }
  return "ToFrame(?)";
}

void downsample(Events& events, double factor) {
  if (!(factor > 0.0 && factor <= 1.0)) throw std::invalid_argument("Downsample: spatial_factor must be in (0, 1]");
  for (Event& e : events) {
    e.x = static_cast<std::uint16_t>(static_cast<double>(e.x) * factor);
    e.y = static_cast<std::uint16_t>(static_cast<double>(e.y) * factor);
  }
}

SensorSize downsample(SensorSize sensor, double factor) {
  return {static_cast<int>(sensor.w * factor), static_cast<int>(sensor.h * factor), sensor.p};
}

Events denoise(std::span<const Event> events, std::int64_t filter_time) {
  if (filter_time <= 0) throw std::invalid_argument("Denoise: filter_time must be positive");
  Events kept;
  if (events.empty()) return kept;
  // tonic sizes its memory from the largest coordinates present, not from the sensor.
  int width = 0, height = 0;
  for (const Event& e : events) {
    width = std::max(width, e.x + 1);
    height = std::max(height, e.y + 1);
  }
  // memory[x][y] = time until which (x, y) counts as recently active; starts at filter_time.
  std::vector<std::int64_t> memory(static_cast<std::size_t>(width) * height, filter_time);
  const auto at = [&](int x, int y) -> std::int64_t& { return memory[static_cast<std::size_t>(x) * height + y]; };
  for (const Event& e : events) {
    const int x = e.x, y = e.y;
    const std::int64_t t = e.t;
    at(x, y) = t + filter_time;
    if ((x > 0 && at(x - 1, y) > t) || (x < width - 1 && at(x + 1, y) > t) || (y > 0 && at(x, y - 1) > t) ||
        (y < height - 1 && at(x, y + 1) > t))
      kept.push_back(e);
  }
  return kept;
}

}  // namespace snngx::datasets
