// The controller "sequential": its parameters and the per-layer schedule both modes share.
#include "snngx/rram/components/controller.hpp"

namespace snngx::rram {

Controller::Controller(const ComponentInputs& in)
    : clock_mhz_(in.own.get("clock_mhz")),
      layer_overhead_(static_cast<std::uint64_t>(in.own.get_int("layer_overhead_cycles"))),
      adder_cycles_per_level_(static_cast<std::uint64_t>(in.own.get_int("adder_cycles_per_level"))) {}

std::uint64_t Controller::layer_cycles(const LayerTiming& layer, std::span<const int> pulses_per_read) const {
  std::uint64_t c = layer_start_cycles();
  const auto issue = static_cast<std::uint64_t>(layer.issue_cycles);
  for (const int p : pulses_per_read) c += issue + static_cast<std::uint64_t>(p) * static_cast<std::uint64_t>(layer.window);
  if (!pulses_per_read.empty()) c += tree_cycles(layer.tree_levels);
  const auto units = static_cast<std::uint64_t>(layer.lif_units);
  return c + 1 + (layer.neurons + units - 1) / units;
}

template <>
ImplRegistry<Controller>& registry<Controller>() {
  static ImplRegistry<Controller> r{
      {"sequential",
       "walks time steps and layers in order; reads of a layer are pipelined",
       {real_param("clock_mhz", "MHz", 1000, "clock frequency (assumption; one ADC conversion per cycle as in ISAAC)", 1, 1e5),
        int_param("layer_overhead_cycles", "cycles", 2, "controller cycles to start a layer", 0, 1 << 20),
        int_param("adder_cycles_per_level", "cycles", 1, "cycles per level of the adder tree across row tiles", 0, 64)},
       factory_of<Controller, Controller>()}};
  return r;
}

}  // namespace snngx::rram
