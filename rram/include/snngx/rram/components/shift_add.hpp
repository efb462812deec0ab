#pragma once
// Shift-add units (config key `shift_add`; built-in "digital"): combine the ADC codes of one
// logical column's bit slices (slice s weighs 2^(s * bits_per_cell)) and subtract the G- array's
// result from the G+ array's, giving the tile's partial sum of that column.
#include <cstdint>
#include <span>
#include <string>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

class IShiftAdd {
 public:
  virtual ~IShiftAdd() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Shift-add units per ADC (area).
  [[nodiscard]] virtual int units_per_adc() const = 0;
  /// True when combine() is exactly sum_s code_s 2^(s b) of G+ minus that of G-: with exact cells
  /// and a lossless ADC the chip then skips the per-column path.
  [[nodiscard]] virtual bool exact() const = 0;
  /// One pulse of one row tile: acc[column] += its shift-added G+ codes minus its G- codes; codes
  /// are laid out [column][G+, G-][slice] like ICrossbar::read's currents.
  virtual void combine(std::span<const std::int64_t> codes, std::span<std::int64_t> acc) const = 0;
};

template <>
struct ComponentTraits<IShiftAdd> : ComponentKind<"shift_add"> {};
template <>
ImplRegistry<IShiftAdd>& registry<IShiftAdd>();

}  // namespace snngx::rram
