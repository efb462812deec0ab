#include "snngx/ga/memory.hpp"

#include <limits>

namespace snngx::ga {
namespace {
constexpr std::uint64_t kScoredOverhead = 64;  // sizeof(Scored) rounded up: vector header, size, fitness, accuracy, flags
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
}  // namespace

std::uint64_t individual_bytes(std::size_t search_bits) { return (static_cast<std::uint64_t>(search_bits) + 63) / 64 * 8 + kScoredOverhead; }

std::uint64_t search_memory_bytes(const GaParams& params, std::size_t search_bits) {
  const auto population = static_cast<std::uint64_t>(params.population < 0 ? 0 : params.population);
  const std::uint64_t per = individual_bytes(search_bits);
  if (population != 0 && per > kMax / (2 * population)) return kMax;
  return 2 * population * per;
}

}  // namespace snngx::ga
