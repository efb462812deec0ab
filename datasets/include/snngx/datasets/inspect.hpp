#pragma once
// Looking at data: summaries of frame files (streamed, any size) and of raw dataset roots or
// single raw files, and a PNG picture of one sample's T frames (`snngx dataset info|view`).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "snngx/datasets/events.hpp"
#include "snngx/datasets/frames.hpp"

namespace snngx::datasets {

/// Samples [first, first + count) of a frame file with its metadata (count clipped to the end).
FrameSet read_frames_range(const std::filesystem::path& path, std::size_t first, std::size_t count);

/// True if `path` is an HDF5 file with a `frames` dataset (layout 1) or a `layout` attribute.
bool is_frame_file(const std::filesystem::path& path);
/// Number of samples in a frame file, from its dimensions (no data read).
std::size_t frame_file_samples(const std::filesystem::path& path);

struct FrameFileSummary {
  FrameSet meta;                      // shape, source, transform, sensor_size, classes; no samples
  FrameLayout layout = FrameLayout::Dense;
  std::uintmax_t file_bytes = 0;
  std::size_t samples = 0;
  std::vector<std::size_t> per_class;
  std::uint64_t total_count = 0;      // sum of all counts (events framed)
  std::uint16_t max_count = 0;
  std::uint64_t nonzero_cells = 0;
  std::size_t empty_samples = 0;      // samples with no event at all
};
/// Reads a frame file in blocks (memory bounded by one block).
FrameFileSummary summarize_frame_file(const std::filesystem::path& path);

/// What a raw path holds: a dataset root (NMNIST tree, DVS128 Gesture release, SHD folder or
/// file) or one raw file (.bin, .aedat, .npy).
struct RawSplitSummary {
  std::string split;             // "train" / "test"
  std::string description;       // reader and path
  std::size_t units = 0;         // files or recordings (SHD: blocks)
  std::size_t samples = 0;       // 0 if unknown without decoding everything
  std::vector<std::size_t> per_class;
  std::uintmax_t bytes = 0;
};
struct RawSummary {
  std::string format;  // "nmnist", "dvsgesture", "shd", or "nmnist-file", "aedat-file", "npy-file"
  SensorSize sensor;
  std::vector<std::string> classes;
  std::vector<RawSplitSummary> splits;
  // One raw file: its events.
  std::size_t events = 0, on_events = 0;
  std::int64_t t_first = 0, t_last = 0;
};
/// Detects the format of `path` and summarises it; throws naming the path if it is none.
RawSummary summarize_raw(const std::filesystem::path& path);
/// The dataset format of a root, or "" if none: "nmnist", "dvsgesture" or "shd".
std::string detect_format(const std::filesystem::path& root);

/// A PNG of one sample [T][C][H][W]: the T frames in a grid, ON counts (channel 1) in orange,
/// OFF counts (channel 0) in blue, brightness ~ sqrt(count / max count), each cell scaled up to
/// at least `min_cell` pixels. Written with zlib (no external tool).
std::vector<std::uint8_t> render_sample_png(std::span<const std::uint16_t> sample, FrameShape shape, int min_cell = 96);

}  // namespace snngx::datasets
