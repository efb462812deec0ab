#pragma once
// The controller (config key `controller`; built-in "sequential"): walks time steps and, within a
// step, the weighted layers in order; a layer's reads are issued one after another. It owns the
// clock and the schedule's own cycles; the read windows come from the crossbar and the ADCs, the
// read issue from the wordline drivers, the tree levels from the adder tree, the LIF phase from
// the LIF units. Both modes spend exactly layer_cycles() per layer and step: the
// fast mode adds it up, the clocked controller counts its phases down cycle by cycle.
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

class IController {
 public:
  virtual ~IController() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual double clock_mhz() const = 0;
  /// Cycles before the first read of a layer.
  [[nodiscard]] virtual std::uint64_t layer_start_cycles() const = 0;
  /// Cycles of the adder tree after the reads of a layer that had at least one read.
  [[nodiscard]] virtual std::uint64_t tree_cycles(int tree_levels) const = 0;

  /// One layer at one time step: start + per read (issue + pulses x window) + tree (if any
  /// read) + 1 (LIF command) + ceil(neurons / LIF units).
  [[nodiscard]] std::uint64_t layer_cycles(const LayerTiming& layer, std::span<const int> pulses_per_read) const;
};

template <>
struct ComponentTraits<IController> : ComponentKind<"controller"> {};
template <>
ImplRegistry<IController>& registry<IController>();

}  // namespace snngx::rram
