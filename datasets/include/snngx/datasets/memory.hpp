#pragma once
// What reading or converting frames needs in memory, estimated before the work starts
// (the CLI refuses what cannot fit). All sums saturate instead of wrapping.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/reader.hpp"

namespace snngx::datasets {

/// Bytes of `samples` decoded samples of `shape` (uint16 counts, as FrameSet holds them).
std::uint64_t frame_set_bytes(FrameShape shape, std::uint64_t samples);

/// Bytes read_frames(path, limit) allocates, from the file's dimensions only (no data read).
/// Errors as read_frames for a file that is not a frame file.
std::uint64_t read_frames_bytes(const std::filesystem::path& path, std::size_t limit = 0);

/// Dataset units (files, recordings, blocks) convert_dataset frames in parallel before writing
/// them: 16..1024 depending on the dataset size, never more than `limit` when one is set.
std::size_t convert_block_units(std::size_t units_total, std::size_t limit);

/// Peak bytes of convert_dataset: per busy thread (at most one per unit of the block) one frame
/// buffer of a whole sample, plus for the dense layout one compression buffer of about the same
/// size; plus one sample held by each other unit of the block until written (counted raw, an upper
/// bound: compressed or sparse frames of events are far smaller; at least one sample per unit).
std::uint64_t convert_memory_bytes(FrameShape shape, std::size_t block_units, int threads, FrameLayout layout);

/// The shape convert_dataset writes for these options (sensor after Downsample).
FrameShape converted_shape(const EventDataset& dataset, const ConvertOptions& options);

}  // namespace snngx::datasets
