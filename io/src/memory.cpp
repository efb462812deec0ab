#include "snngx/io/memory.hpp"
#include "snngx/io/errors.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace snngx::io {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::optional<std::uint64_t> read_number(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::uint64_t> mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  std::uint64_t kib = 0;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return std::nullopt;
}

// Room left under the cgroup's limit; v1 reports "no limit" as a huge number.
std::optional<MemoryLimit> cgroup_room() {
  if (const auto max = read_number("/sys/fs/cgroup/memory.max")) {
    const auto used = read_number("/sys/fs/cgroup/memory.current").value_or(0);
    return MemoryLimit{*max > used ? *max - used : 0, "the cgroup limit /sys/fs/cgroup/memory.max"};
  }
  if (const auto max = read_number("/sys/fs/cgroup/memory/memory.limit_in_bytes"); max && *max < (std::uint64_t{1} << 60)) {
    const auto used = read_number("/sys/fs/cgroup/memory/memory.usage_in_bytes").value_or(0);
    return MemoryLimit{*max > used ? *max - used : 0, "the cgroup limit memory.limit_in_bytes"};
  }
  return std::nullopt;
}

std::optional<std::uint64_t>& override_bytes() {
  static std::optional<std::uint64_t> bytes;
  return bytes;
}

}  // namespace

std::optional<MemoryLimit> available_memory() {
  std::optional<MemoryLimit> best;
  if (const auto a = mem_available()) best = MemoryLimit{*a, "MemAvailable in /proc/meminfo"};
  if (const auto c = cgroup_room(); c && (!best || c->bytes < best->bytes)) best = c;
  return best;
}

std::uint64_t parse_size(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw std::invalid_argument("'" + text + "' is not a size (e.g. 512M, 8G)");
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (!unit.empty() && (unit.back() == 'i')) unit.pop_back();
  int shift = 0;
  if (unit == "K" || unit == "k") shift = 10;
  else if (unit == "M" || unit == "m") shift = 20;
  else if (unit == "G" || unit == "g") shift = 30;
  else if (unit == "T" || unit == "t") shift = 40;
  else if (!unit.empty()) throw std::invalid_argument("'" + text + "' is not a size (units K, M, G, T)");
  const double bytes = std::ldexp(value, shift);
  if (!(bytes > 0) || bytes >= 1.8e19) throw std::invalid_argument("'" + text + "' must be a positive size below 16 EiB");
  return static_cast<std::uint64_t>(bytes);
}

std::string human_bytes(std::uint64_t bytes) {
  if (bytes == kMax) return "more than 16 EiB";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

void check_memory(std::uint64_t estimate, const std::string& what, const std::optional<MemoryLimit>& limit) {
  if (!limit || estimate <= limit->bytes) return;
  throw ParameterError(ParameterError::literal(what) + " needs about " + human_bytes(estimate) + " of memory, more than the " + human_bytes(limit->bytes) +
                              " available (" + limit->source + "); use smaller values, or {max_memory} SIZE if you know better");
}

std::optional<MemoryLimit> memory_limit() {
  if (override_bytes()) return MemoryLimit{*override_bytes(), "{max_memory}"};
  return available_memory();
}

void set_memory_limit_override(std::uint64_t bytes) { override_bytes() = bytes; }

std::uint64_t saturating_product(std::initializer_list<std::uint64_t> factors) {
  std::uint64_t p = 1;
  for (const auto f : factors) {
    if (f == 0) return 0;
    p = p > kMax / f ? kMax : p * f;
  }
  return p;
}

std::uint64_t saturating_sum(std::initializer_list<std::uint64_t> terms) {
  std::uint64_t s = 0;
  for (const auto t : terms) s = t > kMax - s ? kMax : s + t;
  return s;
}

}  // namespace snngx::io
