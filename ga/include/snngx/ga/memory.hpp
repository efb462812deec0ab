#pragma once
// What a search needs in memory, estimated before it starts (the CLI refuses what cannot fit).
#include <cstddef>
#include <cstdint>

#include "snngx/ga/genetic.hpp"

namespace snngx::ga {

/// Bytes one individual occupies: its bits packed in 64-bit words plus the bookkeeping of a
/// scored member (bit-vector header, fitness, accuracy, flags).
std::uint64_t individual_bytes(std::size_t search_bits);

/// Peak bytes of run_search's populations: the parents and the children being bred live
/// together, so up to two populations of individuals at once (saturating, never wrapping).
std::uint64_t search_memory_bytes(const GaParams& params, std::size_t search_bits);

}  // namespace snngx::ga
