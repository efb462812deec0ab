#pragma once
// Technology numbers (config key `technology`; built-in "table"): energy per event and area per
// unit, each with its published source in the config; costs.hpp multiplies them with the event
// counters and unit counts.
#include <string>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

struct TechnologyNumbers {
  // Energy per event.
  double cell_read_fj = 0, wordline_fj = 0, shift_add_pj = 0, adder_pj = 0, lif_pj = 0, buffer_pj_per_bit = 0;
  double fp32_add_pj = 0;  // the neuron unit's bias and recurrent-sum adds
  double key_read_pj_per_bit = 0, key_write_pj_per_bit = 0, decrypt_add_pj = 0;  // decryption engines
  // Area per unit.
  double crossbar_mm2 = 0;  // one 128 x 128 array (scaled by cells)
  double adc_mm2 = 0, shift_add_mm2 = 0, lif_mm2 = 0, buffer_mm2_per_kb = 0;
  double engine_mm2 = 0, key_sram_um2_per_bit = 0;  // one decryption engine's logic; its key SRAM per bit
};

class ITechnology {
 public:
  virtual ~ITechnology() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual const TechnologyNumbers& numbers() const = 0;
  /// Energy of one ADC conversion at `bits` resolution (pJ).
  [[nodiscard]] virtual double adc_energy_pj(int bits) const = 0;
};

template <>
struct ComponentTraits<ITechnology> : ComponentKind<"technology"> {};
template <>
ImplRegistry<ITechnology>& registry<ITechnology>();

}  // namespace snngx::rram
