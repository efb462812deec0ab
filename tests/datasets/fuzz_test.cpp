// Fuzzing: >= 10,000 random mutations of valid files per reader. Every input either decodes or
// raises std::runtime_error with one line naming the file; nothing else may escape (no
// bad_alloc/length_error from a size field, no crash or hang; ASan/UBSan builds check memory).
// Decoded streams are then framed to exercise the transforms on whatever came out.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"
#include "snngx/datasets/shd.hpp"

namespace snngx::datasets {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr int mutations_per_reader = 10'000;

// One random edit: flip a bit, overwrite bytes (often with boundary values of a 4-byte field),
// insert or delete a range, truncate, or duplicate a piece.
Bytes mutate(Bytes b, std::mt19937_64& rng) {
  const auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < edits; ++k) {
    switch (rng() % 7) {
      case 0:
        if (!b.empty()) b[pick(b.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        for (int i = 0; i < 4 && !b.empty(); ++i) b[pick(b.size())] = static_cast<std::uint8_t>(rng());
        break;
      case 2: {
        static constexpr std::int32_t special[] = {0, -1, 1, 0x7FFFFFFF, static_cast<std::int32_t>(0x80000000), 8, 28, 240, 65535};
        if (b.size() >= 4) {
          const std::int32_t v = special[rng() % std::size(special)];
          std::memcpy(&b[pick(b.size() - 3)], &v, 4);
        }
        break;
      }
      case 3: {
        const std::size_t at = pick(b.size() + 1), n = 1 + pick(16);
        Bytes extra(n);
        for (auto& x : extra) x = static_cast<std::uint8_t>(rng());
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), extra.begin(), extra.end());
        break;
      }
      case 4:
        if (!b.empty()) {
          const std::size_t at = pick(b.size()), n = std::min(b.size() - at, 1 + pick(32));
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
        }
        break;
      case 5:
        b.resize(pick(b.size() + 1));
        break;
      default:
        if (!b.empty()) {
          const std::size_t at = pick(b.size()), n = std::min(b.size() - at, 1 + pick(64));
          const Bytes piece(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), piece.begin(), piece.end());
        }
    }
  }
  return b;
}

// Frames whatever decoded (sorted, since decreasing time is a separate, tested error).
void frame_all(Events events, SensorSize sensor) {
  ConvertOptions o;
  o.sort = true;
  o.downsample = sensor.w == 128 ? 0.25 : 1.0;
  o.denoise_us = 5000;
  const SensorSize framed = o.downsample != 1.0 ? downsample(sensor, o.downsample) : sensor;
  std::vector<std::uint16_t> out(15 * framed.frame_size());
  (void)frame_sample(events, sensor, o, "fuzz", out);
  (void)ToFrame::event_count(7)(events, framed);
}

struct Outcome {
  int accepted = 0, rejected = 0;
};

Outcome fuzz(const Bytes& valid, const std::function<void(const Bytes&)>& read, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Outcome o;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < mutations_per_reader; ++i) {
    const Bytes input = mutate(valid, rng);
    try {
      read(input);
      ++o.accepted;
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_TRUE(what.starts_with("fuzz.")) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      ++o.rejected;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d mutations: %d accepted, %d rejected in %.2f s\n", mutations_per_reader, o.accepted, o.rejected, seconds);
  return o;
}

Events random_events(std::size_t n, int w, int h, std::uint64_t seed, std::int64_t dt = 300) {
  std::mt19937_64 rng(seed);
  Events e;
  std::int64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    t += static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(dt));
    e.push_back({t, static_cast<std::uint16_t>(rng() % static_cast<std::uint64_t>(w)),
                 static_cast<std::uint16_t>(rng() % static_cast<std::uint64_t>(h)), static_cast<std::uint8_t>(rng() % 2)});
  }
  return e;
}

TEST(Fuzz, NmnistDecoderSurvivesRandomMutations) {
  const Bytes valid = encode_nmnist(random_events(300, 34, 34, 1, 40000));  // includes overflow markers
  const auto o = fuzz(valid, [](const Bytes& b) { frame_all(decode_nmnist(b, "fuzz.bin"), nmnist_sensor); }, 101);
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 100);
}

TEST(Fuzz, Aedat31DecoderSurvivesRandomMutations) {
  const Bytes valid = encode_aedat31(random_events(400, 128, 128, 2), 64);
  const auto o = fuzz(valid, [](const Bytes& b) { frame_all(decode_aedat31(b, "fuzz.aedat"), dvsgesture_sensor); }, 102);
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 100);
}

TEST(Fuzz, GestureLabelsAndCuttingSurviveRandomMutations) {
  const Events recording = random_events(2000, 128, 128, 3);
  const std::vector<GestureLabel> labels{{0, 0, 100'000}, {5, 100'000, 250'000}, {10, 200'000, 300'000}};
  const std::string csv = format_gesture_labels(labels);
  const auto o = fuzz(Bytes(csv.begin(), csv.end()),
                      [&](const Bytes& b) {
                        const auto parsed = parse_gesture_labels(std::string(b.begin(), b.end()), "fuzz.csv");
                        for (auto& s : cut_gesture_samples(recording, parsed, "r.aedat", "fuzz.csv"))
                          frame_all(std::move(s.events), dvsgesture_sensor);
                      },
                      103);
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 100);
}

TEST(Fuzz, GestureNpyDecoderSurvivesRandomMutations) {
  const Bytes valid = encode_gesture_npy(random_events(200, 128, 128, 4));
  const auto o = fuzz(valid, [](const Bytes& b) { frame_all(decode_gesture_npy(b, "fuzz.npy"), dvsgesture_sensor); }, 104);
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 100);
}

// SHD: libhdf5 itself is not hardened against corrupted files, so the fuzzing targets what the
// reader does with the arrays HDF5 returns: random lengths, times (NaN, inf, negative, huge,
// decreasing) and channels.
TEST(Fuzz, ShdSampleDecodingSurvivesRandomArrays) {
  std::mt19937_64 rng(105);
  const Events valid = random_events(500, 700, 1, 5);
  static constexpr double odd_times[] = {-1.0, -0.0, 1e-300, 0.5, 1e6, 1e300, std::numeric_limits<double>::infinity(),
                                         std::numeric_limits<double>::quiet_NaN()};
  static constexpr std::int64_t odd_units[] = {-1, 0, 699, 700, 65535, std::numeric_limits<std::int64_t>::min()};
  Outcome o;
  for (int i = 0; i < mutations_per_reader; ++i) {
    std::vector<double> seconds;
    std::vector<std::int64_t> units;
    for (const Event& e : valid) {
      seconds.push_back(static_cast<double>(e.t) * 1e-6);
      units.push_back(e.x);
    }
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % seconds.size();
      switch (rng() % 5) {
        case 0: seconds[at] = odd_times[rng() % std::size(odd_times)]; break;
        case 1: units[at] = odd_units[rng() % std::size(odd_units)]; break;
        case 2: units.resize(rng() % (units.size() + 2)); break;
        case 3: std::swap(seconds[at], seconds[rng() % seconds.size()]); break;
        default: seconds[at] = std::ldexp(static_cast<double>(rng() % 1000), -static_cast<int>(rng() % 40)); break;
      }
    }
    try {
      frame_all(shd_events(seconds, units, rng() % 2 == 0, "fuzz.h5: sample 0"), shd_sensor);
      ++o.accepted;
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with("fuzz.h5: sample 0: ")) << e.what();
      ++o.rejected;
    }
  }
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 1000);
}

}  // namespace
}  // namespace snngx::datasets
