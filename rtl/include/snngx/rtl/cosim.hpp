#pragma once
// RTL co-simulation of the SNNGX decryption datapath (docs/rtl.md).
//
// rtl/sv/ holds the synthesizable SystemVerilog (decryption unit + key store + the adder-tree
// stage that merges the corrections); CMake's verilate(... SYSTEMC ...) turns it into SystemC
// modules. This library drives them with the SystemC kernel and offers them as
//  - an rram::IDecryptionUnit ("rtl"), a drop-in replacement of the behavioural unit in the
//    accelerator model (register_rtl_decryption_unit), and
//  - RtlSlice, cycle-level access to every port of the whole slice (lockstep tests).
//
// SystemC elaborates once per process, so a fixed set of RTL instances is elaborated on first
// use (SimulationOptions::instances per variant). Decryption units are virtual: a unit leases an
// instance while it has work in flight and (re)writes its key through the key write port when
// the instance last held another unit's key. All SystemC activity is serialised by one mutex.
// No SystemC header is exposed here.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "snngx/rram/decryption_unit.hpp"

namespace snngx::rtl {

/// Parameters the RTL was verilated with (CMake cache SNNGX_RTL_*).
struct VerilatedConfig {
  int rows = 0, lanes = 0, key_depth = 0, latency = 0, fifo_depth = 0;
  static constexpr int psum_bits = 32, row_bits = 16, col_bits = 16;
};
VerilatedConfig verilated_config();

struct SimulationOptions {
  std::filesystem::path trace;  // FST waveform of every RTL instance; empty = no waveform
  int instances = 32;           // RTL instances with the unit (units with reads in flight at once)
};
/// Sets up the process's RTL simulation; only before the first RTL object is created.
/// Throws std::logic_error afterwards, std::invalid_argument for a bad option.
void configure_simulation(const SimulationOptions& options);
/// True once the first RTL object has elaborated the simulation.
bool simulation_elaborated();
/// Flushes and closes the waveform file (if any). Further simulation is not traced.
void close_trace();
/// Rising clock edges simulated so far on all RTL instances of the process.
std::uint64_t simulated_edges();

/// The Verilated unit behind the decryption-unit contract. Throws std::invalid_argument naming
/// the parameter if `params` differ from the verilated ones.
std::unique_ptr<rram::IDecryptionUnit> make_rtl_decryption_unit(const rram::DecryptionParams& params);
/// Registers make_rtl_decryption_unit as implementation "rtl" (idempotent).
void register_rtl_decryption_unit();

/// Inputs of one clock cycle of the slice (ports of rtl/sv/snngx_decrypt_slice.sv).
struct SliceInputs {
  bool rst = false;
  bool key_we = false;
  std::uint32_t key_addr = 0;
  std::uint16_t key_row = 0, key_col = 0;
  std::int32_t key_corr = 0;
  std::uint32_t key_count = 0;
  bool in_valid = false;
  std::uint16_t in_row_base = 0, in_col_base = 0;
  std::vector<std::uint64_t> in_active;  // ROWS bits, LSB first (missing words = 0)
  bool psum_valid = false;
  std::vector<std::int32_t> psum;        // LANES partial sums (missing = 0)
};

/// Outputs of the slice (all registered).
struct SliceOutputs {
  bool corr_valid = false;
  std::vector<std::int32_t> corr;      // LANES
  bool out_valid = false;
  std::vector<std::int32_t> out_psum;  // LANES
  bool err_late = false, err_overflow = false;
  friend bool operator==(const SliceOutputs&, const SliceOutputs&) = default;
};

/// One RTL slice instance, leased for the object's lifetime.
class RtlSlice {
 public:
  /// with_decryption = false: the same adder-tree stage built without the unit (HAS_DECRYPT=0).
  explicit RtlSlice(bool with_decryption);
  ~RtlSlice();
  RtlSlice(const RtlSlice&) = delete;
  RtlSlice& operator=(const RtlSlice&) = delete;

  /// Current outputs (as they are before the next edge).
  [[nodiscard]] SliceOutputs outputs() const;
  /// Applies `in` and clocks one rising edge.
  void tick(const SliceInputs& in);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace snngx::rtl
