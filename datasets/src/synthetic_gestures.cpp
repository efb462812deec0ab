// Synthetic DVS128 gestures: bright "hands" moving in front of a uniform background, recorded by
// the DVS emulator at 128x128 and written in IBM's DVS128 Gesture layout (AEDAT 3.1 + labels).
//
// The 11 classes follow DVS128 Gesture's names. Clockwise and counter-clockwise versions of a
// class sweep the same pixels, so their frames summed over time are nearly identical: only the
// order of the frames (and the ON-leading / OFF-trailing edges inside each frame) tells them
// apart. That keeps a linear classifier on summed frames below 100 % while a spiking network
// that sees the T frames in order can learn every class.
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <fstream>
#include <mutex>
#include <numbers>
#include <stdexcept>

#include "staged_directory.hpp"
#include "snngx/datasets/default_data.hpp"
#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/nmnist.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;

const std::vector<std::string>& gesture_lightings() {
  static const std::vector<std::string> names{"fluorescent", "fluorescent_led", "lab", "led", "natural"};
  return names;
}

std::string GestureRecordingPlan::name() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "user%02d_", user);
  return buf + lighting;
}

std::vector<GestureRecordingPlan> gesture_plan(const std::string& size) {
  const auto& lightings = gesture_lightings();
  std::vector<GestureRecordingPlan> plan;
  if (size == "small") {
    // 12 train users and the 6 test users, one lighting each (cycling).
    for (int user = 1; user <= 29; ++user) {
      if (user > 12 && user < 24) continue;
      plan.push_back({user, lightings[static_cast<std::size_t>(user + 2) % lightings.size()]});
    }
  } else if (size == "full") {
    // Every user under 4 lightings (a different one left out per user), every 4th user under all 5.
    for (int user = 1; user <= 29; ++user)
      for (std::size_t l = 0; l < lightings.size(); ++l)
        if (user % 4 == 0 || l != static_cast<std::size_t>(user) % lightings.size()) plan.push_back({user, lightings[l]});
  } else {
    throw std::invalid_argument("gesture size must be 'small' or 'full', got '" + size + "'");
  }
  return plan;
}

namespace {

constexpr int sensor_w = 128, sensor_h = 128;
constexpr double two_pi = 2.0 * std::numbers::pi;
constexpr std::int64_t step_us = 2000;      // rendering step; event times are interpolated inside it
constexpr std::int64_t fade_us = 120'000;   // hands fade in/out at the start/end of a performance

struct Lighting {
  double background;  // linear intensity of the background
  double contrast;    // hand / background intensity ratio
  double noise;       // scale of the background-noise rate
};

Lighting lighting_of(const std::string& name) {
  if (name == "fluorescent") return {0.30, 3.2, 2.0};
  if (name == "fluorescent_led") return {0.35, 2.8, 1.6};
  if (name == "lab") return {0.25, 3.6, 1.0};
  if (name == "led") return {0.40, 2.6, 1.2};
  return {0.45, 2.2, 3.0};  // natural: low contrast, more noise
}

// What stays the same for one person: where they stand, how big their hands look, how fast and
// wide they move.
struct Subject {
  double cx, cy, hand, speed, amplitude;
};

Subject subject_of(std::uint64_t seed, int user) {
  std::mt19937_64 rng(derive_seed(seed, 0x5B7EC7, static_cast<std::uint64_t>(user)));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  return {64.0 + 8.0 * u(rng), 62.0 + 6.0 * u(rng), 6.5 * (1.0 + 0.2 * u(rng)), 1.0 + 0.2 * u(rng), 1.0 + 0.15 * u(rng)};
}

struct Point {
  double x, y;
};

// One performance: the hand positions at time tau (seconds since its start).
class Performance {
 public:
  Performance(int label, const Subject& s, std::mt19937_64& rng) : label_(label) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    cx_ = s.cx + 4.0 * u(rng);
    cy_ = s.cy + 4.0 * u(rng);
    amp_ = 20.0 * s.amplitude * (1.0 + 0.12 * u(rng));
    freq_ = s.speed * (1.0 + 0.15 * u(rng));
    phase_ = std::numbers::pi * (1.0 + u(rng));
    hand_ = s.hand * (1.0 + 0.1 * u(rng));
    for (auto& c : wander_) c = {0.35 + 0.6 * (1.0 + u(rng)), std::numbers::pi * (1.0 + u(rng)), 0.5 + 0.5 * (1.0 + u(rng)) / 2};
  }
  [[nodiscard]] double hand_radius() const { return hand_; }

  // Appends the hands' centres at tau.
  void hands(double tau, std::vector<Point>& out) const {
    out.clear();
    const double side = 30.0;  // the subject's right arm is on the image's left
    const auto circle = [&](double x0, double f, double dir) {
      const double a = phase_ + dir * two_pi * f * tau;  // y grows downwards: +a is clockwise on screen
      out.push_back({x0 + amp_ * std::cos(a), cy_ + amp_ * std::sin(a)});
    };
    switch (label_) {
      case 0: {  // hand clapping: two hands meet and part
        const double gap = 7.0 + amp_ * 0.55 * (1.0 + std::cos(phase_ + two_pi * 1.9 * freq_ * tau));
        out.push_back({cx_ - gap, cy_ + 8});
        out.push_back({cx_ + gap, cy_ + 8});
        return;
      }
      case 1:
      case 2: {  // hand wave: side to side above the shoulder, on a shallow arc
        const double x0 = cx_ + (label_ == 1 ? -side : side);
        const double s = std::sin(phase_ + two_pi * 1.6 * freq_ * tau);
        out.push_back({x0 + 0.7 * amp_ * s, cy_ - 22 + 5.0 * s * s});
        return;
      }
      case 3: circle(cx_ - side, 0.85 * freq_, +1.0); return;
      case 4: circle(cx_ - side, 0.85 * freq_, -1.0); return;
      case 5: circle(cx_ + side, 0.85 * freq_, +1.0); return;
      case 6: circle(cx_ + side, 0.85 * freq_, -1.0); return;
      case 7: {  // arm roll: both hands circle each other in front of the chest
        const double a = phase_ + two_pi * 1.4 * freq_ * tau, r = 0.5 * amp_;
        out.push_back({cx_ + r * std::cos(a), cy_ + 6 + r * std::sin(a)});
        out.push_back({cx_ - r * std::cos(a), cy_ + 6 - r * std::sin(a)});
        return;
      }
      case 8: {  // air drums: two hands beat up and down in turn
        const double a = phase_ + two_pi * 2.0 * freq_ * tau;
        out.push_back({cx_ - 20, cy_ + 14 + 0.55 * amp_ * std::sin(a)});
        out.push_back({cx_ + 20, cy_ + 14 - 0.55 * amp_ * std::sin(a)});
        return;
      }
      case 9: {  // air guitar: fast strumming hand, slow fretting hand
        out.push_back({cx_ - 8, cy_ + 12 + 0.45 * amp_ * std::sin(phase_ + two_pi * 3.0 * freq_ * tau)});
        out.push_back({cx_ + 32 + 6.0 * std::sin(two_pi * 0.6 * freq_ * tau), cy_ - 4 - 3.0 * std::sin(two_pi * 0.6 * freq_ * tau)});
        return;
      }
      default: {  // other gestures: a random smooth path
        double x = cx_, y = cy_;
        for (std::size_t i = 0; i < wander_.size(); ++i) {
          const auto& [f, ph, a] = wander_[i];
          const double v = a * amp_ * std::sin(ph + two_pi * f * freq_ * tau);
          (i % 2 ? y : x) += v;
        }
        out.push_back({x, y});
        return;
      }
    }
  }

 private:
  int label_;
  double cx_, cy_, amp_, freq_, phase_, hand_;
  std::array<std::array<double, 3>, 4> wander_{};
};

// Renders one recording: the gestures in a random order with pauses, background noise on top.
struct Recording {
  Events events;
  std::vector<GestureLabel> labels;
};

Recording record(const GestureRecordingPlan& plan, const DvsEmulator& sensor, std::uint64_t seed) {
  const auto lighting_index = static_cast<std::uint64_t>(
      std::find(gesture_lightings().begin(), gesture_lightings().end(), plan.lighting) - gesture_lightings().begin());
  std::mt19937_64 rng(derive_seed(seed, 0x6E57, static_cast<std::uint64_t>(plan.user) * 16 + lighting_index));
  const Lighting light = lighting_of(plan.lighting);
  const Subject subject = subject_of(seed, plan.user);
  DvsEmulator camera = sensor;
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  // Lighting also varies a little between sessions.
  const double background = light.background * (0.9 + 0.2 * u01(rng));
  const double hand_level = background * light.contrast * (0.9 + 0.2 * u01(rng));
  const auto log_bg = static_cast<float>(std::log(background));

  std::vector<float> image(static_cast<std::size_t>(sensor_w) * sensor_h, log_bg);
  const std::int64_t t_begin = 1'000'000 + static_cast<std::int64_t>(u01(rng) * 500'000);
  camera.start(image, t_begin, rng);

  std::vector<int> order(gesture_classes().size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::shuffle(order.begin(), order.end(), rng);

  Recording rec;
  std::vector<std::uint8_t> mark(image.size(), 0);
  std::vector<std::uint32_t> pixels, previous;
  std::vector<Point> hands;
  std::int64_t t = t_begin;
  for (const int label : order) {
    t += 200'000 + static_cast<std::int64_t>(u01(rng) * 300'000);
    const auto duration = 1'400'000 + static_cast<std::int64_t>(u01(rng) * 500'000);
    const Performance perf(label, subject, rng);
    const double radius = perf.hand_radius();
    const std::int64_t start = t, end = t + duration;
    rec.labels.push_back({label, start, end});
    for (std::int64_t now = start + step_us; now <= end; now += step_us) {
      const double tau = static_cast<double>(now - start) * 1e-6;
      const double alpha = std::min({1.0, static_cast<double>(now - start) / fade_us,
                                     static_cast<double>(end - now) / fade_us});
      perf.hands(tau, hands);
      // The pixels that change: those the hands covered before, and those they cover now.
      pixels.clear();
      for (const std::uint32_t i : previous) {
        mark[i] = 1;
        pixels.push_back(i);
      }
      previous.clear();
      const int reach = static_cast<int>(std::ceil(radius + 1.5));
      for (const Point& h : hands) {
        const int x0 = std::max(0, static_cast<int>(h.x) - reach), x1 = std::min(sensor_w - 1, static_cast<int>(h.x) + reach);
        const int y0 = std::max(0, static_cast<int>(h.y) - reach), y1 = std::min(sensor_h - 1, static_cast<int>(h.y) + reach);
        for (int y = y0; y <= y1; ++y)
          for (int x = x0; x <= x1; ++x) {
            const auto i = static_cast<std::uint32_t>(y * sensor_w + x);
            previous.push_back(i);
            if (!mark[i]) {
              mark[i] = 1;
              pixels.push_back(i);
            }
          }
      }
      std::sort(previous.begin(), previous.end());
      previous.erase(std::unique(previous.begin(), previous.end()), previous.end());
      for (const std::uint32_t i : pixels) {
        mark[i] = 0;
        const double px = static_cast<double>(i % sensor_w) + 0.5, py = static_cast<double>(i / sensor_w) + 0.5;
        double cover = 0.0;  // a soft-edged disk per hand, one pixel of anti-aliasing
        for (const Point& h : hands) {
          const double d = std::hypot(px - h.x, py - h.y);
          cover = std::max(cover, std::clamp(radius + 0.5 - d, 0.0, 1.0));
        }
        image[i] = static_cast<float>(std::log(background + alpha * cover * (hand_level - background)));
      }
      camera.advance(image, now, pixels, rec.events);
    }
    t = end;
  }
  const std::int64_t t_end = t + 200'000;
  rec.events = merge_by_time(rec.events, camera.noise(t_begin, t_end, light.noise, rng));
  return rec;
}

}  // namespace

SyntheticGesturesReport make_synthetic_gestures(const fs::path& root, const std::vector<GestureRecordingPlan>& plan,
                                                std::uint64_t seed, const ProgressFn& progress) {
  for (const auto& p : plan)
    if (p.user < 1 || p.user > 29 ||
        std::find(gesture_lightings().begin(), gesture_lightings().end(), p.lighting) == gesture_lightings().end())
      throw std::invalid_argument("gesture recording plan: bad user/lighting '" + p.name() + "'");
  SyntheticGesturesReport report;
  report.root = root;
  report.recordings = plan.size();
  detail::StagedDirectory staged(root);
  const fs::path& staging = staged.path();
  DvsParams params;
  params.threshold = 0.2;
  params.refractory_us = 500;
  params.noise_hz = 0.15;
  const DvsEmulator camera(sensor_w, sensor_h, params, derive_seed(seed, 0xCA3E7A, 1));
  {
    std::vector<std::uint64_t> events(plan.size());
    std::atomic<std::size_t> done{0};
    // Recordings are independent; progress is reported from the thread that finishes one.
    std::mutex progress_mutex;
    std::size_t reported = 0;
    tbb::parallel_for(std::size_t{0}, plan.size(), [&](std::size_t r) {
      const Recording rec = record(plan[r], camera, seed);
      const fs::path base = staging / plan[r].name();
      write_file_bytes(fs::path(base) += ".aedat", encode_aedat31(rec.events));
      const std::string csv = format_gesture_labels(rec.labels);
      write_file_bytes(fs::path(base) += "_labels.csv", {reinterpret_cast<const std::uint8_t*>(csv.data()), csv.size()});
      events[r] = rec.events.size();
      const std::size_t n = ++done;
      if (progress) {
        const std::lock_guard lock(progress_mutex);
        if (n > reported) progress(reported = n, plan.size());
      }
    });
    std::string train, test;
    for (std::size_t r = 0; r < plan.size(); ++r) {
      GeneratedSplit& split = plan[r].train() ? report.train : report.test;
      split.samples += gesture_classes().size();
      split.events += events[r];
      (plan[r].train() ? train : test) += plan[r].name() + ".aedat\r\n";
    }
    std::ofstream(staging / "trials_to_train.txt", std::ios::binary) << train;
    std::ofstream(staging / "trials_to_test.txt", std::ios::binary) << test;
    staged.publish();
  }
  return report;
}

}  // namespace snngx::datasets
