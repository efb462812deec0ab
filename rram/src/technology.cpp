// Technology implementation "table": the numbers of the config's technology component.
#include "snngx/rram/components/technology.hpp"

#include <cmath>

namespace snngx::rram {

namespace {

class TableTechnology final : public ITechnology {
 public:
  explicit TableTechnology(const ChipConfig& config)
      : adc_pj_(config.get("technology", "adc_energy_pj")), adc_ref_bits_(config.get("technology", "adc_ref_bits")) {
    auto t = [&](const char* name) { return config.get("technology", name); };
    n_.cell_read_fj = t("cell_read_energy_fj");
    n_.wordline_fj = t("wordline_energy_fj");
    n_.shift_add_pj = t("shift_add_energy_pj");
    n_.adder_pj = t("adder_energy_pj");
    n_.lif_pj = t("lif_energy_pj");
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

template <>
ImplRegistry<ITechnology>& registry<ITechnology>() {
  static ImplRegistry<ITechnology> r{{"table", factory_of<ITechnology, TableTechnology>()}};
  return r;
}

}  // namespace snngx::rram
