#pragma once
// Internal: the process-wide SystemC simulation of the Verilated slices (see cosim.hpp).
#include <cstdint>
#include <memory>
#include <mutex>

#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl::detail {

/// One elaborated RTL slice with its signals and its own clock.
class Instance {
 public:
  virtual ~Instance() = default;
  [[nodiscard]] virtual bool has_decryption() const = 0;
  [[nodiscard]] virtual SliceOutputs outputs() const = 0;
  /// Drives `in` with the clock low, then raises the clock (one rising edge), then lowers it.
  virtual void tick(const SliceInputs& in) = 0;

  // Bookkeeping of the pool (guarded by the simulation mutex).
  bool leased = false;
  std::uint64_t key_owner = 0;  // id of the key generation last written, 0 = none
};

/// Leases an instance; throws std::runtime_error if all instances of the variant are in use.
/// Call with the mutex held.
Instance& acquire(bool with_decryption);
void release(Instance& instance);
/// The lock every SystemC interaction holds.
std::mutex& simulation_mutex();
/// A fresh id for a key generation (never 0).
std::uint64_t next_key_id();

}  // namespace snngx::rtl::detail
