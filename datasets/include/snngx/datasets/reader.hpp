#pragma once
// tonic-style dataset readers: a dataset is a list of units (files, or recordings cut into
// several samples) that load independently, so conversion runs in parallel over units with
// memory bounded by one unit. convert_dataset() turns a dataset into a frame file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "snngx/datasets/events.hpp"
#include "snngx/datasets/frames.hpp"

namespace snngx::datasets {

class EventDataset {
 public:
  virtual ~EventDataset() = default;
  [[nodiscard]] virtual std::string format() const = 0;       // "nmnist", "dvsgesture", "shd"
  [[nodiscard]] virtual std::string description() const = 0;  // reader and path, for `source`
  [[nodiscard]] virtual SensorSize sensor() const = 0;
  [[nodiscard]] virtual std::vector<std::string> classes() const = 0;
  [[nodiscard]] virtual std::size_t num_units() const = 0;
  /// Name of a unit (its file) for messages.
  [[nodiscard]] virtual std::string unit_name(std::size_t unit) const = 0;
  /// The samples of one unit, validated (inside the sensor, labels in range). Thread-safe.
  [[nodiscard]] virtual std::vector<Sample> load(std::size_t unit) const = 0;
};

struct ReaderOptions {
  bool first_saccade_only = false;  // NMNIST: keep t < 100 ms
};

/// Opens `root` as `format` ("nmnist", "dvsgesture", "shd") for `split` ("train"/"test").
/// dvsgesture accepts the IBM release (AEDAT 3.1 + labels + trial lists) and tonic's
/// preprocessed ibmGestureTrain|Test/*.npy release; shd accepts shd_<split>.h5 or its folder.
std::unique_ptr<EventDataset> open_dataset(const std::string& format, const std::filesystem::path& root,
                                           const std::string& split, const ReaderOptions& options = {});

struct ConvertOptions {
  ToFrame to_frame = ToFrame::n_time_bins(15);
  int time_bins = 15;          // frames stored per sample (time_window / event_count: first T, zero-padded)
  double downsample = 1.0;     // Downsample(spatial_factor), 1 = none
  std::int64_t denoise_us = 0; // Denoise(filter_time), 0 = none
  std::size_t limit = 0;       // 0 = all samples
  bool sort = false;           // sort events by time instead of refusing decreasing timestamps
  FrameLayout layout = FrameLayout::Sparse;  // of the output frame file
};

struct ConvertStats {
  std::size_t units_done = 0, units_total = 0;
  std::size_t samples = 0;
  std::uint64_t events = 0;            // events framed (after Denoise)
  std::vector<std::size_t> per_class;  // samples per label
  std::size_t frames_padded = 0;       // samples with fewer frames than time_bins (time_window/event_count)
  std::size_t frames_truncated = 0;    // samples with more frames than time_bins
};
using ConvertProgressFn = std::function<void(const ConvertStats&)>;

/// The spatial factor the reference networks need: 0.25 for dvsgesture (128x128 -> the CSNN's
/// 32x32 input), 1 for nmnist (34x34 MLP input) and shd (700 channels).
double default_downsample(const std::string& format);

/// The `transform` attribute for these options, e.g. "Downsample(0.25)|ToFrame(n_time_bins=15)".
std::string describe_transform(const ConvertOptions& options);

/// Frames every sample (Denoise, Downsample, then ToFrame, as the reference pipeline) and
/// writes the frame file atomically. Deterministic sample order: the reader's unit order.
ConvertStats convert_dataset(const EventDataset& dataset, const ConvertOptions& options,
                             const std::filesystem::path& output, const ConvertProgressFn& progress = {});

/// Applies the event transforms of `options` to one sample and frames it into `out`
/// ([time_bins][P][H][W], zeroed here). Returns the number of frames tonic would produce.
std::size_t frame_sample(Events& events, SensorSize sensor, const ConvertOptions& options, const std::string& where,
                         std::span<std::uint16_t> out);

}  // namespace snngx::datasets
