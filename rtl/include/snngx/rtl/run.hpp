#pragma once
// `snngx cosim`: the accelerator model with the Verilated decryption engines in place of the
// behavioural ones, checked against the software engine and against a chip without the unit.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "snngx/crypto/xor_key.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/rram/accelerator.hpp"
#include "snngx/rram/config.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::rtl {

struct CosimOptions {
  rram::ChipConfig config;                 // decryption_unit.impl is set per run
  rram::Mode mode = rram::Mode::Cycle;     // cycle: the unit is clocked every chip cycle
  std::size_t limit = 0;                   // 0 = all samples
  std::filesystem::path trace;             // FST waveform of the RTL units (empty = none)
  std::function<void(const std::string& stage, std::size_t done, std::size_t total)> progress;
};

struct CosimReport {
  /// The encrypted model on the crossbars, the RTL unit holding the key.
  rram::RunResult rtl;
  /// The plain model on the crossbars and no decryption unit: the cycle baseline.
  rram::RunResult baseline;
  /// The software engine (event) on the plain model.
  snn::InferenceResult software;
  /// The encrypted model on the crossbars and no decryption unit (fast mode): what the chip
  /// computes without the key; `encrypted_differs` counts its samples whose spike counts differ
  /// from the software engine's on the plain model (the key matters on these frames).
  rram::RunResult without_key;
  std::size_t encrypted_differs = 0;
  std::size_t key_entries = 0;       // key entries loaded (all layers)
  std::uint64_t rtl_edges = 0;       // clock edges simulated on the RTL during the RTL run
  std::size_t spike_mismatches = 0;  // samples whose output spike counts differ from the software
  std::size_t cycle_mismatches = 0;  // samples whose cycle count differs from the baseline's
  /// Cycles the decryption unit added to the RTL run (the accelerator's count: reads whose
  /// answer came after the pulse's last cycle), and the RTL run's cycles minus the baseline's
  /// minus these (0 when every extra cycle is an added cycle the accelerator reports).
  std::uint64_t added_cycles = 0;
  std::int64_t unaccounted_cycles = 0;
  /// Spike counts equal the software's, and the cycles equal the baseline's plus the added
  /// cycles (sample by sample when no cycle was added, in total otherwise).
  [[nodiscard]] bool passed() const {
    return spike_mismatches == 0 && unaccounted_cycles == 0 && (added_cycles > 0 || cycle_mismatches == 0);
  }
};

/// Runs the four inferences on `frames` (first `limit` samples). `stored` is the encrypted model
/// (what the crossbars hold), `plain` the quantized model the key restores, `key_fingerprint`
/// the key file's header fingerprint (empty = skip the check). Registers the "rtl" unit and, if
/// this process has not simulated RTL yet, sets up the simulation (one RTL instance per engine
/// of the config's pool, decryption_unit.engines, at most 4096; the waveform if asked; a
/// waveform asked for after the simulation was set up throws std::logic_error).
/// Throws std::invalid_argument for an unusable config or model.
CosimReport run_cosim(const snn::Network& stored, const crypto::XorKey& key, const std::string& key_fingerprint,
                      const snn::Network& plain, const datasets::FrameSet& frames, const CosimOptions& options);
/// The same streaming a frame file: every run reads it in batches (memory O(batch + model)).
CosimReport run_cosim(const snn::Network& stored, const crypto::XorKey& key, const std::string& key_fingerprint,
                      const snn::Network& plain, datasets::FrameSource& frames, const CosimOptions& options);

}  // namespace snngx::rtl
