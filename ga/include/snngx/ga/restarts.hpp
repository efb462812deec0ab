#pragma once
// Restarts with held-out key selection (an extension beyond spec §4, documented in
// docs/encryption.md). The GA of spec §4 is unchanged; it is run K times, restart r with seed
// params.seed + r, and of the K resulting keys the one with the LOWEST accuracy on a held-out
// validation set is kept (ties: fewer flipped bits, then the earlier restart).
//
// Why: with a tiny fitness subset (one sample per class) every individual at or below epsilon
// that fools the subset has fitness 0, so which one a run ends with is chance, and their test
// accuracies differ widely. Held-out training samples measure which key generalises. The test
// set is never used to choose.
#include <cstdint>
#include <functional>
#include <vector>

#include "snngx/ga/genetic.hpp"

namespace snngx::ga {

struct RestartRun {
  std::uint64_t seed = 0;
  SearchResult result;
  double validation_accuracy = -1.0;  // -1: no validation set (a single restart)
};

struct RestartsResult {
  std::vector<RestartRun> runs;
  std::size_t chosen = 0;  // index into runs
  [[nodiscard]] const RestartRun& best() const { return runs.at(chosen); }
  [[nodiscard]] double total_seconds() const;            // search time of all restarts
  [[nodiscard]] std::size_t total_evaluations() const;   // individuals scored by all restarts
};

/// Throws std::invalid_argument unless restarts >= 1 and, for more than one, a validation set
/// is given (the keys are compared on held-out samples, never on the test set).
void check_restarts(int restarts, bool has_validation);

/// The index of the run to keep: lowest validation accuracy, then fewest flipped bits, then the
/// earliest run.
std::size_t choose_restart(const std::vector<RestartRun>& runs);

/// Runs the search `restarts` times (restart r: seed params.seed + r, same evaluator) and keeps
/// the key chosen by choose_restart. `validator` scores the keys on the held-out set (all of
/// them in one call, so it can work in parallel); it is required when restarts > 1.
/// `on_restart(r)` is called before restart r starts, `on_generation` for each of its generations.
RestartsResult run_restarts(const GaParams& params, int restarts, std::size_t space_bits, FitnessEvaluator& evaluator,
                            FitnessEvaluator* validator, const std::function<void(int)>& on_restart = {},
                            const std::function<void(const GenerationStats&)>& on_generation = {});

}  // namespace snngx::ga
