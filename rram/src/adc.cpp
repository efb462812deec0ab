// ADC implementations: "ideal" (exact rounding, never saturates) and "sar" (finite resolution,
// offset before rounding, clipping to 0..2^bits-1).
#include "snngx/rram/components/adc.hpp"

#include <algorithm>
#include <cmath>

namespace snngx::rram {

int exact_adc_bits(const ChipConfig& config) {
  const double levels = config.get("crossbar", "rows") * ((1 << config.get_int("crossbar", "bits_per_cell")) - 1);
  return static_cast<int>(std::ceil(std::log2(levels + 1)));
}

namespace {

class IdealAdc : public IAdc {
 public:
  explicit IdealAdc(const ChipConfig& config)
      : columns_per_adc_(config.get_int("adc", "columns_per_adc")),
        conversion_cycles_(config.get_int("adc", "conversion_cycles")),
        exact_bits_(exact_adc_bits(config)),
        bits_(config.get_int("adc", "bits") == 0 ? exact_bits_ : config.get_int("adc", "bits")) {}

  [[nodiscard]] std::string name() const override { return "ideal"; }
  [[nodiscard]] int columns_per_adc() const override { return columns_per_adc_; }
  [[nodiscard]] int conversion_cycles() const override { return conversion_cycles_; }
  [[nodiscard]] int bits() const override { return bits_; }
  [[nodiscard]] bool lossless() const override { return true; }
  void convert(std::span<const double> currents, std::span<std::int64_t> codes) const override {
    std::transform(currents.begin(), currents.end(), codes.begin(), [](double c) { return std::llround(c); });
  }

 protected:
  [[nodiscard]] int exact_bits() const { return exact_bits_; }

 private:
  int columns_per_adc_, conversion_cycles_, exact_bits_, bits_;
};

class SarAdc final : public IdealAdc {
 public:
  explicit SarAdc(const ChipConfig& config) : IdealAdc(config), offset_(config.get("adc", "offset_lsb")) {}

  [[nodiscard]] std::string name() const override { return "sar"; }
  [[nodiscard]] bool lossless() const override { return bits() >= exact_bits() && offset_ == 0.0; }
  void convert(std::span<const double> currents, std::span<std::int64_t> codes) const override {
    const std::int64_t top = (std::int64_t{1} << bits()) - 1;
    std::transform(currents.begin(), currents.end(), codes.begin(), [&](double c) {
      return std::clamp<std::int64_t>(std::llround(c + offset_), 0, top);
    });
  }

 private:
  double offset_;
};

}  // namespace

template <>
ImplRegistry<IAdc>& registry<IAdc>() {
  static ImplRegistry<IAdc> r{{"ideal", factory_of<IAdc, IdealAdc>()}, {"sar", factory_of<IAdc, SarAdc>()}};
  return r;
}

}  // namespace snngx::rram
