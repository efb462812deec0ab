#pragma once
// Energy, latency and area of simulated inferences (spec: accelerator.md section 3): the event
// counters of a run times the technology numbers of the chip config (each cited there), per
// weighted layer and per component; and the comparison of the SNNGX decryption cost with
// conventional full-weight AES decryption by an on-chip AES engine.
//
// The comparison (docs/accelerator.md, "Costs"):
//  - AES: every weight byte of the model is encrypted (AES-CTR, one message per layer; block
//    counts from crypto/aes_baseline.hpp) and decrypted once by the on-chip engine before the
//    crossbars are programmed: energy = blocks x energy_per_block, latency = blocks x
//    cycles_per_block / AES clock.
//  - SNNGX: the key store is written once (one entry per cycle at the chip clock, key_write
//    energy per entry); during inference the unit's lookups and corrections cost energy
//    (decryption_unit + key_store components) but add no cycle (tested). Energy = key load +
//    unit energy of one inference; latency = key load.
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
  std::uint64_t weight_bytes = 0, aes_blocks = 0;
  double aes_energy_pj = 0.0, aes_latency_us = 0.0;
  std::uint64_t key_entries = 0;
  double key_load_energy_pj = 0.0, key_load_latency_us = 0.0;  // once per model load
  double unit_energy_per_inference_pj = 0.0;                    // decryption_unit + key_store
  std::uint64_t added_cycles = 0;                               // by construction 0
  [[nodiscard]] double snngx_energy_pj() const { return key_load_energy_pj + unit_energy_per_inference_pj; }
  [[nodiscard]] double snngx_latency_us() const { return key_load_latency_us; }
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
  AesComparison aes;

  [[nodiscard]] std::vector<double> energy_by_component_pj() const;  // per inference
  [[nodiscard]] double energy_per_inference_pj() const;
  [[nodiscard]] double cycles_per_inference() const;
  [[nodiscard]] double latency_per_inference_us() const;
  [[nodiscard]] double area_total_mm2() const;
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
