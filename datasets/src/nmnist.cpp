#include "snngx/datasets/nmnist.hpp"

#include "snngx/io/output_files.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace snngx::datasets {
namespace fs = std::filesystem;

namespace {
constexpr std::uint8_t overflow_marker_y = 240;
constexpr std::int64_t overflow_increment = 8192;  // 2^13, as tonic adds per marker
constexpr std::int64_t max_timestamp = (std::int64_t{1} << 23) - 1;
}  // namespace

std::vector<std::uint8_t> read_file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error(path.string() + ": cannot open file");
  const auto size = static_cast<std::streamsize>(in.tellg());
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw std::runtime_error(path.string() + ": cannot read file");
  return bytes;
}

void write_file_bytes(const fs::path& path, std::span<const std::uint8_t> bytes) { io::write_bytes_atomically(path, bytes); }

Events decode_nmnist(std::span<const std::uint8_t> bytes, const std::string& where, bool first_saccade_only) {
  if (bytes.size() % 5 != 0)
    throw std::runtime_error(where + ": truncated record at byte offset " + std::to_string(bytes.size() / 5 * 5) +
                             " (file length " + std::to_string(bytes.size()) + " is not a multiple of 5)");
  Events events;
  events.reserve(bytes.size() / 5);
  std::int64_t offset_us = 0;
  const std::uint8_t* b = bytes.data();
  for (std::size_t i = 0; i < bytes.size(); i += 5, b += 5) {
    if (b[1] == overflow_marker_y) {
      offset_us += overflow_increment;
      continue;
    }
    if (b[0] >= nmnist_sensor.w || b[1] >= nmnist_sensor.h)
      throw std::runtime_error(where + ": event at byte offset " + std::to_string(i) + " has x=" +
                               std::to_string(b[0]) + ", y=" + std::to_string(b[1]) +
                               " outside the 34x34 sensor");
    Event e;
    e.x = b[0];
    e.y = b[1];
    e.p = static_cast<std::uint8_t>(b[2] >> 7);
    e.t = offset_us + ((static_cast<std::int64_t>(b[2] & 0x7F) << 16) | (static_cast<std::int64_t>(b[3]) << 8) | b[4]);
    if (first_saccade_only && e.t >= nmnist_first_saccade_us) continue;
    events.push_back(e);
  }
  return events;
}

Events read_nmnist_file(const fs::path& path, bool first_saccade_only) {
  return decode_nmnist(read_file_bytes(path), path.string(), first_saccade_only);
}

std::vector<std::uint8_t> encode_nmnist(std::span<const Event> events) {
  std::vector<std::uint8_t> out;
  out.reserve(events.size() * 5);
  std::int64_t base = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.x >= nmnist_sensor.w || e.y >= nmnist_sensor.h || e.p > 1 || e.t < base)
      throw std::invalid_argument("encode_nmnist: event " + std::to_string(i) +
                                  " is outside the 34x34x2 sensor, or out of time order");
    while (e.t - base > max_timestamp) {
      out.insert(out.end(), {0, overflow_marker_y, 0, 0, 0});
      base += overflow_increment;
    }
    const std::int64_t t = e.t - base;
    out.push_back(static_cast<std::uint8_t>(e.x));
    out.push_back(static_cast<std::uint8_t>(e.y));
    out.push_back(static_cast<std::uint8_t>((e.p << 7) | ((t >> 16) & 0x7F)));
    out.push_back(static_cast<std::uint8_t>((t >> 8) & 0xFF));
    out.push_back(static_cast<std::uint8_t>(t & 0xFF));
  }
  return out;
}

void write_nmnist_file(const fs::path& path, std::span<const Event> events) {
  write_file_bytes(path, encode_nmnist(events));
}

std::vector<LabelledFile> list_nmnist(const fs::path& root, const std::string& split) {
  if (split != "train" && split != "test")
    throw std::invalid_argument("NMNIST: split must be 'train' or 'test', got '" + split + "'");
  const fs::path dir = root / (split == "train" ? "Train" : "Test");
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + ": no such directory (expected an N-MNIST tree <root>/Train|Test/<digit>/*.bin)");
  std::vector<LabelledFile> files;
  for (int digit = 0; digit <= 9; ++digit) {
    const fs::path label_dir = dir / std::to_string(digit);
    if (!fs::is_directory(label_dir)) continue;
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(label_dir))
      if (entry.is_regular_file() && entry.path().extension() == ".bin") paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    for (auto& p : paths) files.push_back({std::move(p), digit});
  }
  if (files.empty()) throw std::runtime_error(dir.string() + ": no <digit>/*.bin files found");
  return files;
}

}  // namespace snngx::datasets
