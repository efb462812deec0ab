// io::use_huge_page_heap (memory.hpp). Also compiled into the snngx executable's start-up library
// (app/early_heap.cpp), whose constructor runs before every other library's, before libstdc++ is
// initialised: so only libc here (no iostreams, no exceptions).
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "snngx/io/memory.hpp"

namespace snngx::io {
namespace {

// The first `n - 1` bytes of a file as a C string ("" when unreadable).
void read_head(const char* path, char* out, std::size_t n) {
  out[0] = '\0';
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  const ssize_t got = ::read(fd, out, n - 1);
  out[got > 0 ? got : 0] = '\0';
  ::close(fd);
}

bool thp_available() {
  char modes[128];
  read_head("/sys/kernel/mm/transparent_hugepage/enabled", modes, sizeof modes);
  return std::strstr(modes, "[always]") || std::strstr(modes, "[madvise]");
}

}  // namespace

bool use_huge_page_heap(std::size_t reserve_bytes) {
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  const int reserve = static_cast<int>(std::min<std::size_t>(reserve_bytes, std::size_t{1} << 30));
  // One arena: the reader and worker threads' buffers come from the advised heap too (their
  // allocations are few and large; the per-thread caches keep small ones cheap).
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, reserve);      // blocks below this come from the heap, not fresh mmaps
  mallopt(M_TRIM_THRESHOLD, 2 * reserve);  // and freed heap pages stay mapped for the next batch
  if (!thp_available()) return false;
  // Grow the heap by about `reserve` bytes (just below the mmap threshold, so that the block
  // comes from the heap), advise the grown range, give it back to malloc: later allocations are
  // carved from it, so their first touch faults in 2 MiB pages.
  const std::size_t size = static_cast<std::size_t>(reserve) - std::min<std::size_t>(static_cast<std::size_t>(reserve) / 2, 64 << 10);
  void* block = std::malloc(size);
  if (!block) return false;
  const auto begin = (reinterpret_cast<std::uintptr_t>(block) + huge - 1) & ~(huge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(block) + size) & ~(huge - 1);
  const bool advised = end > begin && madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE) == 0;
  std::free(block);
  return advised;
}

bool huge_page_advised(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  FILE* smaps = std::fopen("/proc/self/smaps", "re");
  if (!smaps) return false;
  bool inside = false, advised = false;
  char line[512];
  while (std::fgets(line, sizeof line, smaps)) {
    unsigned long lo = 0, hi = 0;
    char dash = 0;
    if (std::sscanf(line, "%lx%c%lx ", &lo, &dash, &hi) == 3 && dash == '-') {
      inside = lo <= at && at < hi;
    } else if (inside && std::strncmp(line, "VmFlags:", 8) == 0) {
      advised = std::strstr(line, " hg") != nullptr;
      break;
    }
  }
  std::fclose(smaps);
  return advised;
}

}  // namespace snngx::io
