#include "snngx/ga/restarts.hpp"
#include "snngx/io/errors.hpp"

#include <stdexcept>
#include <string>
#include <tuple>

namespace snngx::ga {

std::size_t choose_restart(const std::vector<RestartRun>& runs) {
  if (runs.empty()) throw std::invalid_argument("choose_restart: no runs");
  const auto rank = [&](std::size_t i) { return std::tuple(runs[i].validation_accuracy, runs[i].result.best.count(), i); };
  std::size_t chosen = 0;
  for (std::size_t i = 1; i < runs.size(); ++i)
    if (rank(i) < rank(chosen)) chosen = i;
  return chosen;
}

double RestartsResult::total_seconds() const {
  double s = 0.0;
  for (const auto& run : runs) s += run.result.seconds;
  return s;
}

std::size_t RestartsResult::total_evaluations() const {
  std::size_t n = 0;
  for (const auto& run : runs) n += run.result.evaluations;
  return n;
}

void check_restarts(int restarts, bool has_validation) {
  if (restarts < 1) throw io::ParameterError("{restarts} must be >= 1");
  if (restarts > 1 && !has_validation)
    throw io::ParameterError("{restarts} " + std::to_string(restarts) +
                                " needs {validation} V.frames.h5: the keys are compared on held-out samples, never on the test set");
}

RestartsResult run_restarts(const GaParams& params, int restarts, std::size_t space_bits, FitnessEvaluator& evaluator,
                            FitnessEvaluator* validator, const std::function<void(int)>& on_restart,
                            const std::function<void(const GenerationStats&)>& on_generation) {
  check_restarts(restarts, validator != nullptr);
  params.validate();
  RestartsResult out;
  for (int r = 0; r < restarts; ++r) {
    GaParams p = params;
    p.seed = params.seed + static_cast<std::uint64_t>(r);
    if (on_restart) on_restart(r);
    out.runs.push_back({p.seed, run_search(p, space_bits, evaluator, on_generation), -1.0});
  }
  if (validator != nullptr) {
    std::vector<const BitVector*> keys;
    for (const auto& run : out.runs) keys.push_back(&run.result.best);
    const std::vector<double> acc = validator->accuracies(keys);
    if (acc.size() != keys.size()) throw std::logic_error("validator returned the wrong number of accuracies");
    for (std::size_t i = 0; i < acc.size(); ++i) out.runs[i].validation_accuracy = acc[i];
  }
  out.chosen = choose_restart(out.runs);
  return out;
}

}  // namespace snngx::ga
