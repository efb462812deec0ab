#pragma once
// A DVS (event camera) emulator: each pixel remembers the log intensity at its last event and
// fires an ON (OFF) event whenever the log intensity rises (falls) by its contrast threshold;
// thresholds vary from pixel to pixel, a refractory period suppresses events that come too soon
// after the previous one, and background noise adds sparse random events. Event times are
// interpolated linearly inside each rendering step and rounded to microseconds.
// The default datasets (N-Fashion-MNIST and synthetic gestures) are made with it.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "snngx/datasets/events.hpp"

namespace snngx::datasets {

struct DvsParams {
  double threshold = 0.25;           // mean contrast threshold, in natural-log units
  double threshold_mismatch = 0.03;  // relative standard deviation of the per-pixel thresholds
  std::int64_t refractory_us = 1000;
  double noise_hz = 0.5;             // background events per pixel per second (both polarities)
};

class DvsEmulator {
 public:
  /// `sensor_seed` draws the per-pixel thresholds (one fixed "camera" per seed).
  DvsEmulator(int width, int height, const DvsParams& params, std::uint64_t sensor_seed);

  /// Starts a recording at time t: each pixel's reference level is the current log intensity
  /// plus a random fraction of its threshold (pixels do not all fire on the first change).
  void start(std::span<const float> log_image, std::int64_t t, std::mt19937_64& rng);

  /// Renders the next instant: `log_image` (full frame, row-major) at time t > previous time.
  /// Only the listed pixels are examined (the others must not have changed). Appends the
  /// events of (previous time, t] in time order (ties by pixel index).
  void advance(std::span<const float> log_image, std::int64_t t, std::span<const std::uint32_t> pixels,
               Events& out);

  /// Background noise over [t0, t1): Poisson events per pixel at `params.noise_hz * scale`,
  /// random polarity, sorted by time.
  [[nodiscard]] Events noise(std::int64_t t0, std::int64_t t1, double scale, std::mt19937_64& rng) const;

  [[nodiscard]] int width() const { return width_; }
  [[nodiscard]] int height() const { return height_; }

 private:
  int width_, height_;
  DvsParams params_;
  std::vector<float> threshold_, reference_, last_log_;
  std::vector<std::int64_t> last_event_;
  std::int64_t now_ = 0;
  Events step_events_;
};

/// Merges two time-ordered streams (stable: `a` first on ties).
Events merge_by_time(const Events& a, const Events& b);

/// Seed of item `index` of stream `stream` derived from a user seed (SplitMix64), so every
/// sample is reproducible on its own, on any thread.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index);

}  // namespace snngx::datasets
