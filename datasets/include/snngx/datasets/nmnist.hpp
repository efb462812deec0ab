#pragma once
// N-MNIST binary files (Orchard et al. 2015), read as tonic reads them (spec: datasets.md).
// Each event is 5 bytes: x, y, then polarity in bit 7 and a 23-bit microsecond timestamp.
// A record with y == 240 is a timestamp-overflow marker: every later event gets +8192 us.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "snngx/datasets/events.hpp"

namespace snngx::datasets {

inline constexpr SensorSize nmnist_sensor{34, 34, 2};
inline constexpr std::int64_t nmnist_first_saccade_us = 100'000;

/// Decodes one N-MNIST file's bytes. `where` names the file in errors (with the byte offset).
/// Throws on a length that is not a multiple of 5 or an event outside the 34x34 sensor.
/// `first_saccade_only` keeps the events with t < 100,000 us.
Events decode_nmnist(std::span<const std::uint8_t> bytes, const std::string& where,
                     bool first_saccade_only = false);
Events read_nmnist_file(const std::filesystem::path& path, bool first_saccade_only = false);

/// Encodes events (x, y < 34, time-ordered, t >= 0), inserting overflow markers whenever a
/// timestamp does not fit in 23 bits after the markers so far.
std::vector<std::uint8_t> encode_nmnist(std::span<const Event> events);
void write_nmnist_file(const std::filesystem::path& path, std::span<const Event> events);

/// A file of a dataset tree and its label.
struct LabelledFile {
  std::filesystem::path path;
  std::int32_t label = 0;
};
/// `<root>/Train|Test/<digit>/*.bin`, label = digit, ordered by label then file name.
/// `split` is "train" or "test". Throws if the split folder is missing or holds no files.
std::vector<LabelledFile> list_nmnist(const std::filesystem::path& root, const std::string& split);

/// Whole file into memory; throws "<file>: cannot read".
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path);
/// Writes bytes atomically (temporary file + rename).
void write_file_bytes(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

}  // namespace snngx::datasets
