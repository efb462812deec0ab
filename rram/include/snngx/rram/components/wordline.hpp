#pragma once
// Wordline drivers (config key `wordline`; built-in "pulse"): turn a read's inputs into read
// pulses. A row with count n is driven on pulses 1..n of its row tile's read (a spike: n = 1; a
// first-layer event count n: n repeated pulses, which gives the multi-level input's integer
// result), so a tile read takes as many pulses as its largest count. Before the first pulse the
// drivers latch the read's row mask for issue_cycles().
#include <span>
#include <string>

#include "snngx/rram/components/crossbar.hpp"
#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

class IWordlineDriver {
 public:
  virtual ~IWordlineDriver() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Cycles to latch one read's active rows into the drivers (once per read, before its pulses).
  [[nodiscard]] virtual int issue_cycles() const = 0;
  /// One layer step's active rows, in place: they come with their input value (1 for a spike,
  /// the event count for a first-layer input) and leave with the pulses that drive them (>= 1).
  virtual void drive(std::span<ActiveRow> rows) const = 0;
};

template <>
struct ComponentTraits<IWordlineDriver> : ComponentKind<"wordline"> {};
template <>
ImplRegistry<IWordlineDriver>& registry<IWordlineDriver>();

}  // namespace snngx::rram
