#pragma once
// Shared by the benchmarks: a description of the machine the numbers were measured on.
#include <fstream>
#include <string>

namespace snngx::bench {

/// The CPU model from /proc/cpuinfo ("unknown CPU" elsewhere).
inline std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

}  // namespace snngx::bench
