#pragma once
// Sensitivity-guided search for the sign bits to encrypt (issue 19, point 3): an alternative to
// the GA of spec §4 that ranks every sign bit by its effect on the fitness subset and selects the
// most damaging ones greedily, re-scoring after each round; and a hybrid that runs the unchanged GA
// over the best-ranked candidates only. Documented in docs/encryption.md ("Sensitivity-guided
// search").
//
// Rankings (higher score = flipping the bit does more damage):
// - OutputCurrent (the searched layer is the network's Linear output layer): flipping the sign of
//   w_oi changes output neuron o's current at every step by -2*w_oi*x_i, so over a sample n its
//   integrated current changes by -2*w_oi*X_ni with X_ni = sum_t x_i(n,t) (exact integers). The
//   score asks for that change to hurt the correct class and help a wrong one:
//     score_oi = 2*w_oi * sum_n alpha_n * ((C-1)*[y_n == o] - [y_n != o]) * X_ni
//   (own-class samples count C-1 times so that both halves weigh the same). alpha_n weights the
//   samples: alpha_n = margin_n + T + 1 with margin_n = count[y_n] - max_{o != y_n} count[o] in
//   output spikes, so samples still classified well weigh more (1 .. 2T+1).
// - GradientTimesWeight (any other space, hidden layers, --whole): the first-order change of the
//   subset's training loss (MSE of the rates, snn::compute_gradients with the surrogate gradient)
//   when w becomes -w:  score = -2*w*dL/dw.
// Ties are broken by the lower bit index, so the search is deterministic; it draws no random
// numbers, and every evaluation is exact (SubsetEvaluator), so any thread count gives the same key.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "snngx/datasets/frames.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/ga/genetic.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::ga {

enum class SearchMethod { Ga, Sensitivity, Hybrid };
SearchMethod parse_search_method(const std::string& name);  // "ga" | "sensitivity" | "hybrid"
std::string to_string(SearchMethod method);

enum class Ranking { OutputCurrent, GradientTimesWeight };
/// OutputCurrent when the space is exactly one Linear layer that is the network's last weighted
/// layer (its neurons are the classes), GradientTimesWeight otherwise.
Ranking ranking_for(const snn::Network& net, const SearchSpace& space);
std::string to_string(Ranking ranking);

/// Sum over time of the activation entering Linear weighted layer `layer`, per subset sample:
/// [samples][in_features] (the plain network; exact integers: spike or event counts).
std::vector<std::int64_t> integrated_inputs(const snn::Network& net, std::size_t layer, const datasets::FrameSet& subset);

/// alpha_n = margin_n + T + 1 from output spike counts [samples][classes] (see the header comment).
std::vector<std::int64_t> margin_weights(std::span<const std::int32_t> counts, std::span<const std::int32_t> labels, int classes,
                                         int time_steps);

/// OutputCurrent scores of every sign bit of Linear layer `layer` (PyTorch order [out][in]) from
/// the integrated inputs, the labels and the sample weights. Exact (integers, returned as double).
std::vector<double> output_current_scores(const snn::Network& net, std::size_t layer, std::span<const std::int64_t> inputs,
                                          std::span<const std::int32_t> labels, std::span<const std::int64_t> weights);

/// GradientTimesWeight scores of every bit of `space` on `net` (which may carry flips already).
std::vector<double> gradient_scores(const snn::Network& net, const SearchSpace& space, const datasets::FrameSet& subset,
                                    int threads = 0);

/// `per_class` samples of every class drawn at random: for each class in increasing order, its
/// sample indices (file order) shuffled by a partial Fisher-Yates draw with Rng(seed + class)
/// (as select_subset); the result is ordered by class, then draw order. Lets the deterministic
/// searches be compared over several one-sample-per-class subsets.
std::vector<std::size_t> random_per_class_indices(const datasets::FrameSet& frames, int per_class, std::uint64_t seed);
/// The same from the labels alone (`classes`: datasets::num_classes of the file).
std::vector<std::size_t> random_per_class_indices(std::span<const std::int32_t> labels, int classes, int per_class,
                                                  std::uint64_t seed);

/// Bit indices sorted by score, highest first; ties: lower index first.
std::vector<std::size_t> rank_by_score(std::span<const double> scores);

struct SensitivityParams {
  int budget = 50;  // at most this many flipped bits (the GA's --epsilon)
  int rounds = 10;  // greedy rounds: each adds about budget/rounds bits, then re-evaluates and re-scores
  // The attacker's direction (key recovery, attack.hpp): pick the flips that REPAIR the subset.
  // Scores are negated, and the margin weights mirrored (2T + 2 - alpha_n: misclassified samples
  // weigh more).
  bool restore = false;
  void validate() const;  // throws std::invalid_argument naming the option
};

/// Greedy selection with re-evaluation. Round r (0 .. rounds-1): evaluate the subset with the
/// flips so far (exact spike counts), score every bit (OutputCurrent with the margin weights, or
/// the gradient on the flipped network), and flip the ceil(remaining / rounds left) best-scoring
/// bits that are not flipped yet and whose score is positive. The result's history has one entry
/// per round plus the final evaluation (generation = round), fitness as for the GA with
/// epsilon = budget.
SearchResult sensitivity_search(const snn::Network& plain, const SearchSpace& space, const datasets::FrameSet& subset,
                                const SubsetEvaluator& evaluator, const SensitivityParams& params, int threads = 0,
                                const std::function<void(const GenerationStats&)>& on_round = {});

/// The hybrid's candidates: the `count` best bits of the round-0 ranking (scores of the plain
/// model, margin weights from its subset spike counts), in increasing bit order.
std::vector<std::size_t> hybrid_candidates(const snn::Network& plain, const SearchSpace& space, const datasets::FrameSet& subset,
                                           const SubsetEvaluator& evaluator, std::size_t count, int threads = 0);

/// Scores individuals over the candidate sub-space (bit c = candidate c) with the exact
/// evaluator. The returned "accuracy" is the subset accuracy plus a tie-break below half a
/// sample: (mean_n (margin_n + T) / 2T) / (2 * samples), so that among individuals with the same
/// accuracy the GA prefers the one that breaks the subset more deeply. Parallel over individuals.
class CandidateEvaluator final : public FitnessEvaluator {
 public:
  CandidateEvaluator(const SubsetEvaluator& exact, std::vector<std::size_t> candidates, const datasets::FrameSet& subset,
                     int time_steps, int classes, int threads = 0);
  std::vector<double> accuracies(std::span<const BitVector* const> individuals) override;
  /// The individual over the whole search space.
  [[nodiscard]] BitVector expand(const BitVector& sub) const;
  [[nodiscard]] std::size_t size() const { return candidates_.size(); }

 private:
  const SubsetEvaluator& exact_;
  std::vector<std::size_t> candidates_;
  std::vector<std::int32_t> labels_;
  int time_steps_, classes_, threads_;
};

/// The GA of spec §4, unchanged, over the candidate sub-space (`evaluator` scores candidate
/// individuals: a CandidateEvaluator, possibly behind a DistributedEvaluator); the result is
/// expanded to the whole space and its accuracy and fitness re-computed exactly (no tie-break).
SearchResult hybrid_search(const GaParams& params, const CandidateEvaluator& candidates, FitnessEvaluator& evaluator,
                           const SubsetEvaluator& exact, const std::function<void(const GenerationStats&)>& on_generation = {});

}  // namespace snngx::ga
