#pragma once
// RTL co-simulation of the SNNGX decryption engine (docs/rtl.md).
//
// rtl/sv/ holds the synthesizable SystemVerilog (snngx_decrypt_engine + its key SRAM banks,
// snngx_decrypt_top); CMake's verilate(... SYSTEMC ...) turns the top into a SystemC module. This
// library drives it with the SystemC kernel and offers it as
//  - an rram::IDecryptionUnit ("rtl"), a drop-in replacement of the behavioural engine in the
//    accelerator model (register_rtl_decryption_unit), and
//  - RtlEngine, cycle-level access to every port of the top (tests of what the contract leaves
//    to the RTL: corr while not valid, ready, the key write port).
//
// SystemC elaborates once per process, so a fixed set of RTL instances is elaborated on first
// use (SimulationOptions::instances). Engines are virtual: an "rtl" unit leases an instance
// while it has a request in flight or an answer not yet seen, and (re)writes its key through the
// key write port (key_clear, then one key_we per keyed row) when the instance last held another
// unit's key. All SystemC activity is serialised by one mutex. No SystemC header is exposed here.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "snngx/rram/decryption_unit.hpp"

namespace snngx::rtl {

/// Parameters the RTL was verilated with (CMake cache SNNGX_RTL_ROWS / _COLS / _LANES).
struct VerilatedConfig {
  int rows = 0, cols = 0, lanes = 0;
  static constexpr int corr_bits = 9, acc_bits = 16, psum_bits = 32;
};
VerilatedConfig verilated_config();

struct SimulationOptions {
  std::filesystem::path trace;  // FST waveform of every RTL instance; empty = no waveform
  int instances = 32;           // RTL engine instances (units with work in flight at once)
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

/// The Verilated engine behind the decryption-unit contract. Throws std::invalid_argument naming
/// `decryption_unit.<param>` and the CMake variable if `params` differ from the verilated ones.
std::unique_ptr<rram::IDecryptionUnit> make_rtl_decryption_unit(const rram::DecryptionParams& params);
/// Registers make_rtl_decryption_unit as decryption-unit implementation "rtl", with the
/// behavioural implementation's parameters (idempotent).
void register_rtl_decryption_unit();

/// Inputs of one clock cycle of snngx_decrypt_top.
struct EngineInputs {
  bool rst = false;
  bool key_clear = false, key_we = false;
  std::uint32_t key_row = 0;
  std::vector<std::int32_t> key_word;    // COLS corrections (missing = 0), each written as CORR_W bits
  bool in_valid = false;
  std::vector<std::uint64_t> in_active;  // ROWS bits, LSB first (missing words = 0)
};

/// Outputs of snngx_decrypt_top (all registered or decoded from registers).
struct EngineOutputs {
  bool ready = false, corr_valid = false;
  std::vector<std::int32_t> corr;  // COLS values
  std::vector<int> reading;        // per bank: the row it reads on the next edge (rd_en/rd_addr), -1 = none
  friend bool operator==(const EngineOutputs&, const EngineOutputs&) = default;
};

/// One RTL engine instance, leased for the object's lifetime, driven port by port.
class RtlEngine {
 public:
  RtlEngine();
  ~RtlEngine();
  RtlEngine(const RtlEngine&) = delete;
  RtlEngine& operator=(const RtlEngine&) = delete;

  /// Current outputs (as they are before the next edge).
  [[nodiscard]] EngineOutputs outputs() const;
  /// Applies `in` and clocks one rising edge.
  void tick(const EngineInputs& in);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace snngx::rtl
