// Technology implementation "table": the numbers of the config's technology component.
#include "snngx/rram/components/technology.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace snngx::rram {

namespace {

class TableTechnology final : public ITechnology {
 public:
  explicit TableTechnology(const ComponentInputs& in)
      : adc_pj_(in.own.get("adc_energy_pj")), adc_ref_bits_(in.own.get("adc_ref_bits")) {
    auto t = [&](const char* name) { return in.own.get(name); };
    n_.cell_read_fj = t("cell_read_energy_fj");
    n_.wordline_fj = t("wordline_energy_fj");
    n_.shift_add_pj = t("shift_add_energy_pj");
    n_.adder_pj = t("adder_energy_pj");
    n_.lif_pj = t("lif_energy_pj");
    n_.fp32_add_pj = t("fp32_add_energy_pj");
    n_.buffer_pj_per_bit = t("buffer_energy_pj_per_bit");
    n_.key_read_pj_per_bit = t("key_sram_read_energy_pj_per_bit");
    n_.key_write_pj_per_bit = t("key_sram_write_energy_pj_per_bit");
    n_.decrypt_add_pj = t("decrypt_add_energy_pj");
    n_.crossbar_mm2 = t("crossbar_area_mm2");
    n_.adc_mm2 = t("adc_area_mm2");
    n_.shift_add_mm2 = t("shift_add_area_mm2");
    n_.lif_mm2 = t("lif_area_mm2");
    n_.buffer_mm2_per_kb = t("buffer_area_mm2_per_kb");
    n_.engine_mm2 = t("decrypt_engine_area_mm2");
    n_.key_sram_um2_per_bit = t("key_sram_area_um2_per_bit");
  }

  [[nodiscard]] std::string name() const override { return "table"; }
  [[nodiscard]] const TechnologyNumbers& numbers() const override { return n_; }
  // Scaled by 2^(bits - ref): one more bit doubles a SAR/flash converter's energy.
  [[nodiscard]] double adc_energy_pj(int bits) const override { return adc_pj_ * std::exp2(bits - adc_ref_bits_); }

 private:
  double adc_pj_, adc_ref_bits_;
  TechnologyNumbers n_;
};

}  // namespace

namespace {

// Citations of the default technology numbers (full references in docs/accelerator.md).
constexpr const char* kRtlSynth =
    "rtl/synth/flow.sh: yosys 0.23 + OpenSTA, Nangate 45 nm typical, rtl/sv/snngx_decrypt_engine.sv ROWS 128 COLS 18 LANES 10 "
    "at 1 GHz: 21,448 um2, 18,407 cells, 1,025 flip-flops, slack +0.132 ns (docs/rtl.md); key SRAM excluded";
constexpr const char* kIsaac = "Shafiee et al., ISAAC, ISCA 2016, Table 6 (32 nm)";
constexpr const char* kHorowitz = "Horowitz, Computing's energy problem, ISSCC 2014 (45 nm)";

std::string isaac(const char* detail) { return std::string(kIsaac) + ": " + detail; }
std::string horowitz(const char* detail) { return std::string(kHorowitz) + ": " + detail; }

std::vector<ParamSpec> table_params() {
  return {cited_param("cell_read_energy_fj", "fJ", 1.83, "energy per cell read with an active wordline",
                      isaac("128x128 array 0.3 mW, 100 ns read -> 30 pJ / 16384 cells")),
          cited_param("wordline_energy_fj", "fJ", 390, "wordline driver (1-bit DAC) energy per active row per tile read",
                      isaac("1024 1-bit DACs 4 mW, 100 ns -> 0.39 pJ")),
          cited_param("adc_energy_pj", "pJ", 1.56, "ADC energy per conversion at adc_ref_bits (scaled by 2^(bits-ref))",
                      isaac("8-bit ADC 2 mW at 1.28 GS/s (Kull et al., ISSCC 2013)")),
          cited_param("adc_ref_bits", "bits", 8, "resolution adc_energy_pj refers to", kIsaac),
          cited_param("shift_add_energy_pj", "pJ", 0.04, "shift-and-add energy per addition",
                      isaac("shift-and-add 0.05 mW per unit at 1.28 GHz")),
          cited_param("adder_energy_pj", "pJ", 0.1, "32-bit integer addition in the adder tree / decryption unit",
                      horowitz("32-bit add 0.1 pJ")),
          cited_param("lif_energy_pj", "pJ", 8.4, "one LIF update: 2 float32 multiplies + add + compare",
                      horowitz("fp32 mult 3.7 pJ, fp32 add 0.9 pJ, compare ~0.1 pJ")),
          cited_param("fp32_add_energy_pj", "pJ", 0.9, "float32 addition in the neuron unit (bias, recurrent sums)",
                      horowitz("fp32 add 0.9 pJ")),
          cited_param("buffer_energy_pj_per_bit", "pJ", 0.156, "SRAM buffer read or write energy per bit",
                      horowitz("8 KB SRAM 64-bit access 10 pJ")),
          cited_param("key_sram_read_energy_pj_per_bit", "pJ", 0.156, "key SRAM read energy per bit (a word = COLS x 9 bits)",
                      horowitz("8 KB SRAM 64-bit access 10 pJ")),
          cited_param("key_sram_write_energy_pj_per_bit", "pJ", 0.156, "key SRAM write energy per bit (key load)",
                      horowitz("8 KB SRAM 64-bit access 10 pJ")),
          cited_param("key_sram_area_um2_per_bit", "um2", 0.128, "key SRAM area per bit", isaac("2 KB input register 0.0021 mm2")),
          cited_param("decrypt_engine_area_mm2", "mm2", 0.0214481, "one decryption engine's logic without its key SRAM",
                      kRtlSynth),
          cited_param("decrypt_add_energy_pj", "pJ", 0.05,
                      "one 16-bit addition in a decryption engine (sum and accumulate stages)",
                      horowitz("32-bit add 0.1 pJ, halved for 16 bits")),
          cited_param("crossbar_area_mm2", "mm2", 0.000025, "area of one 128x128 array (scaled by cells)",
                      isaac("8 arrays 0.0002 mm2")),
          cited_param("adc_area_mm2", "mm2", 0.0012, "area of one ADC", isaac("8 ADCs 0.0096 mm2")),
          cited_param("shift_add_area_mm2", "mm2", 0.00006, "area of one shift-and-add unit (one per ADC)",
                      isaac("4 units 0.00024 mm2")),
          cited_param("lif_area_mm2", "mm2", 0.0003, "area of one LIF unit (proxy: ISAAC's sigmoid unit)",
                      isaac("2 sigmoid units 0.0006 mm2")),
          cited_param("buffer_area_mm2_per_kb", "mm2", 0.0013, "buffer area per KB", isaac("64 KB eDRAM 0.083 mm2"))};
}

}  // namespace

template <>
ImplRegistry<ITechnology>& registry<ITechnology>() {
  static ImplRegistry<ITechnology> r{{"table", "energy and area per event (defaults: 22-45 nm published figures)",
                                      table_params(), factory_of<ITechnology, TableTechnology>()}};
  return r;
}

}  // namespace snngx::rram
