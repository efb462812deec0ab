// Wordline driver implementation "pulse": a row is driven on one pulse per unit of its input (a
// spike once, a first-layer event count n on n repeated pulses).
#include "snngx/rram/components/wordline.hpp"

namespace snngx::rram {

namespace {

class PulseDriver final : public IWordlineDriver {
 public:
  explicit PulseDriver(const ChipConfig& config) : issue_cycles_(config.get_int("wordline", "issue_cycles")) {}

  [[nodiscard]] std::string name() const override { return "pulse"; }
  [[nodiscard]] int issue_cycles() const override { return issue_cycles_; }
  void drive(std::span<ActiveRow> /*rows*/) const override {}  // pulses = input value already

 private:
  int issue_cycles_;
};

}  // namespace

template <>
ImplRegistry<IWordlineDriver>& registry<IWordlineDriver>() {
  static ImplRegistry<IWordlineDriver> r{{"pulse", factory_of<IWordlineDriver, PulseDriver>()}};
  return r;
}

}  // namespace snngx::rram
