// Fuzzing: >= 10,000 random mutations of valid files per reader. Every input either decodes or
// raises std::runtime_error with one line naming the file; nothing else may escape (no
// bad_alloc/length_error from a size field, no crash or hang; ASan/UBSan builds check memory).
// Decoded streams are then framed to exercise the transforms on whatever came out.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>

#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"
#include "snngx/datasets/shd.hpp"
#include "file_fuzz_hdf5.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr int mutations_per_reader = 10'000;

// One random edit: flip a bit, overwrite bytes (often with boundary values of a 4-byte field),
// insert or delete a range, truncate, or duplicate a piece.
Bytes mutate(Bytes b, std::mt19937_64& rng) {
  const auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < edits; ++k) {
    switch (rng() % 7) {
      case 0:
        if (!b.empty()) b[pick(b.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        for (int i = 0; i < 4 && !b.empty(); ++i) b[pick(b.size())] = static_cast<std::uint8_t>(rng());
        break;
      case 2: {
        static constexpr std::int32_t special[] = {0, -1, 1, 0x7FFFFFFF, static_cast<std::int32_t>(0x80000000), 8, 28, 240, 65535};
        if (b.size() >= 4) {
          const std::int32_t v = special[rng() % std::size(special)];
          std::memcpy(&b[pick(b.size() - 3)], &v, 4);
        }
        break;
      }
      case 3: {
        const std::size_t at = pick(b.size() + 1), n = 1 + pick(16);
        Bytes extra(n);
        for (auto& x : extra) x = static_cast<std::uint8_t>(rng());
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), extra.begin(), extra.end());
        break;
      }
      case 4:
        if (!b.empty()) {
          const std::size_t at = pick(b.size()), n = std::min(b.size() - at, 1 + pick(32));
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
        }
        break;
      case 5:
        b.resize(pick(b.size() + 1));
        break;
      default:
        if (!b.empty()) {
          const std::size_t at = pick(b.size()), n = std::min(b.size() - at, 1 + pick(64));
          const Bytes piece(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), piece.begin(), piece.end());
        }
    }
  }
  return b;
}

// Frames whatever decoded (sorted, since decreasing time is a separate, tested error).
void frame_all(Events events, SensorSize sensor) {
  ConvertOptions o;
  o.sort = true;
  o.downsample = sensor.w == 128 ? 0.25 : 1.0;
  o.denoise_us = 5000;
  const SensorSize framed = o.downsample != 1.0 ? downsample(sensor, o.downsample) : sensor;
  std::vector<std::uint16_t> out(15 * framed.frame_size());
  (void)frame_sample(events, sensor, o, "fuzz", out);
  (void)ToFrame::event_count(7)(events, framed);
}

struct Outcome {
  int accepted = 0, rejected = 0;
};

Outcome fuzz(const Bytes& valid, const std::function<void(const Bytes&)>& read, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Outcome o;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < mutations_per_reader; ++i) {
    const Bytes input = mutate(valid, rng);
    try {
      read(input);
      ++o.accepted;
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_TRUE(what.starts_with("fuzz.")) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      ++o.rejected;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d mutations: %d accepted, %d rejected in %.2f s\n", mutations_per_reader, o.accepted, o.rejected, seconds);
  return o;
}

Events random_events(std::size_t n, int w, int h, std::uint64_t seed, std::int64_t dt = 300) {
  std::mt19937_64 rng(seed);
  Events e;
  std::int64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    t += static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(dt));
    e.push_back({t, static_cast<std::uint16_t>(rng() % static_cast<std::uint64_t>(w)),
                 static_cast<std::uint16_t>(rng() % static_cast<std::uint64_t>(h)), static_cast<std::uint8_t>(rng() % 2)});
  }
  return e;
}

TEST(Fuzz, NmnistDecoderSurvivesRandomMutations) {
  const Bytes valid = encode_nmnist(random_events(300, 34, 34, 1, 40000));  // includes overflow markers
  const auto o = fuzz(valid, [](const Bytes& b) { frame_all(decode_nmnist(b, "fuzz.bin"), nmnist_sensor); }, 101);
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 100);
}

TEST(Fuzz, Aedat31DecoderSurvivesRandomMutations) {
  const Bytes valid = encode_aedat31(random_events(400, 128, 128, 2), 64);
  const auto o = fuzz(valid, [](const Bytes& b) { frame_all(decode_aedat31(b, "fuzz.aedat"), dvsgesture_sensor); }, 102);
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 100);
}

TEST(Fuzz, GestureLabelsAndCuttingSurviveRandomMutations) {
  const Events recording = random_events(2000, 128, 128, 3);
  const std::vector<GestureLabel> labels{{0, 0, 100'000}, {5, 100'000, 250'000}, {10, 200'000, 300'000}};
  const std::string csv = format_gesture_labels(labels);
  const auto o = fuzz(Bytes(csv.begin(), csv.end()),
                      [&](const Bytes& b) {
                        const auto parsed = parse_gesture_labels(std::string(b.begin(), b.end()), "fuzz.csv");
                        for (auto& s : cut_gesture_samples(recording, parsed, "r.aedat", "fuzz.csv"))
                          frame_all(std::move(s.events), dvsgesture_sensor);
                      },
                      103);
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 100);
}

TEST(Fuzz, GestureNpyDecoderSurvivesRandomMutations) {
  const Bytes valid = encode_gesture_npy(random_events(200, 128, 128, 4));
  const auto o = fuzz(valid, [](const Bytes& b) { frame_all(decode_gesture_npy(b, "fuzz.npy"), dvsgesture_sensor); }, 104);
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 100);
}

// SHD: libhdf5 itself is not hardened against corrupted files, so the fuzzing targets what the
// reader does with the arrays HDF5 returns: random lengths, times (NaN, inf, negative, huge,
// decreasing) and channels.
TEST(Fuzz, ShdSampleDecodingSurvivesRandomArrays) {
  std::mt19937_64 rng(105);
  const Events valid = random_events(500, 700, 1, 5);
  static constexpr double odd_times[] = {-1.0, -0.0, 1e-300, 0.5, 1e6, 1e300, std::numeric_limits<double>::infinity(),
                                         std::numeric_limits<double>::quiet_NaN()};
  static constexpr std::int64_t odd_units[] = {-1, 0, 699, 700, 65535, std::numeric_limits<std::int64_t>::min()};
  Outcome o;
  for (int i = 0; i < mutations_per_reader; ++i) {
    std::vector<double> seconds;
    std::vector<std::int64_t> units;
    for (const Event& e : valid) {
      seconds.push_back(static_cast<double>(e.t) * 1e-6);
      units.push_back(e.x);
    }
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % seconds.size();
      switch (rng() % 5) {
        case 0: seconds[at] = odd_times[rng() % std::size(odd_times)]; break;
        case 1: units[at] = odd_units[rng() % std::size(odd_units)]; break;
        case 2: units.resize(rng() % (units.size() + 2)); break;
        case 3: std::swap(seconds[at], seconds[rng() % seconds.size()]); break;
        default: seconds[at] = std::ldexp(static_cast<double>(rng() % 1000), -static_cast<int>(rng() % 40)); break;
      }
    }
    try {
      frame_all(shd_events(seconds, units, rng() % 2 == 0, "fuzz.h5: sample 0"), shd_sensor);
      ++o.accepted;
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with("fuzz.h5: sample 0: ")) << e.what();
      ++o.rejected;
    }
  }
  EXPECT_GT(o.rejected, 1000);
  EXPECT_GT(o.accepted, 1000);
}


// ---- Frame files (issue 17 point 5) ----------------------------------------------------------
// Byte-level mutations of whole `*.frames.h5` files of both layouts, read the ways the commands
// read them (FrameSource batches through the double-buffered reader thread, and read_frames).
// The rule: the read succeeds with every sample passing validation, or throws std::runtime_error
// with one line starting with the file's path. Any other exception (H5::Exception, bad_alloc, ...)
// fails; a crash or hang fails the ctest run. ctest runs SNNGX_FUZZ_MUTATIONS (default 100)
// mutations per kind and file; scripts/fuzz_files.sh runs 10,000.
namespace fs = std::filesystem;
using namespace snngx::testing;  // file_fuzz.hpp: the mutation kinds shared by every file kind

// Everything a command reads from a frame file, as one comparable value.
struct Decoded {
  std::vector<std::uint32_t> index;
  std::vector<std::uint16_t> count;
  std::vector<std::uint64_t> sample_sizes;
  std::vector<std::int32_t> labels;
  bool operator==(const Decoded&) const = default;
};

Decoded read_every_way(const fs::path& path) {
  Decoded d;
  FrameSource source(path);
  for_each_batch(source, 7, 0, [&](const SparseBatch& b) {
    d.index.insert(d.index.end(), b.index.begin(), b.index.end());
    d.count.insert(d.count.end(), b.count.begin(), b.count.end());
    for (std::size_t i = 0; i < b.size(); ++i) d.sample_sizes.push_back(b.sample(i).size());
    d.labels.insert(d.labels.end(), b.labels.begin(), b.labels.end());
  });
  const FrameSet dense = read_frames(path);
  if (dense.size() != d.labels.size() || dense.labels != d.labels)
    throw std::logic_error("read_frames and FrameSource disagree on " + path.string());
  return d;
}

void fuzz_frame_file(FrameLayout layout, int sparse_deflate, std::uint64_t seed) {
  const TempDir dir;
  const fs::path valid_path = dir / "valid.frames.h5", path = dir / "fuzz.frames.h5";
  // 40 samples of 4x2x16x16 at 40 %: ~32k cells, about one full layout-2 chunk of events.
  write_frames(valid_path, synth_frames({4, 2, 16, 16}, 40, 0.4, 10, seed), layout, sparse_deflate);
  const Bytes valid = read_bytes(valid_path);
  const Decoded expected = read_every_way(valid_path);
  const auto data = dataset_byte_ranges(valid_path);
  ASSERT_FALSE(data.empty());
  std::mt19937_64 rng(seed);
  const int n = fuzz_mutations();
  const std::string label = "frame file layout " + std::to_string(static_cast<int>(layout)) + " deflate " + std::to_string(sparse_deflate);
  for (const auto kind : all_file_mutations) {
    const auto t = fuzz_file(valid, path, kind, data, n, rng, [&] { return read_every_way(path) == expected; }, label);
    if (kind == FileMutation::Truncation) {
      EXPECT_GT(t.rejected, n / 2);
    }
  }
}

TEST(FrameFileFuzz, Layout2SurvivesBitFlipsTruncationAndRandomRuns) { fuzz_frame_file(FrameLayout::Sparse, 0, 201); }
TEST(FrameFileFuzz, Layout2CompressedSurvivesBitFlipsTruncationAndRandomRuns) { fuzz_frame_file(FrameLayout::Sparse, 1, 202); }
TEST(FrameFileFuzz, Layout1SurvivesBitFlipsTruncationAndRandomRuns) { fuzz_frame_file(FrameLayout::Dense, 0, 203); }

// A corrupt sample found by the reader thread (batch 3 of 4) comes back to the consumer's thread
// as the one-line error, after the good batches were consumed; nothing else escapes.
TEST(FrameFileFuzz, ReaderThreadErrorsReachTheCaller) {
  const testing::TempDir dir;
  const fs::path path = dir / "late.frames.h5";
  write_frames(path, synth_frames({2, 1, 3, 3}, 8, 0.5, 10, 4));
  hsize_t first_bad = 0;
  {
    H5::H5File f(path.string(), H5F_ACC_RDWR);
    H5::DataSet offsets = f.openDataSet("sample_offsets");
    std::vector<std::uint64_t> off(9);
    offsets.read(off.data(), H5::PredType::NATIVE_UINT64);
    ASSERT_LT(off[6], off[7]) << "sample 6 needs an event to corrupt";
    first_bad = off[6];
    const std::uint32_t bad = 1000;  // outside 2*1*3*3 cells
    H5::DataSet ds = f.openDataSet("event_index");
    H5::DataSpace space = ds.getSpace();
    const hsize_t one = 1;
    space.selectHyperslab(H5S_SELECT_SET, &one, &first_bad);
    ds.write(&bad, H5::PredType::NATIVE_UINT32, H5::DataSpace(1, &one), space);
  }
  FrameSource source(path);
  std::vector<std::size_t> consumed;
  try {
    for_each_batch(source, 2, 0, [&](const SparseBatch& b) { consumed.push_back(b.first); });
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": event 0 of sample 6: index 1000 is outside the frame shape");
  }
  EXPECT_EQ(consumed, (std::vector<std::size_t>{0, 2, 4}));
  // A consumer that throws while the next batch is being read: its error wins, nothing hangs.
  FrameSource again(path);
  EXPECT_THROW(for_each_batch(again, 2, 0, [](const SparseBatch&) { throw std::invalid_argument("consumer"); }),
               std::invalid_argument);
}

}  // namespace
}  // namespace snngx::datasets
