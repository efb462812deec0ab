#pragma once
// Energy, latency and area of simulated inferences (spec: accelerator.md section 3): the event
// counters of a run times the technology numbers of the chip config (each cited there), per
// weighted layer and per component; and the comparison of the SNNGX decryption cost with
// conventional full-weight AES decryption by an on-chip AES engine.
//
// The comparison with conventional full-weight encryption (docs/accelerator.md, "Costs"), once
// per model load plus one inference:
//  - AES: every weight byte of the model is encrypted (AES-CTR, one message per layer; block
//    counts from crypto/aes_baseline.hpp) and decrypted by an on-chip AES engine (component
//    `aes_engine`) before it is used: energy = blocks x energy_per_block, latency = the engine's
//    block latency + (blocks - 1) x 128 bits / throughput.
//  - SNNGX: the key SRAM words of the keyed tiles are written once (load_cycles_per_row each at
//    the chip clock); during inference the engines cost energy (decryption_unit + key_store
//    components) and the cycles they add, if any. Energy = key load + engine energy of one
//    inference; latency = key load + added cycles of one inference.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "snngx/rram/accelerator.hpp"

namespace snngx::rram {

/// Energy components of the report, in report order: crossbar (cell reads), wordline_drivers,
/// adc, shift_add, adder_tree, lif, buffers, decryption_unit (key compares and correction adds),
/// key_store (correction reads).
const std::vector<std::string>& energy_components();

struct LayerCost {
  std::string name;
  std::vector<double> energy_pj;  // per energy_components(), per inference
  double cycles = 0.0;            // per inference
  double latency_us = 0.0;        // per inference
  [[nodiscard]] double energy_total_pj() const;
};

struct AesComparison {
  std::string engine;                                           // aes_engine implementation
  std::uint64_t weight_bytes = 0, aes_blocks = 0;
  double aes_energy_pj = 0.0, aes_latency_us = 0.0;
  std::uint64_t key_entries = 0, key_rows = 0;                  // key entries, key-SRAM words written
  double key_load_energy_pj = 0.0, key_load_latency_us = 0.0;  // once per model load
  double unit_energy_per_inference_pj = 0.0;                    // decryption_unit + key_store
  double added_cycles_per_inference = 0.0;                      // measured by the run
  double clock_mhz = 0.0;
  [[nodiscard]] double snngx_energy_pj() const { return key_load_energy_pj + unit_energy_per_inference_pj; }
  [[nodiscard]] double snngx_latency_us() const { return key_load_latency_us + added_cycles_per_inference / clock_mhz; }
  /// AES / SNNGX (0 if SNNGX costs nothing, i.e. no key entries).
  [[nodiscard]] double energy_reduction() const;
  [[nodiscard]] double latency_reduction() const;
  [[nodiscard]] nlohmann::json to_json() const;
};

struct CostReport {
  std::size_t samples = 0;
  double clock_mhz = 0.0;
  int adc_bits = 0;
  std::vector<LayerCost> layers;
  std::vector<std::pair<std::string, double>> area_mm2;  // component -> mm2
  /// The configured aes_engine first, then every other registered design point (defaults).
  std::vector<AesComparison> aes;
  /// Cycles the decryption unit added, per inference (0 = zero added latency held).
  double added_cycles_per_inference = 0.0;

  [[nodiscard]] std::vector<double> energy_by_component_pj() const;  // per inference
  [[nodiscard]] double energy_per_inference_pj() const;
  [[nodiscard]] double cycles_per_inference() const;
  [[nodiscard]] double latency_per_inference_us() const;
  [[nodiscard]] double area_total_mm2() const;
  /// Share of the chip taken by the decryption unit and its key store: area and energy per inference.
  [[nodiscard]] double unit_area_share() const;
  [[nodiscard]] double unit_energy_share() const;
  [[nodiscard]] nlohmann::json to_json() const;
  /// Per-layer x per-component energy table, cycles and latency, then area and the AES comparison.
  [[nodiscard]] std::string table() const;
};

/// Costs of `samples` inferences whose counters (summed over the samples) are `per_layer`.
/// Throws std::invalid_argument if per_layer does not have one entry per weighted layer.
CostReport estimate_costs(const Accelerator& chip, std::span<const Counters> per_layer, std::size_t samples);
inline CostReport estimate_costs(const Accelerator& chip, const RunResult& run) {
  return estimate_costs(chip, run.per_layer, run.predictions.size());
}

}  // namespace snngx::rram
