#pragma once
// The SNNGX genetic search (spec: snngx-algorithm.md §4) over an abstract fitness evaluator.
// All randomness is drawn here, sequentially, from one generator seeded with GaParams::seed;
// evaluators only compute accuracies (exactly, in integers), so the same seed gives the same
// key on any number of threads or MPI ranks. The draw order is documented in docs/encryption.md.
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <vector>

#include "snngx/ga/bit_vector.hpp"

namespace snngx::ga {

/// The generator of the search: std::mt19937_64 (its output sequence is fixed by the C++
/// standard) with our own, documented conversions (the standard distributions are not portable).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t next() { return engine_(); }
  /// Uniform in [0, n) by rejection: draws x until x < 2^64 - (2^64 mod n), returns x mod n.
  std::uint64_t below(std::uint64_t n);
  /// Uniform in [0, 1): (next() >> 11) * 2^-53.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Failures before the first success of Bernoulli(p) trials: floor(log1p(-u) / log1p(-p)),
  /// one uniform() draw; p >= 1 gives 0 without a draw, p <= 0 "never" (UINT64_MAX, no draw).
  std::uint64_t geometric(double p);

 private:
  std::mt19937_64 engine_;
};

struct GaParams {
  int epsilon = 50;          // target number of flipped bits
  int population = 100;
  int generations = 125;
  double retain = 0.6;       // fraction of the population kept as parents
  double mutation = 0.05;    // probability that a flipped bit is restored
  int swaps = 5;             // index positions swapped between the parent halves
  std::uint64_t seed = 70;
  // Reference-compatible operators (spec §6, docs/encryption.md): every individual is re-scored
  // every generation in population order, crossover reads the parents as they were before the
  // generation's mutations, the in-place mutations run on indices 1, 2, 3, ... of the new
  // population (children included, as the reference's list does), swaps use distinct indices.
  // Pair it with a SubsetEvaluator in reference-compatible mode. Default off: spec §4.
  bool reference_compat = false;
  void validate() const;     // throws std::invalid_argument naming the parameter
};

/// Fitness (lower is better): L <= epsilon ? epsilon * A : L + L * A.
double fitness(std::size_t flipped, double accuracy, int epsilon);

/// Mutation: every flipped (set) bit is restored (cleared) with probability p, independently;
/// clear bits are never touched. Implemented by geometric skipping over the set bits: one
/// geometric() draw per restored bit plus one that runs past the end.
void mutate(BitVector& individual, double p, Rng& rng);

/// Uniform crossover: per 64-bit word where the parents differ, one mask draw m; child 1 takes
/// a's bit where m is 1 and b's elsewhere, child 2 the opposite. Words where a == b are copied
/// without a draw (every mask gives the same child).
std::pair<BitVector, BitVector> crossover(const BitVector& a, const BitVector& b, Rng& rng);

/// The mate-selection pools after the swap: males = [0, half), females = [half, retained);
/// `swaps` times draw i = below(min(#males, #females)) and exchange males[i] and females[i].
struct Pools {
  std::vector<std::size_t> males, females;
};
Pools make_pools(std::size_t retained, int swaps, Rng& rng);

/// Scores individuals: the subset accuracy (0..1) of the model carrying each one's flips.
class FitnessEvaluator {
 public:
  virtual ~FitnessEvaluator() = default;
  virtual std::vector<double> accuracies(std::span<const BitVector* const> individuals) = 0;
};

struct GenerationStats {
  int generation = 0;          // 0-based; generations == params.generations is the final re-score
  double best_fitness = 0.0;
  std::size_t best_flipped = 0;
  double best_accuracy = 0.0;
  double mean_fitness = 0.0;
  std::size_t evaluations = 0;  // individuals scored in this generation (unchanged ones are cached)
  double seconds = 0.0;         // wall time since the start of the search
};

struct SearchResult {
  BitVector best;
  double fitness = 0.0, accuracy = 0.0;
  std::vector<GenerationStats> history;
  std::size_t evaluations = 0;
  double seconds = 0.0;
};

/// Whether a key of `flipped` bits meets the budget (flipped <= epsilon). A search can end above
/// it (too few generations, too low a mutation rate): callers report that, never hide it.
[[nodiscard]] inline bool reached_epsilon(std::size_t flipped, int epsilon) {
  return epsilon >= 0 && flipped <= static_cast<std::size_t>(epsilon);
}

/// Runs the search over a space of `space_bits` sign bits. `on_generation` is called after each
/// generation's scoring (and once for the final re-score).
SearchResult run_search(const GaParams& params, std::size_t space_bits, FitnessEvaluator& evaluator,
                        const std::function<void(const GenerationStats&)>& on_generation = {});

}  // namespace snngx::ga
