// N-Fashion-MNIST: Fashion-MNIST images recorded by the DVS emulator with the N-MNIST recipe
// (Orchard et al. 2015: the image on a 34x34 sensor, three saccades along a triangle).
#include <tbb/parallel_for.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "staged_directory.hpp"
#include "snngx/datasets/default_data.hpp"
#include "snngx/datasets/nmnist.hpp"

namespace snngx::datasets {
namespace fs = std::filesystem;

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

namespace {

// gzread handles both gzip and plain files. Reads at most `max_bytes` (0 = all).
std::vector<std::uint8_t> read_maybe_gzip(const fs::path& path, std::size_t max_bytes = 0) {
  const std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw std::runtime_error(path.string() + ": cannot open file");
  std::vector<std::uint8_t> out;
  std::array<std::uint8_t, 1 << 16> buf{};
  for (;;) {
    const int n = gzread(f.get(), buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) throw std::runtime_error(path.string() + ": corrupt gzip data");
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
    if (max_bytes > 0 && out.size() >= max_bytes) {
      out.resize(max_bytes);
      break;
    }
  }
  return out;
}

std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

IdxImages read_idx_images(const fs::path& path, int limit) {
  // With a limit, only the header and the first `limit` images are decompressed.
  std::vector<std::uint8_t> bytes = read_maybe_gzip(path, 16);
  if (limit > 0 && bytes.size() == 16)
    bytes = read_maybe_gzip(path, 16 + std::size_t{be32(bytes, 8)} * be32(bytes, 12) *
                                       std::min<std::size_t>(be32(bytes, 4), static_cast<std::size_t>(limit)));
  else
    bytes = read_maybe_gzip(path);
  if (bytes.size() < 16 || be32(bytes, 0) != 0x00000803)
    throw std::runtime_error(path.string() + ": not an IDX image file (magic 0x00000803 expected at offset 0)");
  IdxImages images;
  images.count = static_cast<int>(be32(bytes, 4));
  images.rows = static_cast<int>(be32(bytes, 8));
  images.cols = static_cast<int>(be32(bytes, 12));
  const std::size_t size = static_cast<std::size_t>(images.rows) * images.cols;
  if (limit > 0) images.count = std::min(images.count, limit);
  if (images.count < 0 || images.rows <= 0 || images.cols <= 0 || size > (1u << 20) ||
      bytes.size() != 16 + size * static_cast<std::size_t>(images.count))
    throw std::runtime_error(path.string() + ": IDX header does not match the file length");
  images.pixels.assign(bytes.begin() + 16, bytes.begin() + 16 + static_cast<std::ptrdiff_t>(size * images.count));
  return images;
}

std::vector<std::uint8_t> read_idx_labels(const fs::path& path, int limit) {
  const auto bytes = read_maybe_gzip(path);
  if (bytes.size() < 8 || be32(bytes, 0) != 0x00000801)
    throw std::runtime_error(path.string() + ": not an IDX label file (magic 0x00000801 expected at offset 0)");
  const auto count = be32(bytes, 4);
  if (bytes.size() != 8 + std::size_t{count}) throw std::runtime_error(path.string() + ": IDX header does not match the file length");
  const std::size_t n = limit > 0 ? std::min<std::size_t>(count, static_cast<std::size_t>(limit)) : count;
  return {bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n)};
}

Events record_saccades(std::span<const std::uint8_t> image, int rows, int cols, const DvsEmulator& sensor,
                       std::uint64_t seed) {
  DvsEmulator camera = sensor;
  const int w = camera.width(), h = camera.height();
  constexpr int pad = 8;
  constexpr float dark = 0.1f;            // the sensor's dark level relative to white (log offset)
  constexpr double max_shift = 3.0;       // pixels; keeps the image on the sensor
  const int pw = cols + 2 * pad, ph = rows + 2 * pad;
  std::vector<float> padded(static_cast<std::size_t>(pw) * ph, std::log(dark));
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      padded[static_cast<std::size_t>(r + pad) * pw + c + pad] =
          std::log(static_cast<float>(image[static_cast<std::size_t>(r) * cols + c]) / 255.0f + dark);

  std::mt19937_64 rng(seed);
  std::normal_distribution<double> jitter(0.0, 0.15);
  std::uniform_real_distribution<double> speed(0.97, 1.03);
  // Triangle of three saccades (pixels), as the pan-tilt unit of the N-MNIST recordings.
  std::array<std::array<double, 2>, 3> vertex{{{0.0, -1.8}, {1.6, 1.0}, {-1.6, 1.0}}};
  for (auto& v : vertex)
    for (auto& c : v) c = std::clamp(c + jitter(rng), -max_shift, max_shift);
  std::array<std::int64_t, 4> knot{};
  knot[0] = std::uniform_int_distribution<std::int64_t>(0, 999)(rng);
  for (int s = 0; s < 3; ++s) knot[s + 1] = knot[s] + std::llround(100'000 * speed(rng));

  const double ox = (w - cols) / 2.0, oy = (h - rows) / 2.0;
  std::vector<float> frame(static_cast<std::size_t>(w) * h);
  const auto render = [&](std::int64_t t) {
    int s = 0;
    while (s < 2 && t >= knot[s + 1]) ++s;
    const double u = std::clamp(static_cast<double>(t - knot[s]) / static_cast<double>(knot[s + 1] - knot[s]), 0.0, 1.0);
    const double ease = 0.5 - 0.5 * std::cos(3.14159265358979323846 * u);
    const auto& a = vertex[static_cast<std::size_t>(s)];
    const auto& b = vertex[static_cast<std::size_t>((s + 1) % 3)];
    const double dx = a[0] + (b[0] - a[0]) * ease, dy = a[1] + (b[1] - a[1]) * ease;
    // Sensor pixel (x, y) sees padded-image point (x + ax, y + ay), bilinearly resampled.
    const double ax = pad - ox - dx, ay = pad - oy - dy;
    const int ix = static_cast<int>(std::floor(ax)), iy = static_cast<int>(std::floor(ay));
    const auto fx = static_cast<float>(ax - ix), fy = static_cast<float>(ay - iy);
    for (int y = 0; y < h; ++y) {
      const float* r0 = &padded[static_cast<std::size_t>(y + iy) * pw + ix];
      const float* r1 = r0 + pw;
      float* out = &frame[static_cast<std::size_t>(y) * w];
      for (int x = 0; x < w; ++x)
        out[x] = (1 - fy) * ((1 - fx) * r0[x] + fx * r0[x + 1]) + fy * ((1 - fx) * r1[x] + fx * r1[x + 1]);
    }
  };
  // Pixels that ever see part of the object; the others stay dark and silent.
  std::vector<std::uint32_t> active;
  const int reach = static_cast<int>(max_shift) + 1;
  const float background = std::log(dark);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      bool lit = false;
      for (int v = -reach; v <= reach + 1 && !lit; ++v)
        for (int u = -reach; u <= reach + 1 && !lit; ++u) {
          const int px = x + pad - static_cast<int>(ox) + u, py = y + pad - static_cast<int>(oy) + v;
          lit = px >= 0 && py >= 0 && px < pw && py < ph && padded[static_cast<std::size_t>(py) * pw + px] > background;
        }
      if (lit) active.push_back(static_cast<std::uint32_t>(y * w + x));
    }

  Events events;
  render(knot[0]);
  camera.start(frame, knot[0], rng);
  constexpr std::int64_t step_us = 1000;
  for (std::int64_t t = knot[0] + step_us;; t += step_us) {
    const std::int64_t now = std::min(t, knot[3]);
    render(now);
    camera.advance(frame, now, active, events);
    if (now == knot[3]) break;
  }
  return merge_by_time(events, camera.noise(knot[0], knot[3], 1.0, rng));
}

NFashionMnistReport make_n_fashion_mnist(const fs::path& root, std::size_t train_count, std::size_t test_count,
                                         std::uint64_t seed, const fs::path& source, const ProgressFn& progress) {
  struct Split {
    const char* folder;
    const char* images;
    const char* labels;
    std::size_t count;
    GeneratedSplit* report;
  };
  NFashionMnistReport report;
  report.root = root;
  const std::array<Split, 2> splits{{{"Train", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", train_count, &report.train},
                                     {"Test", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", test_count, &report.test}}};
  // Build beside the destination and swap it in at the end: never a mixed or half-made tree.
  detail::StagedDirectory staged(root);
  const fs::path& staging = staged.path();
  const DvsEmulator camera(34, 34, DvsParams{}, derive_seed(seed, 0xCA3E7A, 0));
  struct Loaded {
    IdxImages images;
    std::vector<std::uint8_t> labels;
  };
  std::array<Loaded, 2> loaded;
  std::size_t total = 0;
  for (std::size_t s = 0; s < splits.size(); ++s) {
    const int limit = static_cast<int>(splits[s].count);
    loaded[s].images = read_idx_images(source / splits[s].images, limit);
    loaded[s].labels = read_idx_labels(source / splits[s].labels, limit);
    if (loaded[s].labels.size() != static_cast<std::size_t>(loaded[s].images.count))
      throw std::runtime_error((source / splits[s].labels).string() + ": label count differs from the image count");
    total += loaded[s].labels.size();
  }
  std::size_t done = 0;
  {
    for (std::size_t s = 0; s < splits.size(); ++s) {
      const auto& [images, labels] = loaded[s];
      for (int d = 0; d < 10; ++d) fs::create_directories(staging / splits[s].folder / std::to_string(d));
      const std::size_t n = labels.size(), size = static_cast<std::size_t>(images.rows) * images.cols;
      std::atomic<std::uint64_t> events{0};
      constexpr std::size_t block = 256;
      for (std::size_t first = 0; first < n; first += block) {
        const std::size_t last = std::min(n, first + block);
        tbb::parallel_for(first, last, [&](std::size_t i) {
          if (labels[i] > 9) throw std::runtime_error((source / splits[s].labels).string() + ": label " +
                                                      std::to_string(labels[i]) + " out of range");
          const Events ev = record_saccades({images.pixels.data() + i * size, size}, images.rows, images.cols, camera,
                                            derive_seed(seed, s + 1, i));
          char name[16];
          std::snprintf(name, sizeof name, "%05zu.bin", i);
          write_nmnist_file(staging / splits[s].folder / std::to_string(labels[i]) / name, ev);
          events += ev.size();
        });
        done += last - first;
        if (progress) progress(done, total);
      }
      *splits[s].report = {n, events.load()};
    }
    std::string classes;
    for (const auto& c : fashion_mnist_classes()) classes += c + "\n";
    std::ofstream(staging / "classes.txt") << classes;
    staged.publish();
  }
  return report;
}

}  // namespace snngx::datasets
