// Wordline driver implementation "pulse": a row is driven on one pulse per unit of its input (a
// spike once, a first-layer event count n on n repeated pulses).
#include "snngx/rram/components/wordline.hpp"

namespace snngx::rram {

namespace {

class PulseDriver final : public IWordlineDriver {
 public:
  explicit PulseDriver(const ComponentInputs& in) : issue_cycles_(in.own.get_int("issue_cycles")) {}

  [[nodiscard]] std::string name() const override { return "pulse"; }
  [[nodiscard]] int issue_cycles() const override { return issue_cycles_; }
  void drive(std::span<ActiveRow> /*rows*/) const override {}  // pulses = input value already

 private:
  int issue_cycles_;
};

}  // namespace

template <>
ImplRegistry<IWordlineDriver>& registry<IWordlineDriver>() {
  static ImplRegistry<IWordlineDriver> r{
      {"pulse", "wordline drivers: a row is driven on one read pulse per unit of input (a count n: n pulses)",
       {int_param("issue_cycles", "cycles", 1, "cycles to latch a read's active rows into the drivers before its first pulse", 1,
                  1 << 16)},
       factory_of<IWordlineDriver, PulseDriver>()}};
  return r;
}

}  // namespace snngx::rram
