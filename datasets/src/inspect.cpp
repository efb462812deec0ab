// Summaries of frame files and raw datasets, and PNG pictures of samples.
#include "snngx/datasets/inspect.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"
#include "snngx/datasets/shd.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;

bool is_frame_file(const fs::path& path) {
  if (!fs::is_regular_file(path) || !H5::H5File::isHdf5(path.string())) return false;
  const H5::H5File f = h5::open_read(path);
  return f.nameExists("frames") || h5::has_attr(f, "layout");
}

std::size_t frame_file_samples(const fs::path& path) { return FrameSource(path).size(); }

FrameFileSummary summarize_frame_file(const fs::path& path) {
  constexpr std::size_t block = 1024;
  FrameFileSummary s;
  FrameSource source(path);
  s.meta = source.meta();
  s.layout = source.layout();
  s.file_bytes = fs::file_size(path);
  s.samples = source.size();
  s.per_class.assign(static_cast<std::size_t>(std::max(0, s.meta.num_classes())), 0);
  for_each_batch(source, block, 0, [&](const SparseBatch& b) {
    for (std::size_t i = 0; i < b.size(); ++i) {
      const auto label = static_cast<std::size_t>(b.labels[i]);
      if (label >= s.per_class.size()) s.per_class.resize(label + 1, 0);
      ++s.per_class[label];
      const SparseSample x = b.sample(i);
      std::uint64_t sum = 0;
      for (const std::uint16_t c : x.count) {
        sum += c;
        s.max_count = std::max(s.max_count, c);
      }
      s.nonzero_cells += x.size();
      s.total_count += sum;
      s.empty_samples += sum == 0;
    }
  });
  return s;
}

std::string detect_format(const fs::path& root) {
  if (fs::is_directory(root / "Train") || fs::is_directory(root / "Test")) return "nmnist";
  for (const fs::path& dir : {root, root / "DvsGesture"})
    if (fs::is_regular_file(dir / "trials_to_train.txt") || fs::is_regular_file(dir / "trials_to_test.txt")) return "dvsgesture";
  if (fs::is_directory(root / "ibmGestureTrain") || fs::is_directory(root / "ibmGestureTest")) return "dvsgesture";
  if (fs::is_regular_file(root / "shd_train.h5") || fs::is_regular_file(root / "shd_test.h5")) return "shd";
  if (fs::is_regular_file(root) && H5::H5File::isHdf5(root.string())) {
    const H5::H5File f = h5::open_read(root);
    if (f.nameExists("spikes")) return "shd";
  }
  return "";
}

namespace {

void summarize_events(const Events& events, RawSummary& s) {
  s.events = events.size();
  for (const Event& e : events) s.on_events += e.p;
  if (!events.empty()) {
    const auto [lo, hi] = std::minmax_element(events.begin(), events.end(), [](auto& a, auto& b) { return a.t < b.t; });
    s.t_first = lo->t;
    s.t_last = hi->t;
  }
}

}  // namespace

RawSummary summarize_raw(const fs::path& path) {
  RawSummary s;
  if (!fs::exists(path)) throw std::runtime_error(path.string() + ": no such file or directory");
  const std::string ext = path.extension().string();
  if (fs::is_regular_file(path) && (ext == ".bin" || ext == ".aedat" || ext == ".npy")) {
    const auto bytes = read_file_bytes(path);
    if (ext == ".bin") {
      s.format = "nmnist-file";
      s.sensor = nmnist_sensor;
      summarize_events(decode_nmnist(bytes, path.string()), s);
    } else if (ext == ".aedat") {
      s.format = "aedat-file";
      s.sensor = dvsgesture_sensor;
      summarize_events(decode_aedat31(bytes, path.string()), s);
    } else {
      s.format = "npy-file";
      s.sensor = dvsgesture_sensor;
      summarize_events(decode_gesture_npy(bytes, path.string()), s);
    }
    return s;
  }
  s.format = detect_format(path);
  if (s.format.empty())
    throw std::runtime_error(path.string() + ": not a dataset root or raw file (expected an N-MNIST Train/Test tree, a DVS128 "
                                             "Gesture folder, an SHD file or folder, or a .bin/.aedat/.npy file)");
  for (const std::string split : {"train", "test"}) {
    std::unique_ptr<EventDataset> data;
    try {
      data = open_dataset(s.format, path, split);
    } catch (const std::runtime_error&) {
      if (fs::is_regular_file(path)) throw;  // a single SHD file: its errors matter
      continue;                              // this split is absent
    }
    s.sensor = data->sensor();
    s.classes = data->classes();
    RawSplitSummary split_summary;
    split_summary.split = split;
    split_summary.description = data->description();
    split_summary.units = data->num_units();
    split_summary.per_class.assign(s.classes.size(), 0);
    for (std::size_t u = 0; u < data->num_units(); ++u) {
      const std::string name = data->unit_name(u);
      if (fs::is_regular_file(name)) split_summary.bytes += fs::file_size(name);
    }
    if (s.format == "shd") split_summary.bytes = fs::file_size(data->description().substr(4));  // "shd:<file>"
    // Labels without decoding events where the layout gives them: the digit folder (N-MNIST),
    // the file name (tonic's .npy release), the labels CSV rows (IBM release); SHD reads /labels.
    const auto count = [&](std::int32_t label) { ++split_summary.per_class.at(static_cast<std::size_t>(label)); };
    if (s.format == "nmnist") {
      for (const auto& f : list_nmnist(path, split)) count(f.label);
    } else if (s.format == "shd") {
      for (std::size_t u = 0; u < data->num_units(); ++u)
        for (const auto& sample : data->load(u)) count(sample.label);
    } else if (data->description().starts_with("dvsgesture-npy")) {
      for (std::size_t u = 0; u < data->num_units(); ++u) count(std::stoi(fs::path(data->unit_name(u)).stem().string()));
    } else {
      for (std::size_t u = 0; u < data->num_units(); ++u) {
        fs::path csv = data->unit_name(u);
        csv.replace_extension();
        csv += "_labels.csv";
        const auto bytes = read_file_bytes(csv);
        for (const auto& l : parse_gesture_labels({bytes.begin(), bytes.end()}, csv.string())) count(l.label);
      }
    }
    for (const auto c : split_summary.per_class) split_summary.samples += c;
    s.splits.push_back(std::move(split_summary));
  }
  if (s.splits.empty()) throw std::runtime_error(path.string() + ": neither the train nor the test split could be opened");
  return s;
}

// ---- PNG --------------------------------------------------------------------------------------

namespace {

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void png_chunk(std::vector<std::uint8_t>& out, const char* type, std::span<const std::uint8_t> data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  const auto crc = crc32(0L, out.data() + start, static_cast<uInt>(out.size() - start));
  put_be32(out, static_cast<std::uint32_t>(crc));
}

std::vector<std::uint8_t> encode_png(int width, int height, const std::vector<std::uint8_t>& rgb) {
  std::vector<std::uint8_t> raw;
  raw.reserve(static_cast<std::size_t>(height) * (1 + 3 * static_cast<std::size_t>(width)));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    const auto* row = rgb.data() + static_cast<std::size_t>(y) * width * 3;
    raw.insert(raw.end(), row, row + static_cast<std::size_t>(width) * 3);
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> z(size);
  if (compress2(z.data(), &size, raw.data(), static_cast<uLong>(raw.size()), 6) != Z_OK)
    throw std::runtime_error("PNG: zlib compression failed");
  z.resize(size);
  std::vector<std::uint8_t> out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<std::uint8_t> ihdr;
  put_be32(ihdr, static_cast<std::uint32_t>(width));
  put_be32(ihdr, static_cast<std::uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter, no interlace
  png_chunk(out, "IHDR", ihdr);
  png_chunk(out, "IDAT", z);
  png_chunk(out, "IEND", {});
  return out;
}

}  // namespace

std::vector<std::uint8_t> render_sample_png(std::span<const std::uint16_t> sample, FrameShape shape, int min_cell) {
  if (sample.size() != shape.sample_size() || shape.t <= 0 || shape.c <= 0)
    throw std::invalid_argument("render_sample_png: sample size does not match the frame shape");
  // Each frame is a tile of W*sx by H*sy pixels; very flat frames (SHD: 700 x 1) get tall cells.
  const int sx = std::max(1, min_cell / shape.w), sy = std::max({1, min_cell / shape.h, shape.h == 1 ? 12 : 1});
  const int tile_w = shape.w * sx, tile_h = shape.h * sy, gap = 2;
  const int cols = std::max(1, std::min(shape.t, 1600 / (tile_w + gap)));
  const int rows = (shape.t + cols - 1) / cols;
  const int width = cols * (tile_w + gap) + gap, height = rows * (tile_h + gap) + gap;
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(width) * height * 3, 64);  // grey gaps
  const std::uint16_t max_count = std::max<std::uint16_t>(1, *std::max_element(sample.begin(), sample.end()));
  const std::size_t plane = static_cast<std::size_t>(shape.h) * shape.w;
  constexpr std::array<double, 3> on_colour{255, 140, 0}, off_colour{30, 144, 255};
  for (int t = 0; t < shape.t; ++t) {
    const int ox = gap + (t % cols) * (tile_w + gap), oy = gap + (t / cols) * (tile_h + gap);
    const std::uint16_t* frame = sample.data() + static_cast<std::size_t>(t) * shape.step_size();
    for (int y = 0; y < shape.h; ++y)
      for (int x = 0; x < shape.w; ++x) {
        const std::size_t cell = static_cast<std::size_t>(y) * shape.w + x;
        const double off = std::sqrt(static_cast<double>(frame[cell]) / max_count);
        const double on = shape.c > 1 ? std::sqrt(static_cast<double>(frame[plane + cell]) / max_count) : 0.0;
        std::array<std::uint8_t, 3> colour{};
        for (int k = 0; k < 3; ++k)
          colour[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(
              std::min(255.0, on * on_colour[static_cast<std::size_t>(k)] + off * off_colour[static_cast<std::size_t>(k)]));
        for (int dy = 0; dy < sy; ++dy)
          for (int dx = 0; dx < sx; ++dx) {
            auto* px = &rgb[(static_cast<std::size_t>(oy + y * sy + dy) * width + ox + x * sx + dx) * 3];
            std::copy(colour.begin(), colour.end(), px);
          }
      }
  }
  return encode_png(width, height, rgb);
}

}  // namespace snngx::datasets
