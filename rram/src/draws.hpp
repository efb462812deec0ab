#pragma once
// Internal: deterministic, order-independent random draws, a hash of (seed, keys...) -> uniform /
// normal, so that device variation and read noise do not depend on the run mode or thread count.
#include <cstdint>

namespace snngx::rram::detail {

std::uint64_t mix(std::uint64_t a, std::uint64_t b);
double uniform01(std::uint64_t h);
double normal(std::uint64_t h);

}  // namespace snngx::rram::detail
