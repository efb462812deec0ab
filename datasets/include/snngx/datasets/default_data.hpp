#pragma once
// The embedded default datasets, made offline from Debian packages (nothing is downloaded):
//  - N-Fashion-MNIST: Fashion-MNIST images (package dataset-fashion-mnist) recorded by the DVS
//    emulator with the N-MNIST recipe, written as a real N-MNIST Train/Test tree of .bin files;
//  - synthetic DVS gestures: 11 classes of moving hands rendered at 128x128, written as AEDAT 3.1
//    recordings + *_labels.csv + trials_to_train.txt / trials_to_test.txt (DVS128 Gesture layout).
//  - synthetic Spiking Heidelberg Digits: 20 classes over 700 channels in the SHD HDF5 layout.
// All are deterministic for a seed, whatever the number of threads.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/emulator.hpp"

namespace snngx::datasets {

inline constexpr const char* fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
/// The Fashion-MNIST class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();

/// An IDX image file (optionally gzip-compressed): count x rows x cols bytes.
struct IdxImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;
};
IdxImages read_idx_images(const std::filesystem::path& path, int limit = 0);
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path, int limit = 0);

/// The N-MNIST recording recipe applied to one 28x28 image: the image sits in the middle of a
/// 34x34 sensor and the "camera" makes three 100 ms saccades along a triangle. Deterministic for
/// `seed`; events are time-ordered with t in [0, ~310,000) us.
Events record_saccades(std::span<const std::uint8_t> image, int rows, int cols, const DvsEmulator& camera,
                       std::uint64_t seed);

/// Called with (items done, items total) from the producing thread.
using ProgressFn = std::function<void(std::size_t, std::size_t)>;

struct GeneratedSplit {
  std::size_t samples = 0;
  std::uint64_t events = 0;
};

struct NFashionMnistReport {
  std::filesystem::path root;
  GeneratedSplit train, test;
};
/// Writes `<root>/Train|Test/<label>/<index:05>.bin` and `<root>/classes.txt` for the first
/// `train_count` / `test_count` images of the source (0 = all).
NFashionMnistReport make_n_fashion_mnist(const std::filesystem::path& root, std::size_t train_count,
                                         std::size_t test_count, std::uint64_t seed,
                                         const std::filesystem::path& source = fashion_mnist_dir,
                                         const ProgressFn& progress = {});

/// Lighting conditions of the DVS128 Gesture recordings (file-name suffixes).
const std::vector<std::string>& gesture_lightings();

struct GestureRecordingPlan {
  int user = 1;           // 1..29; users 1-23 train, 24-29 test (as DVS128 Gesture)
  std::string lighting;   // one of gesture_lightings()
  [[nodiscard]] std::string name() const;  // "user07_led"
  [[nodiscard]] bool train() const { return user <= 23; }
};

struct SyntheticGesturesReport {
  std::filesystem::path root;
  std::size_t recordings = 0;
  GeneratedSplit train, test;
};
/// The recordings made for a size: "small" 18 recordings (198 samples: 12 train users and 6 test
/// users, one lighting each), "full" 123 recordings (1,353 samples; 4 or 5 lightings per user).
std::vector<GestureRecordingPlan> gesture_plan(const std::string& size);

/// Renders each recording through the DVS emulator at 128x128 (each of the 11 classes once, in a
/// per-recording random order, 1.4-1.9 s each with 0.2-0.5 s pauses; per-subject position, size
/// and speed; per-lighting contrast and noise; per-performance jitter) and writes the DVS128
/// Gesture layout under `root`: userNN_<lighting>.aedat (AEDAT 3.1), userNN_<lighting>_labels.csv,
/// trials_to_train.txt and trials_to_test.txt. A recording depends only on (seed, user, lighting).
SyntheticGesturesReport make_synthetic_gestures(const std::filesystem::path& root,
                                                const std::vector<GestureRecordingPlan>& plan,
                                                std::uint64_t seed, const ProgressFn& progress = {});

struct SyntheticShdReport {
  std::filesystem::path root;
  GeneratedSplit train, test;
};
/// Writes `<root>/shd_train.h5` and `<root>/shd_test.h5` in the real SHD layout (float16 spike
/// times, uint16 units, uint8 labels, /extra/keys): 20 word-like classes over 700 channels, each a
/// sequence of three gliding formant bands; class c and c + 10 play the same bands in reverse
/// order, so only the order in time separates them. Per utterance: speaking rate, pitch shift,
/// onset, loudness, spike-time jitter and background spikes. Labels cycle 0..19. Deterministic for
/// `seed` on any thread count.
SyntheticShdReport make_synthetic_shd(const std::filesystem::path& root, std::size_t train_count, std::size_t test_count,
                                      std::uint64_t seed);

}  // namespace snngx::datasets
