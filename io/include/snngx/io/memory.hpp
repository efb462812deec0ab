#pragma once
// Resource guard: the memory this process may still use, and a check that refuses work whose
// estimated need exceeds it, before any of the work starts.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace snngx::io {

struct MemoryLimit {
  std::uint64_t bytes = 0;
  std::string source;  // "MemAvailable in /proc/meminfo", "the cgroup limit ...", "{max_memory}" (errors.hpp form)
};

/// The smaller of /proc/meminfo's MemAvailable and the cgroup's room (memory.max minus
/// memory.current for cgroup v2, memory.limit_in_bytes minus memory.usage_in_bytes for v1).
/// Empty when neither can be read.
std::optional<MemoryLimit> available_memory();

/// Parses "512M", "8G", "1.5T", "1048576" (bytes; K/M/G/T are powers of 1024); throws
/// std::invalid_argument naming the text otherwise.
std::uint64_t parse_size(const std::string& text);
/// "1.5 GiB" style.
std::string human_bytes(std::uint64_t bytes);

/// Throws std::invalid_argument "<what> needs about X of memory, more than the Y available
/// (<source>); ..." when `estimate` exceeds `limit` (or the available memory when no limit).
void check_memory(std::uint64_t estimate, const std::string& what, const std::optional<MemoryLimit>& limit);

/// The limit set by --max-memory for this process, else available_memory().
std::optional<MemoryLimit> memory_limit();
void set_memory_limit_override(std::uint64_t bytes);

/// a * b * ..., saturating at UINT64_MAX instead of wrapping (estimates of absurd requests).
std::uint64_t saturating_product(std::initializer_list<std::uint64_t> factors);
std::uint64_t saturating_sum(std::initializer_list<std::uint64_t> terms);

/// Start-up tuning of the C heap for fewer page faults: every thread allocates from the main
/// heap, blocks below `reserve_bytes` come from it (not from fresh mmaps), freed pages stay
/// mapped for reuse, and the heap's first `reserve_bytes` are advised as transparent huge pages
/// (THP mode "madvise", the Debian default). On a VM the first touch of a 4 KiB page costs tens of
/// microseconds (a fresh 6 MB buffer ~80 ms); a 2 MiB page is one fault. Call once, before any
/// thread starts (the snngx executable calls it from libsnngx_early_heap.so, before any library
/// initialises). Returns false (and changes nothing but the malloc options) where THP is off.
/// Results of any computation are unaffected.
bool use_huge_page_heap(std::size_t reserve_bytes = std::size_t{64} << 20);
/// Whether the page holding `address` lies in a mapping advised for huge pages (VmFlags "hg" in
/// /proc/self/smaps); for tests and diagnostics.
bool huge_page_advised(const void* address);

}  // namespace snngx::io
