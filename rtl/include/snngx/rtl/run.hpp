#pragma once
// `snngx cosim`: the accelerator model with the Verilated decryption unit in place of the
// behavioural one, checked against the software engine and against a chip without the unit.
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
  std::size_t key_entries = 0;       // key-store entries loaded (all layers)
  std::uint64_t rtl_edges = 0;       // clock edges simulated on the RTL during the RTL run
  std::size_t spike_mismatches = 0;  // samples whose output spike counts differ from the software
  std::size_t cycle_mismatches = 0;  // samples whose cycle count differs from the baseline
  [[nodiscard]] bool passed() const { return spike_mismatches == 0 && cycle_mismatches == 0; }
};

/// Runs the four inferences on `frames` (first `limit` samples). `stored` is the encrypted model
/// (what the crossbars hold), `plain` the quantized model the key restores, `key_fingerprint`
/// the key file's header fingerprint (empty = skip the check). Registers the "rtl" unit and, if
/// this process has not simulated RTL yet, sets up the simulation (one RTL instance per key
/// entry of the largest layer, at most 1024; the waveform if asked; a waveform asked for after
/// the simulation was set up throws std::logic_error).
/// Throws std::invalid_argument for an unusable config or model.
CosimReport run_cosim(const snn::Network& stored, const crypto::XorKey& key, const std::string& key_fingerprint,
                      const snn::Network& plain, const datasets::FrameSet& frames, const CosimOptions& options);

}  // namespace snngx::rtl
