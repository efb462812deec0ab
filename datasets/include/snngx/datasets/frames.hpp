#pragma once
// Binned event frames: N samples of [T, C, H, W] event counts, the cache between dataset readers
// and the simulators, stored as `*.frames.h5` (spec: model-format.md, "Frame file").
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
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

/// The number of classes of a frame file: its class names, or (none stored) the largest label + 1.
[[nodiscard]] int num_classes(const std::vector<std::string>& classes, std::span<const std::int32_t> labels);

/// How a frame file stores its samples (docs/formats.md): layout 1 is the dense [N,T,C,H,W]
/// uint16 dataset other tools write; layout 2 (snngx's default) stores only the nonzero cells.
enum class FrameLayout { Dense = 1, Sparse = 2 };
FrameLayout parse_layout(const std::string& name);  // "dense" | "sparse"
std::string to_string(FrameLayout layout);

/// One sample's nonzero cells: flat indices t*C*H*W + (c*H + y)*W + x, strictly ascending, and
/// their counts (each > 0). Views into a SparseBatch.
struct SparseSample {
  std::span<const std::uint32_t> index;
  std::span<const std::uint16_t> count;
  [[nodiscard]] std::size_t size() const { return index.size(); }
};

/// Consecutive samples in sparse form (CSR over samples).
struct SparseBatch {
  FrameShape shape;
  std::size_t first = 0;                 // file index of sample 0
  std::vector<std::uint64_t> offsets{0};  // size()+1 entries, offsets[0] = 0
  std::vector<std::uint32_t> index;
  std::vector<std::uint16_t> count;
  std::vector<std::int32_t> labels;

  [[nodiscard]] std::size_t size() const { return labels.size(); }
  [[nodiscard]] SparseSample sample(std::size_t i) const {
    const auto b = static_cast<std::size_t>(offsets[i]), n = static_cast<std::size_t>(offsets[i + 1] - offsets[i]);
    return {std::span(index).subspan(b, n), std::span(count).subspan(b, n)};
  }
  /// Appends a dense sample's nonzero cells.
  void push_dense(std::span<const std::uint16_t> sample, std::int32_t label);
  /// Sample i as dense counts [T][C][H][W] written into `out` (size shape.sample_size()).
  void to_dense(std::size_t i, std::span<std::uint16_t> out) const;
};

/// Streams a frame file of either layout in bounded batches: only the metadata and the labels
/// stay open; each read_batch touches only the requested samples' bytes. Every batch is
/// validated (offsets monotone and in range, indices ascending and inside the shape, counts
/// nonzero, labels in range); problems throw std::runtime_error naming the file. HDF5 errors
/// become such errors too. Not thread-safe: use one source per thread.
class FrameSource {
 public:
  explicit FrameSource(const std::filesystem::path& path);
  ~FrameSource();
  FrameSource(FrameSource&&) noexcept;
  FrameSource& operator=(FrameSource&&) noexcept;

  [[nodiscard]] const std::filesystem::path& path() const;
  [[nodiscard]] FrameLayout layout() const;
  /// Shape, source, transform, sensor size and classes; no samples.
  [[nodiscard]] const FrameSet& meta() const;
  [[nodiscard]] std::size_t size() const;
  /// Samples [first, first + count), clipped to the end of the file.
  [[nodiscard]] SparseBatch read_batch(std::size_t first, std::size_t count);
  /// Reserves `into`'s buffers for batches of `count` samples (layout 2: at the file's mean
  /// events per sample plus a quarter), so that recycled batches do not regrow them.
  void reserve(std::size_t count, SparseBatch& into) const;
  /// The same into `into`, reusing its buffers (no allocation once they are large enough).
  void read_batch(std::size_t first, std::size_t count, SparseBatch& into);
  /// The same samples as a dense FrameSet.
  [[nodiscard]] FrameSet read_dense(std::size_t first, std::size_t count);
  /// Every label (4 bytes a sample; no sample is read), validated as read_batch does. Lets a
  /// command choose samples by class before reading any of them.
  [[nodiscard]] std::vector<std::int32_t> read_labels();
  /// The chosen samples (file indices, any order, repeats allowed) as a dense set in the given
  /// order, equal to read_dense(0, size()).select(indices). Only their bytes are read: runs of
  /// nearby indices share one batch of at most `batch` samples, so memory is O(chosen + batch).
  /// An index past the end throws std::out_of_range naming the file.
  [[nodiscard]] FrameSet read_selected(std::span<const std::size_t> indices, std::size_t batch = 1024);
  /// Total nonzero cells (layout 2: from the offsets, no sample read; layout 1: 0 = unknown).
  [[nodiscard]] std::uint64_t stored_nonzero() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Calls `consume(batch)` for consecutive batches of at most `batch_size` samples of
/// [0, min(limit, size)) (limit 0 = all), reading the next batch on another thread while the
/// current one is consumed (double buffering: at most two batches in memory). The first batch
/// holds at most 64 samples and each next one twice the last, up to `batch_size`, so that work
/// starts early. Exceptions from either side reach the caller.
void for_each_batch(FrameSource& source, std::size_t batch_size, std::size_t limit,
                    const std::function<void(const SparseBatch&)>& consume);

/// Reads a frame file of either layout into a dense set; `limit` > 0 reads only the first
/// `limit` samples. Throws std::runtime_error naming the file and the first problem found
/// (also "holds no samples").
FrameSet read_frames(const std::filesystem::path& path, std::size_t limit = 0);

/// Writes a frame file atomically (layout 2 unless asked otherwise).
void write_frames(const std::filesystem::path& path, const FrameSet& frames, FrameLayout layout = FrameLayout::Sparse,
                  int sparse_deflate = 0);

/// Rewrites a frame file in another layout, streaming (memory bounded by one batch).
/// Returns the number of samples.
std::size_t convert_frames(const std::filesystem::path& input, const std::filesystem::path& output, FrameLayout layout,
                           int sparse_deflate = 0);

/// Streams samples into a frame file without holding them in memory. The file appears under
/// `path` only when finish() succeeds; a writer destroyed before finish() leaves nothing behind.
/// Layout 1: one deflate + Fletcher-32 chunk per sample, made on any thread with compress().
/// Layout 2: the nonzero cells, buffered and written in blocks; encode() (any thread) extracts
/// them. `sparse_deflate` > 0 adds HDF5 shuffle + deflate at that level to layout 2's event
/// datasets (smaller, slower to read; default none, see docs/formats.md). Appends must come from one thread, in sample order.
class FrameWriter {
 public:
  FrameWriter(const std::filesystem::path& path, FrameShape shape, std::string source, std::string transform,
              std::array<std::int64_t, 3> sensor_size, std::vector<std::string> classes,
              FrameLayout layout = FrameLayout::Sparse, int sparse_deflate = 0);

  /// One sample ready to append: a deflate chunk (layout 1) or its nonzero cells (layout 2).
  struct Encoded {
    std::vector<std::uint8_t> chunk;
    std::vector<std::uint32_t> index;
    std::vector<std::uint16_t> count;
  };
  /// Thread-safe.
  [[nodiscard]] Encoded encode(std::span<const std::uint16_t> sample) const;
  void append_encoded(const Encoded& sample, std::int32_t label);
  /// Layout 2 (or any layout, densified): appends one sparse sample, validated.
  void append_sparse(SparseSample sample, std::int32_t label);
  [[nodiscard]] FrameLayout layout() const;
  ~FrameWriter();
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  /// One sample's counts as a stored layout-1 chunk: deflated, then its Fletcher-32. Thread-safe.
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
/// The same samples as synth_frames, streamed into a frame file (memory: one sample).
void write_synth_frames(const std::filesystem::path& path, FrameShape shape, std::size_t count, double density, int classes,
                        std::uint64_t seed, FrameLayout layout = FrameLayout::Sparse);

}  // namespace snngx::datasets
