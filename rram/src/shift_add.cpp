// Shift-add implementation "digital": exact integer shift-and-add across the bit slices, then
// G+ minus G-.
#include "snngx/rram/components/shift_add.hpp"

namespace snngx::rram {

namespace {

class DigitalShiftAdd final : public IShiftAdd {
 public:
  // The slice layout is the crossbar's (its bits_per_cell).
  explicit DigitalShiftAdd(const ComponentInputs& in)
      : units_per_adc_(in.own.get_int("units_per_adc")),
        bits_per_cell_(in.crossbar.bits_per_cell),
        slices_((7 + bits_per_cell_ - 1) / bits_per_cell_) {}

  [[nodiscard]] std::string name() const override { return "digital"; }
  [[nodiscard]] int units_per_adc() const override { return units_per_adc_; }
  [[nodiscard]] bool exact() const override { return true; }
  void combine(std::span<const std::int64_t> codes, std::span<std::int64_t> acc) const override {
    const auto S = static_cast<std::size_t>(slices_);
    for (std::size_t o = 0; o < acc.size(); ++o) {
      const std::int64_t* pos_codes = codes.data() + o * 2 * S;
      const std::int64_t* neg_codes = pos_codes + S;
      std::int64_t pos = 0, neg = 0;
      for (std::size_t s = S; s-- > 0;) {  // most significant slice first
        pos = (pos << bits_per_cell_) + pos_codes[s];
        neg = (neg << bits_per_cell_) + neg_codes[s];
      }
      acc[o] += pos - neg;
    }
  }

 private:
  int units_per_adc_, bits_per_cell_, slices_;
};

}  // namespace

template <>
ImplRegistry<IShiftAdd>& registry<IShiftAdd>() {
  static ImplRegistry<IShiftAdd> r{
      {"digital", "exact shift-and-add across the bit slices, then G+ minus G-",
       {int_param("units_per_adc", "units", 1, "shift-add units per ADC (area; ISAAC: one per ADC)", 1, 64)},
       factory_of<IShiftAdd, DigitalShiftAdd>()}};
  return r;
}

}  // namespace snngx::rram
