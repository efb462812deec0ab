#pragma once
// Binned event frames: N samples of [T, C, H, W] event counts, the cache between dataset readers
// and the simulators, stored as `*.frames.h5` (spec: model-format.md, "Frame file").
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace snngx::datasets {

struct FrameShape {
  int t = 0, c = 0, h = 0, w = 0;
  [[nodiscard]] std::size_t step_size() const { return static_cast<std::size_t>(c) * h * w; }
  [[nodiscard]] std::size_t sample_size() const { return step_size() * t; }
  bool operator==(const FrameShape&) const = default;
};

/// In-memory frame set; counts are dense row-major [N][T][C][H][W].
struct FrameSet {
  FrameShape shape;
  std::vector<std::uint16_t> counts;
  std::vector<std::int32_t> labels;
  std::string source;                 // reader and path
  std::string transform;              // e.g. "ToFrame(n_time_bins=15)"
  std::array<std::int64_t, 3> sensor_size{0, 0, 0};  // [W, H, P]
  std::vector<std::string> classes;

  [[nodiscard]] std::size_t size() const { return labels.size(); }
  [[nodiscard]] std::span<const std::uint16_t> sample(std::size_t i) const {
    return {counts.data() + i * shape.sample_size(), shape.sample_size()};
  }
  [[nodiscard]] std::span<std::uint16_t> sample(std::size_t i) {
    return {counts.data() + i * shape.sample_size(), shape.sample_size()};
  }
  /// Appends one sample (size must be shape.sample_size()).
  void push_back(std::span<const std::uint16_t> sample_counts, std::int32_t label);
  /// Samples [first, first+count) as a new set with the same metadata.
  /// The same metadata (shape, source, transform, sensor, classes) with no samples.
  [[nodiscard]] FrameSet empty_like() const;
  [[nodiscard]] FrameSet slice(std::size_t first, std::size_t count) const;
  /// The chosen samples, in the given order.
  [[nodiscard]] FrameSet select(std::span<const std::size_t> indices) const;
  [[nodiscard]] int num_classes() const;
};

/// Reads a frame file; `limit` > 0 reads only the first `limit` samples.
/// Throws std::runtime_error naming the file and the first problem found (also "holds no samples").
FrameSet read_frames(const std::filesystem::path& path, std::size_t limit = 0);

/// Writes a frame file atomically (chunked one sample per chunk, deflate level 4).
void write_frames(const std::filesystem::path& path, const FrameSet& frames);

/// Streams samples into a frame file without holding them in memory (same layout as
/// write_frames). The file appears under `path` only when finish() succeeds; a writer destroyed
/// before finish() leaves nothing behind. Compression (deflate level 4, one chunk per sample) can
/// run on any thread with compress(); appends must come from one thread, in sample order.
class FrameWriter {
 public:
  FrameWriter(const std::filesystem::path& path, FrameShape shape, std::string source, std::string transform,
              std::array<std::int64_t, 3> sensor_size, std::vector<std::string> classes);
  ~FrameWriter();
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  /// One sample's counts as an HDF5 deflate chunk. Thread-safe.
  [[nodiscard]] static std::vector<std::uint8_t> compress(std::span<const std::uint16_t> sample);
  void append(std::span<const std::uint16_t> sample, std::int32_t label);
  void append_compressed(std::span<const std::uint8_t> chunk, std::int32_t label);
  [[nodiscard]] std::size_t size() const;
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Synthetic frames: each cell of each step is nonzero with probability `density`, with a
/// Poisson(1)+1 count; labels uniform over `classes`. Deterministic for a seed.
FrameSet synth_frames(FrameShape shape, std::size_t count, double density, int classes,
                      std::uint64_t seed);

}  // namespace snngx::datasets
