// The embedded default data: the DVS emulator's rules, synthetic gestures (layout, determinism,
// learnable but not linearly trivial) and N-Fashion-MNIST from Debian's Fashion-MNIST files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "snngx/datasets/default_data.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {
namespace fs = std::filesystem;

TEST(DvsEmulator, RisingLightGivesOnEventsFallingOffWithinTheRefractoryRule) {
  DvsParams p;
  p.threshold = 0.2;
  p.threshold_mismatch = 1e-6;
  p.refractory_us = 300;
  DvsEmulator camera(2, 1, p, 1);
  std::mt19937_64 rng(3);
  std::vector<float> image{0.0f, 0.0f};
  camera.start(image, 0, rng);
  const std::vector<std::uint32_t> pixels{0, 1};
  Events events;
  image = {1.0f, -1.0f};  // +5 and -5 thresholds within 1 ms
  camera.advance(image, 1000, pixels, events);
  int on = 0, off = 0;
  std::int64_t last_on = -1000, last_off = -1000;
  for (const Event& e : events) {
    EXPECT_GE(e.t, 1);
    EXPECT_LE(e.t, 1000);
    if (e.x == 0) {
      EXPECT_EQ(e.p, 1);
      EXPECT_GE(e.t - last_on, 300);
      last_on = e.t;
      ++on;
    } else {
      EXPECT_EQ(e.p, 0);
      EXPECT_GE(e.t - last_off, 300);
      last_off = e.t;
      ++off;
    }
  }
  // 4 to 5 crossings (the reference starts within half a threshold), spaced 200 us apart, so
  // the refractory period of 300 us keeps every other one: 2 or 3 events per pixel.
  EXPECT_GE(on, 2);
  EXPECT_LE(on, 3);
  EXPECT_GE(off, 2);
  EXPECT_LE(off, 3);
  EXPECT_TRUE(std::is_sorted(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.t < b.t; }));
}

TEST(SyntheticGestures, PlansMatchTheDvsGestureSplitSizes) {
  const auto small = gesture_plan("small"), full = gesture_plan("full");
  EXPECT_EQ(small.size(), 18u);
  EXPECT_EQ(full.size(), 123u);
  EXPECT_EQ(std::count_if(full.begin(), full.end(), [](const auto& r) { return r.train(); }), 97);
  EXPECT_EQ(std::count_if(small.begin(), small.end(), [](const auto& r) { return r.train(); }), 12);
  std::set<std::string> names;
  for (const auto& r : full) names.insert(r.name());
  EXPECT_EQ(names.size(), full.size());
  for (const auto& r : small) EXPECT_TRUE(names.count(r.name())) << r.name() << " (small is a subset of full)";
  EXPECT_EQ(full.front().name(), "user01_fluorescent");
  EXPECT_THROW((void)gesture_plan("medium"), std::invalid_argument);
}

TEST(SyntheticGestures, WritesTheIbmLayoutAndEachRecordingDependsOnlyOnSeedUserAndLighting) {
  const testing::TempDir dir;
  const std::vector<GestureRecordingPlan> both{{3, "lab"}, {25, "led"}};
  const auto report = make_synthetic_gestures(dir / "a", both, 7);
  EXPECT_EQ(report.train.samples, 11u);
  EXPECT_EQ(report.test.samples, 11u);
  (void)make_synthetic_gestures(dir / "b", {{25, "led"}}, 7);
  (void)make_synthetic_gestures(dir / "c", {{25, "led"}}, 8);
  const auto a = read_file_bytes(dir / "a/user25_led.aedat");
  EXPECT_EQ(a, read_file_bytes(dir / "b/user25_led.aedat"));
  EXPECT_NE(a, read_file_bytes(dir / "c/user25_led.aedat"));
  const auto data = open_dataset("dvsgesture", dir / "a", "train");
  ASSERT_EQ(data->num_units(), 1u);
  EXPECT_EQ(data->unit_name(0), (dir / "a/user03_lab.aedat").string());
  const auto samples = data->load(0);
  ASSERT_EQ(samples.size(), 11u);
  std::set<int> labels;
  for (const auto& s : samples) {
    labels.insert(s.label);
    EXPECT_GT(s.events.size(), 2000u) << s.id;
    check_time_order(s.events, s.id);
    check_in_sensor(s.events, dvsgesture_sensor, s.id);
  }
  EXPECT_EQ(labels.size(), 11u);
  EXPECT_EQ(open_dataset("dvsgesture", dir / "a", "test")->unit_name(0), (dir / "a/user25_led.aedat").string());
}

// Row-major dense matrix, enough for a small ridge regression (no Eigen: its AVX-512 code trips
// GCC 12's -Wuninitialized under the sanitizers).
struct Matrix {
  std::size_t rows = 0, cols = 0;
  std::vector<double> v;
  Matrix(std::size_t r, std::size_t c) : rows(r), cols(c), v(r * c, 0.0) {}
  double& operator()(std::size_t r, std::size_t c) { return v[r * cols + c]; }
  double operator()(std::size_t r, std::size_t c) const { return v[r * cols + c]; }
};

// Ridge regression (one-vs-rest targets +-1, dual form: w = X^T (X X^T + lambda I)^-1 Y, solved
// by Cholesky) on L2-normalised features; returns the test accuracy.
double linear_accuracy(const Matrix& train, const std::vector<int>& train_labels, const Matrix& test,
                       const std::vector<int>& test_labels, std::size_t classes) {
  const std::size_t n = train.rows, d = train.cols;
  Matrix gram(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j) {
      double sum = 0;
      for (std::size_t k = 0; k < d; ++k) sum += train(i, k) * train(j, k);
      gram(i, j) = gram(j, i) = sum + (i == j ? 1e-2 : 0.0);
    }
  for (std::size_t j = 0; j < n; ++j) {  // in-place Cholesky, lower triangle
    for (std::size_t k = 0; k < j; ++k) gram(j, j) -= gram(j, k) * gram(j, k);
    gram(j, j) = std::sqrt(gram(j, j));
    for (std::size_t i = j + 1; i < n; ++i) {
      for (std::size_t k = 0; k < j; ++k) gram(i, j) -= gram(i, k) * gram(j, k);
      gram(i, j) /= gram(j, j);
    }
  }
  Matrix alpha(n, classes);
  for (std::size_t c = 0; c < classes; ++c) {
    std::vector<double> z(n);
    for (std::size_t i = 0; i < n; ++i) {  // L z = y
      double sum = train_labels[i] == static_cast<int>(c) ? 1.0 : -1.0;
      for (std::size_t k = 0; k < i; ++k) sum -= gram(i, k) * z[k];
      z[i] = sum / gram(i, i);
    }
    for (std::size_t i = n; i-- > 0;) {  // L^T a = z
      double sum = z[i];
      for (std::size_t k = i + 1; k < n; ++k) sum -= gram(k, i) * alpha(k, c);
      alpha(i, c) = sum / gram(i, i);
    }
  }
  int correct = 0;
  for (std::size_t t = 0; t < test.rows; ++t) {
    std::vector<double> score(classes, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      double dot = 0;
      for (std::size_t k = 0; k < d; ++k) dot += test(t, k) * train(i, k);
      for (std::size_t c = 0; c < classes; ++c) score[c] += dot * alpha(i, c);
    }
    correct += static_cast<int>(std::max_element(score.begin(), score.end()) - score.begin()) == test_labels[t];
  }
  return static_cast<double>(correct) / static_cast<double>(test.rows);
}

TEST(SyntheticGestures, LearnableButALinearClassifierOnSummedFramesIsNotPerfect) {
  const testing::TempDir dir;
  std::vector<GestureRecordingPlan> plan;
  for (int user : {1, 2, 3, 4, 5, 6, 7, 8, 24, 25, 26, 27}) plan.push_back({user, gesture_lightings()[static_cast<std::size_t>(user) % 5]});
  (void)make_synthetic_gestures(dir / "g", plan, 1);
  ConvertOptions o;
  o.downsample = default_downsample("dvsgesture");  // the reference pipeline: 32x32, T = 15
  // Features: each sample's frames summed over time (2 x 32 x 32), L2-normalised.
  const auto features = [&](const std::string& split, std::vector<int>& labels) {
    const auto data = open_dataset("dvsgesture", dir / "g", split);
    (void)convert_dataset(*data, o, dir / (split + ".frames.h5"));
    const FrameSet f = read_frames(dir / (split + ".frames.h5"));
    const std::size_t step = f.shape.step_size();
    Matrix x(f.size(), step);
    for (std::size_t i = 0; i < f.size(); ++i) {
      const auto s = f.sample(i);
      for (std::size_t k = 0; k < s.size(); ++k) x(i, k % step) += s[k];
      double norm = 0;
      for (std::size_t k = 0; k < step; ++k) norm += x(i, k) * x(i, k);
      for (std::size_t k = 0; k < step; ++k) x(i, k) /= std::sqrt(std::max(norm, 1e-12));
    }
    labels.assign(f.labels.begin(), f.labels.end());
    return x;
  };
  std::vector<int> train_labels, test_labels;
  const Matrix train = features("train", train_labels), test = features("test", test_labels);
  ASSERT_EQ(train.rows, 88u);
  ASSERT_EQ(test.rows, 44u);
  const double summed = linear_accuracy(train, train_labels, test, test_labels, 11);
  std::printf("linear classifier on summed frames: %.1f %% test accuracy (chance 9.1 %%)\n", 100 * summed);
  EXPECT_GT(summed, 0.35) << "the classes must be learnable";
  EXPECT_LT(summed, 0.95) << "a linear classifier on summed frames must not separate every class";
}

// Synthetic SHD: the real SHD layout (read back by the SHD reader), balanced labels 0..19, 700
// channels, deterministic for a seed; learnable from the order of its bands, while a linear
// classifier on spike counts summed over time cannot tell a word from its reversed twin.
TEST(SyntheticShd, ShdLayoutDeterministicAndNotLinearlyTrivial) {
  const testing::TempDir dir;
  const auto report = make_synthetic_shd(dir / "a", 200, 100, 1);
  EXPECT_EQ(report.train.samples, 200U);
  EXPECT_EQ(report.test.samples, 100U);
  // Sample i depends only on (seed, split, i): a smaller set of the same seed is a prefix.
  (void)make_synthetic_shd(dir / "b", 40, 20, 1);
  (void)make_synthetic_shd(dir / "c", 40, 20, 2);
  const auto load = [](const fs::path& root) {
    std::vector<Sample> all;
    const auto data = open_dataset("shd", root, "train");
    for (std::size_t u = 0; u < data->num_units(); ++u)
      for (auto& s : data->load(u)) all.push_back(std::move(s));
    return all;
  };
  const auto a = load(dir / "a"), b = load(dir / "b"), c = load(dir / "c");
  ASSERT_EQ(a.size(), 200U);
  ASSERT_EQ(b.size(), 40U);
  for (std::size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(a[i].label, b[i].label);
    EXPECT_TRUE(a[i].events == b[i].events) << "sample " << i;
  }
  EXPECT_FALSE(a[0].events == c[0].events) << "another seed, other utterances";
  const auto data = open_dataset("shd", dir / "a", "train");
  EXPECT_EQ(data->classes().size(), 20U);
  EXPECT_EQ(data->classes()[10], "german 0");
  std::vector<int> per_class(20, 0);
  std::size_t spikes = 0;
  for (const auto& s : a) {
    ++per_class[static_cast<std::size_t>(s.label)];
    spikes += s.events.size();
    for (std::size_t e = 1; e < s.events.size(); ++e) ASSERT_LE(s.events[e - 1].t, s.events[e].t);
  }
  EXPECT_EQ(per_class, std::vector<int>(20, 10));
  const double mean = static_cast<double>(spikes) / 200.0;
  EXPECT_GT(mean, 1000.0);
  EXPECT_LT(mean, 10000.0);

  ConvertOptions o;
  o.to_frame = ToFrame::n_time_bins(20);
  o.time_bins = 20;
  const auto features = [&](const std::string& split, std::vector<int>& labels, bool summed) {
    (void)convert_dataset(*open_dataset("shd", dir / "a", split), o, dir / (split + ".frames.h5"));
    const FrameSet f = read_frames(dir / (split + ".frames.h5"));
    const std::size_t step = f.shape.step_size(), width = summed ? step : step * 4;
    Matrix x(f.size(), width);
    for (std::size_t i = 0; i < f.size(); ++i) {
      const auto s = f.sample(i);
      // summed: counts per channel; else counts per channel in 4 quarters of the sample
      for (std::size_t k = 0; k < s.size(); ++k) x(i, summed ? k % step : (k / step) * 4 / 20 * step + k % step) += s[k];
      double norm = 0;
      for (std::size_t k = 0; k < width; ++k) norm += x(i, k) * x(i, k);
      for (std::size_t k = 0; k < width; ++k) x(i, k) /= std::sqrt(std::max(norm, 1e-12));
    }
    labels.assign(f.labels.begin(), f.labels.end());
    return x;
  };
  std::vector<int> train_labels, test_labels;
  const Matrix train = features("train", train_labels, true), test = features("test", test_labels, true);
  const double summed = linear_accuracy(train, train_labels, test, test_labels, 20);
  const Matrix train_t = features("train", train_labels, false), test_t = features("test", test_labels, false);
  const double timed = linear_accuracy(train_t, train_labels, test_t, test_labels, 20);
  std::printf("linear classifier on summed counts: %.1f %%, on 4 time quarters: %.1f %% (chance 5 %%)\n", 100 * summed, 100 * timed);
  EXPECT_LT(summed, 0.75) << "summed counts must not separate a word from its reversed twin";
  EXPECT_GT(timed, summed + 0.1) << "the order in time must carry the missing information";
}

TEST(NFashionMnist, WritesAnNmnistTreeWhoseLabelsAreTheImagesLabels) {
  if (!fs::exists(fs::path(fashion_mnist_dir) / "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const testing::TempDir dir;
  const auto report = make_n_fashion_mnist(dir / "nf", 30, 20, 3);
  EXPECT_EQ(report.train.samples, 30u);
  EXPECT_EQ(report.test.samples, 20u);
  const auto labels = read_idx_labels(fs::path(fashion_mnist_dir) / "t10k-labels-idx1-ubyte.gz", 20);
  const auto data = open_dataset("nmnist", dir / "nf", "test");
  EXPECT_EQ(data->classes(), fashion_mnist_classes());
  ASSERT_EQ(data->num_units(), 20u);
  std::vector<int> expected(labels.begin(), labels.end()), got;
  std::uint64_t events = 0;
  for (std::size_t u = 0; u < data->num_units(); ++u) {
    const auto s = data->load(u)[0];
    got.push_back(s.label);
    events += s.events.size();
    check_time_order(s.events, s.id);
    ASSERT_FALSE(s.events.empty());
    EXPECT_LT(s.events.back().t, 320'000);  // three ~100 ms saccades
    // The file name is the image's index in the source, under its label's folder.
    const auto index = std::stoul(fs::path(s.id).stem().string());
    EXPECT_EQ(labels.at(index), s.label);
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);  // reader order is by label
  EXPECT_EQ(events, report.test.events);
  // Deterministic: the same seed writes the same bytes.
  (void)make_n_fashion_mnist(dir / "nf2", 0 + 30, 20, 3);
  EXPECT_EQ(read_file_bytes(dir / "nf/Test/9/00000.bin"), read_file_bytes(dir / "nf2/Test/9/00000.bin"));
}

}  // namespace
}  // namespace snngx::datasets
