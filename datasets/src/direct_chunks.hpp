#pragma once
// Layout 2's event datasets as snngx writes them uncompressed (1-D chunks whose only filter is
// Fletcher-32), and model weights (one Fletcher-32 chunk per dataset), read without libhdf5's
// chunk machinery: each chunk's bytes go by pread straight
// into the caller's buffer (a chunk cut by the range through one cached chunk), and each checksum
// is checked with the vectorized h5::fletcher32. libhdf5's path copied every chunk twice and
// summed it word by word: a quarter of the frame reader's CPU in a streamed `snngx infer`, on
// cores the engine needs. Files stored any other way (deflate, other filters, a user block, a
// big-endian type) take libhdf5's path (FrameSource). The checks equal libhdf5's: the filter
// mask, the stored size, the file's end and the checksum (its pre-1.6.3 half-swapped form too).
#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace snngx::datasets::detail {

/// A read-only file descriptor, closed on destruction.
class FileDescriptor {
 public:
  explicit FileDescriptor(const std::filesystem::path& path);
  ~FileDescriptor();
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class DirectChunks {
 public:
  /// The direct reader of `ds` (elements stored as `file_type`, whose bytes must be the native
  /// type's: little-endian on this host), or nullopt when it is not stored so. Any rank, with
  /// chunks of whole rows (every chunk dimension but the first spans the dataset), so that the
  /// elements in C order are consecutive chunks.
  static std::optional<DirectChunks> open(const H5::DataSet& ds, const H5::PredType& file_type, const FileDescriptor& fd);

  /// Elements [first, first + n) into `out` (n elements). Throws H5::DataSetIException naming the
  /// chunk for a corrupt one (libhdf5's own exception type, so callers report it the same way).
  void read(std::uint64_t first, std::uint64_t n, void* out);

 private:
  DirectChunks(const H5::DataSet& ds, const FileDescriptor& fd, std::size_t element, std::uint64_t chunk,
               std::uint64_t chunk_rows, std::uint64_t end)
      : ds_(ds), fd_(fd.get()), element_(element), chunk_(chunk), chunk_rows_(chunk_rows), end_(end) {}
  // Chunk `k`'s data into `to` (chunk_ * element_ bytes), checked.
  void read_chunk(std::uint64_t k, std::uint8_t* to);

  H5::DataSet ds_;
  int fd_;
  std::size_t element_;
  std::uint64_t chunk_;       // elements per chunk
  std::uint64_t chunk_rows_;  // its extent in the first dimension
  std::uint64_t end_;    // bytes a chunk may reach: the file's size
  std::vector<std::uint8_t> cached_;  // the last chunk read through the cache
  std::optional<std::uint64_t> cached_chunk_;
};

}  // namespace snngx::datasets::detail
