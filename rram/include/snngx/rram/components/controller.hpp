#pragma once
// The controller (config key `controller`; implementation "sequential"): walks time steps and,
// within a step, the weighted layers in order; a layer's reads are issued one after another. It
// owns the clock and the schedule both modes follow: layer_cycles() is what the fast mode adds
// up, and the clocked controller of the cycle model counts the same phases down cycle by cycle
// (start, reads, adder tree, LIF). The schedule is not swappable: its parameters are.
#include <cstdint>
#include <span>
#include <string>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

/// What one layer's step costs outside the controller.
struct LayerTiming {
  int window = 1;              // cycles per read pulse (settle + columns_per_adc x conversion)
  int tree_levels = 1;         // adder-tree levels (IAdderTree::levels of the row tiles)
  std::uint64_t neurons = 0;
  int lif_units = 1;
  int issue_cycles = 1;        // per read (IWordlineDriver::issue_cycles)
};

class Controller final {
 public:
  explicit Controller(const ComponentInputs& in);

  [[nodiscard]] std::string name() const { return "sequential"; }
  [[nodiscard]] double clock_mhz() const { return clock_mhz_; }
  /// Cycles before the first read of a layer.
  [[nodiscard]] std::uint64_t layer_start_cycles() const { return layer_overhead_; }
  /// Cycles of the adder tree after the reads of a layer that had at least one read.
  [[nodiscard]] std::uint64_t tree_cycles(int tree_levels) const {
    return static_cast<std::uint64_t>(tree_levels) * adder_cycles_per_level_;
  }
  /// One layer at one time step: start + per read (issue + pulses x window) + tree (if any
  /// read) + 1 (LIF command) + ceil(neurons / LIF units).
  [[nodiscard]] std::uint64_t layer_cycles(const LayerTiming& layer, std::span<const int> pulses_per_read) const;

 private:
  double clock_mhz_;
  std::uint64_t layer_overhead_, adder_cycles_per_level_;
};

template <>
struct ComponentTraits<Controller> : ComponentKind<"controller"> {};
template <>
ImplRegistry<Controller>& registry<Controller>();

}  // namespace snngx::rram
