#include "direct_chunks.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <span>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "snngx/datasets/h5.hpp"

namespace snngx::datasets::detail {
namespace {
constexpr std::size_t kChecksum = 4;  // Fletcher-32, stored after the chunk's bytes, little-endian

[[noreturn]] void corrupt(const H5::DataSet& ds, std::uint64_t k, const std::string& what) {
  throw H5::DataSetIException("DirectChunks::read", "chunk " + std::to_string(k) + " of '" + ds.getObjName() + "' " + what);
}

// Reads exactly `iov`'s bytes at `offset`, retrying short reads (false at the end of the file or
// on an error).
bool read_fully(int fd, std::span<iovec> iov, off_t offset) {
  while (!iov.empty()) {
    const ssize_t got = ::preadv(fd, iov.data(), static_cast<int>(iov.size()), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    offset += got;
    auto left = static_cast<std::size_t>(got);
    while (!iov.empty() && left >= iov.front().iov_len) {
      left -= iov.front().iov_len;
      iov = iov.subspan(1);
    }
    if (!iov.empty()) {
      iov.front().iov_base = static_cast<std::uint8_t*>(iov.front().iov_base) + left;
      iov.front().iov_len -= left;
    }
  }
  return true;
}
}  // namespace

FileDescriptor::FileDescriptor(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<DirectChunks> DirectChunks::open(const H5::DataSet& ds, const H5::PredType& file_type, const FileDescriptor& fd) {
  if constexpr (std::endian::native != std::endian::little) return std::nullopt;
  if (!fd.valid() || !(ds.getDataType() == file_type)) return std::nullopt;
  const H5::DSetCreatPropList props = ds.getCreatePlist();
  const H5::DataSpace space = ds.getSpace();
  const int rank = space.getSimpleExtentNdims();
  if (props.getLayout() != H5D_CHUNKED || props.getNfilters() != 1 || rank < 1 || rank > 8) return std::nullopt;
  unsigned flags = 0, config = 0;
  std::size_t values = 0;
  char name[64];
  if (props.getFilter(0, flags, values, nullptr, sizeof name, name, config) != H5Z_FILTER_FLETCHER32) return std::nullopt;
  std::array<hsize_t, 8> extent{}, chunk{};
  if (props.getChunk(rank, chunk.data()) != rank || space.getSimpleExtentDims(extent.data()) != rank) return std::nullopt;
  // Chunk addresses are file offsets only without a user block.
  const hid_t file = H5Iget_file_id(ds.getId());
  const hid_t creation = file < 0 ? H5I_INVALID_HID : H5Fget_create_plist(file);
  hsize_t user_block = 1;
  const bool plain = creation >= 0 && H5Pget_userblock(creation, &user_block) >= 0 && user_block == 0;
  if (creation >= 0) H5Pclose(creation);
  if (file >= 0) H5Fclose(file);
  struct stat st {};
  if (!plain || ::fstat(fd.get(), &st) != 0) return std::nullopt;
  // Whole rows only, and a chunk no larger than the file: a written chunk lies inside it, so a
  // larger one (a corrupt chunk dimension, or a file of unwritten chunks) is left to libhdf5 and
  // the one-chunk cache never allocates beyond the file.
  const auto size = static_cast<std::uint64_t>(st.st_size), limit = size / file_type.getSize();
  std::uint64_t elements = chunk[0];
  if (elements == 0 || elements > limit) return std::nullopt;
  for (std::size_t d = 1; d < static_cast<std::size_t>(rank); ++d) {
    if (chunk[d] != extent[d] || chunk[d] == 0 || elements > limit / chunk[d]) return std::nullopt;
    elements *= chunk[d];
  }
  return DirectChunks(ds, fd, file_type.getSize(), elements, chunk[0], size);
}

void DirectChunks::read_chunk(std::uint64_t k, std::uint8_t* to) {
  const std::uint64_t bytes = chunk_ * element_;
  std::array<hsize_t, 8> origin{};
  origin[0] = k * chunk_rows_;
  unsigned mask = 0;
  haddr_t address = HADDR_UNDEF;
  hsize_t stored = 0;
  if (H5Dget_chunk_info_by_coord(ds_.getId(), origin.data(), &mask, &address, &stored) < 0) corrupt(ds_, k, "cannot be looked up");
  if (address == HADDR_UNDEF) {  // never written: libhdf5 reads the fill value, 0
    std::memset(to, 0, bytes);
    return;
  }
  if (mask != 0) corrupt(ds_, k, "is marked unchecksummed");
  if (stored != bytes + kChecksum) corrupt(ds_, k, "has the wrong stored size");
  if (address > end_ || stored > end_ - address) corrupt(ds_, k, "lies beyond the end of the file (truncated or corrupt)");
  std::uint8_t trailer[kChecksum];
  std::array<iovec, 2> iov{iovec{to, bytes}, iovec{trailer, kChecksum}};
  if (!read_fully(fd_, iov, static_cast<off_t>(address))) corrupt(ds_, k, "cannot be read");
  std::uint32_t expected = 0;
  for (std::size_t b = 0; b < kChecksum; ++b) expected |= static_cast<std::uint32_t>(trailer[b]) << (8 * b);
  const std::uint32_t sum = h5::fletcher32({to, bytes});
  const std::uint32_t half_swapped = (sum & 0xff00ff00U) >> 8 | (sum & 0x00ff00ffU) << 8;  // libhdf5 before 1.6.3
  if (expected != sum && expected != half_swapped) corrupt(ds_, k, "fails its Fletcher-32 checksum");
}

void DirectChunks::read(std::uint64_t first, std::uint64_t n, void* out) {
  auto* to = static_cast<std::uint8_t*>(out);
  const std::uint64_t last = first + n;
  for (std::uint64_t at = first; at < last;) {
    const std::uint64_t k = at / chunk_, begin = k * chunk_, end = begin + chunk_;
    const std::uint64_t take = std::min(end, last) - at;
    if (at == begin && take == chunk_) {
      read_chunk(k, to);  // a whole chunk: straight into place
    } else {
      if (cached_chunk_ != k) {
        cached_.resize(chunk_ * element_);
        cached_chunk_.reset();
        read_chunk(k, cached_.data());
        cached_chunk_ = k;
      }
      std::memcpy(to, cached_.data() + (at - begin) * element_, take * element_);
    }
    to += take * element_;
    at += take;
  }
}

}  // namespace snngx::datasets::detail
