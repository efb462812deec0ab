// Synthetic Spiking Heidelberg Digits: 20 classes of spoken-word-like spike patterns over 700
// cochlear channels, written in the real SHD HDF5 layout (Cramer et al. 2020): /spikes/times
// (variable-length float16 seconds), /spikes/units (variable-length uint16 channels), /labels
// (uint8) and /extra/keys (class names).
//
// Each class is a "word" of three formant segments; a segment is a band of ~40 channels whose
// centre glides linearly in time, firing as an inhomogeneous Poisson process. Class c and class
// c + 10 ("english"/"german" of one digit) use the same three segments in a different order, and
// every class shares its bands with others, so the spike counts summed over time hardly separate
// the pairs: the order in time (what a recurrent network can remember) does. Each utterance varies
// its speaking rate (0.8-1.25), its pitch (a shift of -25..25 channels), its onset (0-100 ms) and
// every spike's time (jitter, sd 4 ms), and adds background spikes on all channels.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "snngx/datasets/default_data.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/datasets/shd.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;
namespace {

constexpr int kChannels = 700;
constexpr int kSegments = 3;

struct Segment {
  double start_channel = 0, end_channel = 0;  // the band's centre glides from start to end
  double rate_hz = 0;                          // per channel at the band's centre
};
struct Word {
  std::array<Segment, kSegments> segments;
  std::array<double, kSegments> seconds;  // length of each segment at speaking rate 1
};

// The 20 words, drawn once from a fixed generator: the data set's "language".
std::vector<Word> make_words() {
  std::mt19937_64 rng(0x5D0);
  std::uniform_real_distribution<double> centre(80.0, 620.0), glide(-120.0, 120.0), rate(60.0, 110.0), length(0.12, 0.22);
  std::vector<Segment> pool(20);  // 20 segments shared among the 20 words
  for (auto& s : pool) {
    s.start_channel = centre(rng);
    s.end_channel = std::clamp(s.start_channel + glide(rng), 40.0, 660.0);
    s.rate_hz = rate(rng);
  }
  std::vector<Word> words(20);
  for (int digit = 0; digit < 10; ++digit) {
    // Digit d uses pool segments d, d + 10 and (d + 3) % 10: every segment occurs in several words.
    const std::array<int, kSegments> parts{digit, digit + 10, (digit + 3) % 10};
    Word english, german;
    for (int k = 0; k < kSegments; ++k) {
      english.segments[static_cast<std::size_t>(k)] = pool[static_cast<std::size_t>(parts[static_cast<std::size_t>(k)])];
      english.seconds[static_cast<std::size_t>(k)] = length(rng);
    }
    // The German word: the same segments, reversed, each played backwards (the same channels, the
    // same lengths): equal spike counts per channel on average.
    for (int k = 0; k < kSegments; ++k) {
      Segment s = english.segments[static_cast<std::size_t>(kSegments - 1 - k)];
      std::swap(s.start_channel, s.end_channel);
      german.segments[static_cast<std::size_t>(k)] = s;
      german.seconds[static_cast<std::size_t>(k)] = english.seconds[static_cast<std::size_t>(kSegments - 1 - k)];
    }
    words[static_cast<std::size_t>(digit)] = english;
    words[static_cast<std::size_t>(digit + 10)] = german;
  }
  return words;
}

struct Utterance {
  std::vector<double> times;
  std::vector<std::uint16_t> units;
  int label = 0;
};

Utterance utter(const Word& word, int label, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  const double speed = 0.8 * std::pow(1.25 / 0.8, u01(rng));
  const double pitch = -25.0 + 50.0 * u01(rng);
  const double onset = 0.1 * u01(rng);
  const double loudness = 0.7 + 0.6 * u01(rng);
  std::normal_distribution<double> jitter(0.0, 0.004);
  std::vector<std::pair<double, int>> spikes;
  double t0 = onset;
  constexpr double kWidth = 20.0;  // channels: the band's Gaussian sd
  constexpr double kStep = 0.002;   // seconds: rate sampled per 2 ms bin
  for (int k = 0; k < kSegments; ++k) {
    const Segment& s = word.segments[static_cast<std::size_t>(k)];
    const double length = word.seconds[static_cast<std::size_t>(k)] / speed;
    for (double t = 0.0; t < length; t += kStep) {
      const double centre = s.start_channel + (s.end_channel - s.start_channel) * (t / length) + pitch;
      const int lo = std::max(0, static_cast<int>(centre - 3 * kWidth)), hi = std::min(kChannels - 1, static_cast<int>(centre + 3 * kWidth));
      for (int ch = lo; ch <= hi; ++ch) {
        const double d = (ch - centre) / kWidth;
        const double p = s.rate_hz * loudness * std::exp(-0.5 * d * d) * kStep;
        if (u01(rng) < p) spikes.emplace_back(t0 + t + kStep * u01(rng) + jitter(rng), ch);
      }
    }
    t0 += length + 0.02 / speed;  // a short pause between segments
  }
  // Background: 2 Hz per channel over the utterance and 100 ms after it.
  const double end = t0 + 0.1;
  std::poisson_distribution<int> noise(2.0 * kChannels * end);
  std::uniform_int_distribution<int> any_channel(0, kChannels - 1);
  for (int n = noise(rng); n > 0; --n) spikes.emplace_back(end * u01(rng), any_channel(rng));
  for (auto& [t, ch] : spikes) t = std::max(0.0, t);
  std::sort(spikes.begin(), spikes.end());
  Utterance out;
  out.label = label;
  for (const auto& [t, ch] : spikes) {
    out.times.push_back(from_half(to_half(t)));  // what the float16 file will hold
    out.units.push_back(static_cast<std::uint16_t>(ch));
  }
  return out;
}

H5::FloatType half_type() {
  H5::FloatType t(H5::PredType::IEEE_F32LE);
  t.setFields(15, 10, 5, 0, 10);
  t.setPrecision(16);
  t.setSize(2);
  t.setEbias(15);
  return t;
}

// One split in the SHD layout. Times are rounded to float16 here (numpy's rounding) and stored
// without HDF5's own conversion (see to_half).
void write_split(const fs::path& path, const std::vector<Utterance>& samples) {
  h5::write_atomically(path, [&](const fs::path& tmp) {
    H5::H5File f(tmp.string(), H5F_ACC_TRUNC);
    H5::Group spikes = f.createGroup("spikes");
    const hsize_t n = samples.size();
    const H5::DataSpace space(1, &n);
    std::vector<hvl_t> times(n), units(n);
    std::vector<std::vector<std::uint16_t>> halves(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (const double t : samples[i].times) halves[i].push_back(to_half(t));
      times[i] = hvl_t{halves[i].size(), halves[i].data()};
      units[i] = {samples[i].units.size(), const_cast<std::uint16_t*>(samples[i].units.data())};
    }
    const H5::VarLenType file_times(half_type());
    spikes.createDataSet("times", file_times, space).write(times.data(), file_times);
    const H5::VarLenType file_units(H5::PredType::STD_U16LE);
    spikes.createDataSet("units", file_units, space).write(units.data(), H5::VarLenType(H5::PredType::NATIVE_UINT16));
    std::vector<std::uint8_t> labels;
    for (const auto& s : samples) labels.push_back(static_cast<std::uint8_t>(s.label));
    f.createDataSet("labels", H5::PredType::STD_U8LE, space).write(labels.data(), H5::PredType::NATIVE_UINT8);
    H5::Group extra = f.createGroup("extra");
    std::vector<std::string> names;
    for (int c = 0; c < 20; ++c) names.push_back((c < 10 ? "english " : "german ") + std::to_string(c % 10));
    std::vector<const char*> keys;
    for (const auto& s : names) keys.push_back(s.c_str());
    const hsize_t nk = keys.size();
    const H5::StrType str(H5::PredType::C_S1, H5T_VARIABLE);
    extra.createDataSet("keys", str, H5::DataSpace(1, &nk)).write(keys.data(), str);
  });
}

std::vector<Utterance> make_split(const std::vector<Word>& words, std::size_t count, std::uint64_t seed, std::uint64_t split) {
  std::vector<Utterance> out(count);
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) {
    const int label = static_cast<int>(i % words.size());  // balanced classes, interleaved
    out[i] = utter(words[static_cast<std::size_t>(label)], label, seed * 0x9E3779B97F4A7C15ULL + split * 0x100000000ULL + i);
  });
  return out;
}

}  // namespace

SyntheticShdReport make_synthetic_shd(const fs::path& root, std::size_t train_count, std::size_t test_count, std::uint64_t seed) {
  const auto words = make_words();
  fs::create_directories(root);
  SyntheticShdReport report;
  report.root = root;
  const auto write = [&](const char* name, std::size_t count, std::uint64_t split, GeneratedSplit& stats) {
    const auto samples = make_split(words, count, seed, split);
    write_split(root / name, samples);
    stats.samples = samples.size();
    for (const auto& s : samples) stats.events += s.times.size();
  };
  write("shd_train.h5", train_count, 1, report.train);
  write("shd_test.h5", test_count, 2, report.test);
  return report;
}

}  // namespace snngx::datasets
