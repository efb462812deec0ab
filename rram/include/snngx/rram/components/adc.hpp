#pragma once
// Multiplexed column ADCs (config key `adc`; built-ins "ideal", "sar"): `columns_per_adc` bitlines
// share one ADC, converted one after another, `conversion_cycles` each. A code is the column
// current in level units, rounded (plus whatever the implementation adds: offset, clipping).
#include <cstdint>
#include <span>
#include <string>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

class IAdc {
 public:
  virtual ~IAdc() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual int columns_per_adc() const = 0;
  [[nodiscard]] virtual int conversion_cycles() const = 0;
  /// Resolution in use (energy scales with it).
  [[nodiscard]] virtual int bits() const = 0;
  /// True when the code of every exact column current is that integer (no offset, no clipping at
  /// the tile's largest column sum): the chip may then skip the per-column path.
  [[nodiscard]] virtual bool lossless() const = 0;
  /// Converts column currents (level units) to codes, element by element.
  virtual void convert(std::span<const double> currents, std::span<std::int64_t> codes) const = 0;

  [[nodiscard]] std::int64_t convert_one(double current) const {
    std::int64_t code = 0;
    convert({&current, 1}, {&code, 1});
    return code;
  }
};

/// Just enough bits for exact codes: ceil(log2(crossbar.rows * (2^bits_per_cell - 1) + 1)).
int exact_adc_bits(const CrossbarGeometry& crossbar);

template <>
struct ComponentTraits<IAdc> : ComponentKind<"adc"> {};
template <>
ImplRegistry<IAdc>& registry<IAdc>();

}  // namespace snngx::rram
