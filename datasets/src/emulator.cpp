#include "snngx/datasets/emulator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace snngx::datasets {

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  auto mix = [](std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(seed) ^ stream) ^ index);
}

DvsEmulator::DvsEmulator(int width, int height, const DvsParams& params, std::uint64_t sensor_seed)
    : width_(width), height_(height), params_(params) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("DvsEmulator: sensor size must be positive");
  if (!(params.threshold > 0)) throw std::invalid_argument("DvsEmulator: threshold must be positive");
  const auto n = static_cast<std::size_t>(width) * height;
  threshold_.resize(n);
  std::mt19937_64 rng(sensor_seed);
  std::normal_distribution<double> mismatch(1.0, params.threshold_mismatch);
  for (auto& c : threshold_)
    c = static_cast<float>(params.threshold * std::clamp(mismatch(rng), 0.5, 1.5));
  reference_.assign(n, 0.0f);
  last_log_.assign(n, 0.0f);
  last_event_.assign(n, 0);
}

void DvsEmulator::start(std::span<const float> log_image, std::int64_t t, std::mt19937_64& rng) {
  if (log_image.size() != threshold_.size()) throw std::invalid_argument("DvsEmulator::start: image size mismatch");
  std::uniform_real_distribution<float> phase(-0.5f, 0.5f);
  for (std::size_t i = 0; i < threshold_.size(); ++i) {
    reference_[i] = log_image[i] + phase(rng) * threshold_[i];
    last_log_[i] = log_image[i];
    last_event_[i] = t - params_.refractory_us;
  }
  now_ = t;
}

void DvsEmulator::advance(std::span<const float> log_image, std::int64_t t, std::span<const std::uint32_t> pixels,
                          Events& out) {
  if (t <= now_) throw std::invalid_argument("DvsEmulator::advance: time must increase");
  const std::int64_t t_prev = now_;
  const double dt = static_cast<double>(t - t_prev);
  step_events_.clear();
  for (const std::uint32_t i : pixels) {
    const float level = log_image[i];
    const float before = last_log_[i];
    if (level == before) continue;
    const float c = threshold_[i];
    float& ref = reference_[i];
    const bool rising = level > before;
    // Each threshold crossing between `before` and `level` is one event, timed by linear
    // interpolation; crossings within the refractory period are lost.
    while (rising ? level - ref >= c : ref - level >= c) {
      ref += rising ? c : -c;
      const double frac = std::clamp(static_cast<double>(ref - before) / static_cast<double>(level - before), 0.0, 1.0);
      const auto te = t_prev + std::max<std::int64_t>(1, std::llround(frac * dt));
      if (te - last_event_[i] < params_.refractory_us) continue;
      last_event_[i] = te;
      step_events_.push_back({te, static_cast<std::uint16_t>(i % width_), static_cast<std::uint16_t>(i / width_),
                              static_cast<std::uint8_t>(rising ? 1 : 0)});
    }
    last_log_[i] = level;
  }
  std::sort(step_events_.begin(), step_events_.end(), [&](const Event& a, const Event& b) {
    if (a.t != b.t) return a.t < b.t;
    return std::uint32_t{a.y} * width_ + a.x < std::uint32_t{b.y} * width_ + b.x;
  });
  out.insert(out.end(), step_events_.begin(), step_events_.end());
  now_ = t;
}

Events DvsEmulator::noise(std::int64_t t0, std::int64_t t1, double scale, std::mt19937_64& rng) const {
  Events events;
  const double rate = params_.noise_hz * scale * static_cast<double>(threshold_.size()) * 1e-6;  // per us
  if (!(rate > 0) || t1 <= t0) return events;
  std::exponential_distribution<double> gap(rate);
  std::uniform_int_distribution<std::uint32_t> pixel(0, static_cast<std::uint32_t>(threshold_.size() - 1));
  std::bernoulli_distribution on(0.5);
  for (double t = static_cast<double>(t0) + gap(rng); t < static_cast<double>(t1); t += gap(rng)) {
    const std::uint32_t i = pixel(rng);
    events.push_back({static_cast<std::int64_t>(t), static_cast<std::uint16_t>(i % width_),
                      static_cast<std::uint16_t>(i / width_), static_cast<std::uint8_t>(on(rng) ? 1 : 0)});
  }
  return events;
}

Events merge_by_time(const Events& a, const Events& b) {
  Events out(a.size() + b.size());
  std::merge(a.begin(), a.end(), b.begin(), b.end(), out.begin(),
             [](const Event& x, const Event& y) { return x.t < y.t; });
  return out;
}

}  // namespace snngx::datasets
