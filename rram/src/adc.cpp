// ADC implementations: "ideal" (exact rounding, never saturates), "sar" (finite resolution,
// offset before rounding, clipping to 0..2^bits-1) and "gain_error" (finite resolution, slope
// error before rounding, clipping).
#include "snngx/rram/components/adc.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace snngx::rram {

int exact_adc_bits(const CrossbarGeometry& crossbar) {
  const double levels = static_cast<double>(crossbar.rows) * ((1 << crossbar.bits_per_cell) - 1);
  return static_cast<int>(std::ceil(std::log2(levels + 1)));
}

namespace {

class IdealAdc : public IAdc {
 public:
  explicit IdealAdc(const ComponentInputs& in)
      : columns_per_adc_(in.own.get_int("columns_per_adc")),
        conversion_cycles_(in.own.get_int("conversion_cycles")),
        exact_bits_(exact_adc_bits(in.crossbar)),
        bits_(in.own.get_int("bits") == 0 ? exact_bits_ : in.own.get_int("bits")) {}

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
  explicit SarAdc(const ComponentInputs& in) : IdealAdc(in), offset_(in.own.get("offset_lsb")) {}

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

// A finite-resolution ADC whose transfer slope is off by a relative gain error (one of the two
// static errors of a real converter, with sar's offset): code = clip(round(I x (1 + gain_error))).
class GainErrorAdc final : public IdealAdc {
 public:
  explicit GainErrorAdc(const ComponentInputs& in) : IdealAdc(in), gain_(1.0 + in.own.get("gain_error")) {}

  [[nodiscard]] std::string name() const override { return "gain_error"; }
  [[nodiscard]] bool lossless() const override { return bits() >= exact_bits() && gain_ == 1.0; }
  void convert(std::span<const double> currents, std::span<std::int64_t> codes) const override {
    const std::int64_t top = (std::int64_t{1} << bits()) - 1;
    std::transform(currents.begin(), currents.end(), codes.begin(), [&](double c) {
      return std::clamp<std::int64_t>(std::llround(c * gain_), 0, top);
    });
  }

 private:
  double gain_;
};

std::vector<ParamSpec> ideal_params() {
  return {int_param("columns_per_adc", "columns", 8, "columns multiplexed onto one ADC", 1, 4096),
          int_param("conversion_cycles", "cycles", 1, "cycles per conversion (ISAAC: 1.28 GS/s, i.e. one per 1 GHz cycle)", 1,
                    1 << 16),
          int_param("bits", "bits", 0, "resolution; 0 = just enough for exact results (ceil(log2(rows*(2^b-1)+1)))", 0, 24)};
}

std::vector<ParamSpec> sar_params() {
  auto p = ideal_params();
  p.push_back(real_param("offset_lsb", "LSB", 0.0, "input-referred offset added before rounding", -1e6, 1e6));
  return p;
}

std::vector<ParamSpec> gain_error_params() {
  auto p = ideal_params();
  p.push_back(real_param("gain_error", "1", 0.0, "relative error of the transfer slope (0.01 = codes 1 % too large)", -0.5, 0.5));
  return p;
}

}  // namespace

template <>
ImplRegistry<IAdc>& registry<IAdc>() {
  static ImplRegistry<IAdc> r{
      {"ideal", "exact conversion (rounds to the nearest level, never saturates)", ideal_params(), factory_of<IAdc, IdealAdc>()},
      {"sar", "finite resolution: rounds, adds an offset and clips to 0..2^bits-1", sar_params(), factory_of<IAdc, SarAdc>()},
      {"gain_error", "finite resolution with a gain error: scales, rounds and clips to 0..2^bits-1", gain_error_params(),
       factory_of<IAdc, GainErrorAdc>()}};
  return r;
}

}  // namespace snngx::rram
