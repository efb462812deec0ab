#pragma once
// Byte-level fuzzing of the files snngx reads (issue 17 point 5), one set of mutation kinds for
// every file kind (frame, model, outputs, NIR, key files):
//   BitFlips      1-4 bit flips anywhere in the file;
//   DataBitFlips  1-4 bit flips inside the stored bytes of the file's datasets (chunks, compressed
//                 or not, located with H5Dget_chunk_info; contiguous blocks with H5Dget_offset),
//                 so the data itself is hit rather than the metadata around it;
//   Truncation    the file cut at a random length;
//   RandomRuns    1-4 runs of up to 64 random bytes written over the file.
// `fuzz_file` applies one kind `fuzz_mutations()` times and checks the rule: the read returns
// (the same value, or a changed one that passed validation), or throws std::runtime_error with
// one line starting with the file's path. Any other exception, or anything on stderr (HDF5's
// error stack), fails the test; a crash or a hang fails the ctest run. The dataset byte ranges of
// an HDF5 file come from file_fuzz_hdf5.hpp (this header needs no HDF5).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace snngx::testing {

using Bytes = std::vector<std::uint8_t>;

/// Mutations per kind: $SNNGX_FUZZ_MUTATIONS, else `fallback` (ctest's modest default).
inline int fuzz_mutations(int fallback = 100) {
  const char* env = std::getenv("SNNGX_FUZZ_MUTATIONS");
  const int n = env ? std::atoi(env) : 0;
  return n > 0 ? n : fallback;
}

inline Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

/// A failing mutated file is copied into $SNNGX_FUZZ_KEEP (a folder), when set, as
/// "<label>, <kind>, mutation <i>.bin", so that a fault can be studied and turned into a
/// hand-built regression test.
inline void keep_failing_file(const std::filesystem::path& path, const std::string& label, const char* kind, int i) {
  const char* keep = std::getenv("SNNGX_FUZZ_KEEP");
  if (keep == nullptr || *keep == '\0') return;
  std::error_code ec;
  std::filesystem::copy_file(path, std::filesystem::path(keep) / (label + ", " + kind + ", mutation " + std::to_string(i) + ".bin"),
                             std::filesystem::copy_options::overwrite_existing, ec);
}

/// Bytes [begin, begin + size) of a file: where DataBitFlips aims.
struct ByteRange {
  std::size_t begin = 0, size = 0;
};

enum class FileMutation { BitFlips, DataBitFlips, Truncation, RandomRuns };
inline constexpr FileMutation all_file_mutations[] = {FileMutation::BitFlips, FileMutation::DataBitFlips,
                                                      FileMutation::Truncation, FileMutation::RandomRuns};

inline const char* to_string(FileMutation kind) {
  switch (kind) {
    case FileMutation::BitFlips: return "bit flips";
    case FileMutation::DataBitFlips: return "bit flips in dataset bytes";
    case FileMutation::Truncation: return "truncation";
    case FileMutation::RandomRuns: return "random runs";
  }
  return "?";
}

/// One mutation, drawn from `rng`: either a cut at `truncate_to`, or byte edits applied in order.
struct Mutation {
  std::optional<std::size_t> truncate_to;
  std::vector<std::pair<std::size_t, std::uint8_t>> writes;  // (offset, new value), in order
};

/// Draws one mutation of the file `b` (the same draws from `rng` as ever, so a seed and a
/// mutation number still name the same file). DataBitFlips needs `data` non-empty (else it flips
/// anywhere).
inline Mutation draw_mutation(const Bytes& b, FileMutation kind, const std::vector<ByteRange>& data, std::mt19937_64& rng) {
  const auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(rng() % 4);
  Mutation m;
  if (b.empty()) return m;
  const auto current = [&](std::size_t at) {
    for (auto it = m.writes.rbegin(); it != m.writes.rend(); ++it)
      if (it->first == at) return it->second;
    return b[at];
  };
  const auto flip = [&](std::size_t at, unsigned bit) { m.writes.emplace_back(at, static_cast<std::uint8_t>(current(at) ^ (1U << bit))); };
  switch (kind) {
    case FileMutation::BitFlips:
      for (int k = 0; k < edits; ++k) {
        const auto bit = static_cast<unsigned>(rng() % 8);  // drawn before the offset, as always
        flip(pick(b.size()), bit);
      }
      break;
    case FileMutation::DataBitFlips:
      for (int k = 0; k < edits; ++k) {
        std::size_t at = pick(b.size());
        if (!data.empty()) {
          const ByteRange& r = data[pick(data.size())];
          at = r.begin + pick(r.size);
        }
        if (at < b.size()) flip(at, static_cast<unsigned>(rng() % 8));
      }
      break;
    case FileMutation::Truncation:
      m.truncate_to = pick(b.size());
      break;
    case FileMutation::RandomRuns:
      for (int k = 0; k < edits; ++k) {
        const std::size_t at = pick(b.size()), n = std::min(b.size() - at, 1 + pick(64));
        for (std::size_t i = 0; i < n; ++i) m.writes.emplace_back(at + i, static_cast<std::uint8_t>(rng()));
      }
      break;
  }
  return m;
}

/// The file at `path`, holding `valid`, mutated in place and restored: only the edited bytes
/// (or a cut tail) are written, so a mutation costs no copy of the file (ASan made copying and
/// rewriting a whole file per mutation a fifth of a fuzz test's time).
class MutableFile {
 public:
  MutableFile(const std::filesystem::path& path, const Bytes& valid) : valid_(valid) {
    write_bytes(path, valid);
    fd_ = ::open(path.c_str(), O_RDWR);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path.string());
  }
  ~MutableFile() { ::close(fd_); }
  MutableFile(const MutableFile&) = delete;
  MutableFile& operator=(const MutableFile&) = delete;

  void apply(const Mutation& m) {
    if (m.truncate_to) must(::ftruncate(fd_, static_cast<off_t>(*m.truncate_to)) == 0);
    for (const auto& [at, value] : m.writes) put(at, &value, 1);
  }
  void undo(const Mutation& m) {
    for (const auto& [at, value] : m.writes) put(at, &valid_[at], 1);
    if (m.truncate_to) put(*m.truncate_to, valid_.data() + *m.truncate_to, valid_.size() - *m.truncate_to);
  }

 private:
  static void must(bool ok) {
    if (!ok) throw std::runtime_error("cannot write the fuzzed file");
  }
  void put(std::size_t at, const std::uint8_t* bytes, std::size_t n) {
    must(::pwrite(fd_, bytes, n, static_cast<off_t>(at)) == static_cast<ssize_t>(n));
  }
  const Bytes& valid_;
  int fd_ = -1;
};

struct FuzzTally {
  int same = 0, changed = 0, rejected = 0;
};

/// Writes `n` mutations of `valid` (kind `kind`) to `path`, calling `read()` on each: it returns
/// true when what it read equals the unmutated file's value, false for a changed value that passed
/// validation, and throws std::runtime_error to reject. Checks the one-line error rule (the line
/// starts with "<path>:", then ": " or an object path such as ":/layers/001: ") and that
/// nothing reaches stderr; prints and returns the tally.
inline FuzzTally fuzz_file(const Bytes& valid, const std::filesystem::path& path, FileMutation kind,
                           const std::vector<ByteRange>& data, int n, std::mt19937_64& rng,
                           const std::function<bool()>& read, const std::string& label) {
  FuzzTally t;
  // Wall and process CPU time per kind (the CI budget is set from these: README, Development).
  const auto wall_start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  MutableFile file(path, valid);
  // The slowest mutation is named, and kept with SNNGX_FUZZ_KEEP: a read that takes far longer
  // than the others is a near-hang to study.
  double slowest = 0.0;
  int slowest_at = -1;
  Mutation slowest_mutation;
  ::testing::internal::CaptureStderr();  // nothing but our one line may reach the user (no HDF5 stack dumps)
  for (int i = 0; i < n; ++i) {
    const Mutation m = draw_mutation(valid, kind, data, rng);
    file.apply(m);
    const auto read_start = std::chrono::steady_clock::now();
    try {
      (read() ? t.same : t.changed) += 1;
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      const bool one_line_naming_the_file = what.rfind(path.string() + ":", 0) == 0 && what.find('\n') == std::string::npos;
      EXPECT_TRUE(one_line_naming_the_file) << label << ", " << to_string(kind) << ", mutation " << i << ": " << what;
      if (!one_line_naming_the_file) keep_failing_file(path, label, to_string(kind), i);
      ++t.rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << label << ", " << to_string(kind) << ", mutation " << i << ": " << typeid(e).name() << ": " << e.what();
      keep_failing_file(path, label, to_string(kind), i);
    } catch (...) {
      ADD_FAILURE() << label << ", " << to_string(kind) << ", mutation " << i << ": a non-standard exception escaped";
      keep_failing_file(path, label, to_string(kind), i);
    }
    // Every handler above returns normally: the file is restored here, whatever the read did.
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count();
    if (took > slowest) {
      slowest = took;
      slowest_at = i;
      slowest_mutation = m;
    }
    file.undo(m);
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << label << ", " << to_string(kind);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::printf("%s, %s: %d mutations: %d read back unchanged, %d changed but valid, %d rejected (%.1f s wall, %.1f s CPU; "
              "slowest: mutation %d, %.3f s)\n",
              label.c_str(), to_string(kind), n, t.same, t.changed, t.rejected, wall, cpu, slowest_at, slowest);
  if (slowest_at >= 0) {
    file.apply(slowest_mutation);
    keep_failing_file(path, label, (std::string(to_string(kind)) + " (slowest)").c_str(), slowest_at);
    file.undo(slowest_mutation);
  }
  return t;
}

}  // namespace snngx::testing
