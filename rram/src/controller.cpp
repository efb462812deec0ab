// Controller implementation "sequential" and the per-layer cycle formula both modes share.
#include "snngx/rram/components/controller.hpp"

namespace snngx::rram {

std::uint64_t IController::layer_cycles(const LayerTiming& layer, std::span<const int> pulses_per_read) const {
  std::uint64_t c = layer_start_cycles();
  const auto issue = static_cast<std::uint64_t>(layer.issue_cycles);
  for (const int p : pulses_per_read) c += issue + static_cast<std::uint64_t>(p) * static_cast<std::uint64_t>(layer.window);
  if (!pulses_per_read.empty()) c += tree_cycles(layer.tree_levels);
  const auto units = static_cast<std::uint64_t>(layer.lif_units);
  return c + 1 + (layer.neurons + units - 1) / units;
}

namespace {

class SequentialController final : public IController {
 public:
  explicit SequentialController(const ChipConfig& config)
      : clock_mhz_(config.get("controller", "clock_mhz")),
        overhead_(static_cast<std::uint64_t>(config.get_int("controller", "layer_overhead_cycles"))),
        adder_cycles_per_level_(static_cast<std::uint64_t>(config.get_int("controller", "adder_cycles_per_level"))) {}

  [[nodiscard]] std::string name() const override { return "sequential"; }
  [[nodiscard]] double clock_mhz() const override { return clock_mhz_; }
  [[nodiscard]] std::uint64_t layer_start_cycles() const override { return overhead_; }
  [[nodiscard]] std::uint64_t tree_cycles(int tree_levels) const override {
    return static_cast<std::uint64_t>(tree_levels) * adder_cycles_per_level_;
  }

 private:
  double clock_mhz_;
  std::uint64_t overhead_, adder_cycles_per_level_;
};

}  // namespace

template <>
ImplRegistry<IController>& registry<IController>() {
  static ImplRegistry<IController> r{{"sequential", factory_of<IController, SequentialController>()}};
  return r;
}

}  // namespace snngx::rram
