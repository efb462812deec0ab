#pragma once
// Internal: the process-wide SystemC simulation of the Verilated engines (see cosim.hpp).
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl::detail {

/// One elaborated RTL engine (snngx_decrypt_top) with its signals and its own clock.
class Instance {
 public:
  virtual ~Instance() = default;
  [[nodiscard]] virtual bool ready() const = 0;
  [[nodiscard]] virtual bool corr_valid() const = 0;
  /// Writes the COLS corr values (as the port shows them) into `out` (at most out.size()).
  virtual void corr(std::span<std::int32_t> out) const = 0;
  /// Per bank: the row read on the next edge, -1 = none (at most out.size() banks).
  virtual void reading(std::span<int> out) const = 0;
  /// Drives `in` with the clock low, then raises the clock (one rising edge).
  virtual void tick(const EngineInputs& in) = 0;

  // Bookkeeping of the pool (guarded by the simulation mutex).
  bool leased = false;
  std::uint64_t key_owner = 0;  // id of the key generation last written, 0 = none
};

/// Leases an instance; throws std::runtime_error if all instances are in use.
/// Call with the mutex held.
Instance& acquire();
void release(Instance& instance);
/// The lock every SystemC interaction holds.
std::mutex& simulation_mutex();
/// A fresh id for a key generation (never 0).
std::uint64_t next_key_id();

}  // namespace snngx::rtl::detail
