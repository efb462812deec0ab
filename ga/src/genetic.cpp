#include "snngx/ga/genetic.hpp"
#include "snngx/io/errors.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace snngx::ga {

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Rng::below(0)");
  // Largest multiple of n representable as 2^64 - r: accept x below it.
  const std::uint64_t r = (std::numeric_limits<std::uint64_t>::max() % n + 1) % n;  // 2^64 mod n
  const std::uint64_t limit = 0 - r;  // 2^64 - r (0 means "accept everything" when r == 0)
  for (;;) {
    const std::uint64_t x = next();
    if (r == 0 || x < limit) return x % n;
  }
}

std::uint64_t Rng::geometric(double p) {
  if (p >= 1.0) return 0;
  if (p <= 0.0) return std::numeric_limits<std::uint64_t>::max();
  const double g = std::floor(std::log1p(-uniform()) / std::log1p(-p));
  return g >= 0x1.0p63 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(g);
}

void GaParams::validate() const {
  const auto bad = [](const std::string& what) { throw io::ParameterError(what); };
  if (epsilon < 0) bad("{epsilon} must be >= 0");
  if (population < 4) bad("{population} must be >= 4");
  if (generations < 0) bad("{generations} must be >= 0");
  if (!(retain > 0.0 && retain <= 1.0)) bad("{retain} must be in (0, 1]");
  if (static_cast<int>(retain * population) < 2) bad("{retain} * {population} must keep at least 2 parents");
  if (!(mutation >= 0.0 && mutation <= 1.0)) bad("{mutation} must be in [0, 1]");
  if (swaps < 0) bad("{swaps} must be >= 0");
  if (reference_compat && (population - static_cast<int>(retain * population)) % 2 != 0)
    bad("{reference_compat} needs an even number of children per generation ({population} minus the retained parents): the "
        "reference appends children in pairs");
}

double fitness(std::size_t flipped, double accuracy, int epsilon) {
  const auto L = static_cast<double>(flipped);
  return flipped <= static_cast<std::size_t>(std::max(epsilon, 0)) ? epsilon * accuracy : L + L * accuracy;
}

void mutate(BitVector& x, double p, Rng& rng) {
  if (p <= 0.0) return;
  auto words = x.words();
  std::uint64_t skip = rng.geometric(p);  // flipped bits left unchanged before the next restore
  for (auto& word : words) {
    std::uint64_t live = word;  // set bits of this word not yet visited
    while (live) {
      const auto n = static_cast<std::uint64_t>(std::popcount(live));
      if (skip >= n) {
        skip -= n;
        break;
      }
      for (std::uint64_t s = 0; s < skip; ++s) live &= live - 1;  // drop the skipped bits
      const std::uint64_t bit = live & (0 - live);                // the bit to restore
      word &= ~bit;
      live &= live - 1;
      skip = rng.geometric(p);
    }
  }
}

std::pair<BitVector, BitVector> crossover(const BitVector& a, const BitVector& b, Rng& rng) {
  if (a.size() != b.size()) throw std::invalid_argument("crossover: parents of different sizes");
  BitVector c1 = a, c2 = b;
  auto w1 = c1.words(), w2 = c2.words();
  const auto wa = a.words(), wb = b.words();
  for (std::size_t w = 0; w < wa.size(); ++w) {
    if (wa[w] == wb[w]) continue;
    const std::uint64_t m = rng.next();
    w1[w] = (wa[w] & m) | (wb[w] & ~m);
    w2[w] = (wb[w] & m) | (wa[w] & ~m);
  }
  return {std::move(c1), std::move(c2)};
}

Pools make_pools(std::size_t retained, int swaps, Rng& rng) {
  Pools p;
  const std::size_t half = retained / 2;
  for (std::size_t i = 0; i < retained; ++i) (i < half ? p.males : p.females).push_back(i);
  const std::size_t n = std::min(p.males.size(), p.females.size());
  for (int s = 0; s < swaps && n > 0; ++s) {
    const auto i = static_cast<std::size_t>(rng.below(n));
    std::swap(p.males[i], p.females[i]);
  }
  return p;
}

namespace {

struct Scored {
  BitVector bits;
  double fitness = 0.0, accuracy = 0.0;
  std::size_t flipped = 0;
  bool dirty = true;
};

std::size_t score(std::vector<Scored>& pop, const GaParams& params, FitnessEvaluator& evaluator) {
  std::vector<const BitVector*> batch;
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < pop.size(); ++i)
    if (pop[i].dirty) {
      batch.push_back(&pop[i].bits);
      idx.push_back(i);
    }
  if (batch.empty()) return 0;
  const auto acc = evaluator.accuracies(batch);
  if (acc.size() != batch.size()) throw std::logic_error("fitness evaluator returned the wrong number of accuracies");
  for (std::size_t j = 0; j < idx.size(); ++j) {
    Scored& s = pop[idx[j]];
    s.accuracy = acc[j];
    s.flipped = s.bits.count();
    s.fitness = fitness(s.flipped, s.accuracy, params.epsilon);
    s.dirty = false;
  }
  return batch.size();
}

/// Stable sort by fitness: ties keep their population order.
void sort_by_fitness(std::vector<Scored>& pop) {
  std::stable_sort(pop.begin(), pop.end(), [](const Scored& a, const Scored& b) { return a.fitness < b.fitness; });
}

void mark_all_dirty(std::vector<Scored>& pop) {
  for (auto& s : pop) s.dirty = true;
}

/// The reference's breeding loop (GA_BITver_minBIT_layer.py, main()), for params.reference_compat.
/// Males are parents [0, half), females [half, 2*half) with half = int(population * retain / 2);
/// `swaps` DISTINCT indices (partial Fisher-Yates over [0, half)) exchange a male and a female.
/// Per loop: one crossover of parent copies taken before this generation's mutations (mate
/// indices below(half) each), then new-population entries next, next+1, next+2 (starting at 1)
/// are mutated in place -- the children already appended count, so with 100 / 0.6 entry 60, the
/// first child, is mutated too -- then both children are appended.
void breed_like_reference(std::vector<Scored>& pop, std::size_t P, const GaParams& params, Rng& rng) {
  const auto half = static_cast<std::size_t>(static_cast<double>(params.population) * params.retain / 2.0);
  std::vector<BitVector> males, females;
  for (std::size_t i = 0; i < half; ++i) {
    males.push_back(pop[i].bits);
    females.push_back(pop[half + i].bits);
  }
  std::vector<std::size_t> order(half);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const std::size_t swaps = std::min(static_cast<std::size_t>(params.swaps), half);
  for (std::size_t s = 0; s < swaps; ++s) {
    std::swap(order[s], order[s + static_cast<std::size_t>(rng.below(half - s))]);
    std::swap(males[order[s]], females[order[s]]);
  }
  std::size_t next_mutation = 1;
  while (pop.size() < P) {
    const auto& dad = males[rng.below(half)];
    const auto& mom = females[rng.below(half)];
    auto [c1, c2] = crossover(dad, mom, rng);
    for (int r = 0; r < 3 && next_mutation < pop.size(); ++r, ++next_mutation) mutate(pop[next_mutation].bits, params.mutation, rng);
    pop.push_back({std::move(c1)});
    pop.push_back({std::move(c2)});
  }
}

GenerationStats stats_of(const std::vector<Scored>& pop, int generation, std::size_t evaluations, double seconds) {
  GenerationStats g;
  g.generation = generation;
  g.best_fitness = pop.front().fitness;
  g.best_flipped = pop.front().flipped;
  g.best_accuracy = pop.front().accuracy;
  double sum = 0.0;
  for (const auto& s : pop) sum += s.fitness;
  g.mean_fitness = sum / static_cast<double>(pop.size());
  g.evaluations = evaluations;
  g.seconds = seconds;
  return g;
}

}  // namespace

SearchResult run_search(const GaParams& params, std::size_t space_bits, FitnessEvaluator& evaluator,
                        const std::function<void(const GenerationStats&)>& on_generation) {
  params.validate();
  if (space_bits == 0) throw std::invalid_argument("the search space has no sign bits");
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  Rng rng(params.seed);
  const auto P = static_cast<std::size_t>(params.population);
  const auto retained = static_cast<std::size_t>(params.retain * params.population);

  std::vector<Scored> pop(P);
  for (auto& s : pop) {  // all sign bits flipped, then one mutation each, individual 0 first
    s.bits = BitVector(space_bits, true);
    mutate(s.bits, params.mutation, rng);
  }
  SearchResult result;
  for (int g = 0; g < params.generations; ++g) {
    if (params.reference_compat) mark_all_dirty(pop);  // the reference scores everyone, every generation
    const std::size_t evals = score(pop, params, evaluator);
    result.evaluations += evals;
    sort_by_fitness(pop);
    result.history.push_back(stats_of(pop, g, evals, elapsed()));
    if (on_generation) on_generation(result.history.back());

    pop.resize(retained);  // the parents, best first
    if (params.reference_compat) {
      breed_like_reference(pop, P, params, rng);
      continue;
    }
    const Pools pools = make_pools(retained, params.swaps, rng);
    std::size_t next_mutation = 1;  // index 0 (the best) is never mutated: elitism
    std::vector<Scored> children;
    while (retained + children.size() < P) {
      const std::size_t m = pools.males[rng.below(pools.males.size())];
      const std::size_t f = pools.females[rng.below(pools.females.size())];
      auto [c1, c2] = crossover(pop[m].bits, pop[f].bits, rng);
      children.push_back({std::move(c1)});
      if (retained + children.size() < P) children.push_back({std::move(c2)});
      for (int r = 0; r < 3 && next_mutation < retained; ++r, ++next_mutation) {
        mutate(pop[next_mutation].bits, params.mutation, rng);
        pop[next_mutation].dirty = true;
      }
    }
    for (auto& c : children) pop.push_back(std::move(c));
  }
  if (params.reference_compat) mark_all_dirty(pop);
  const std::size_t evals = score(pop, params, evaluator);  // final re-score
  result.evaluations += evals;
  sort_by_fitness(pop);
  result.history.push_back(stats_of(pop, params.generations, evals, elapsed()));
  if (on_generation) on_generation(result.history.back());
  result.best = pop.front().bits;
  result.fitness = pop.front().fitness;
  result.accuracy = pop.front().accuracy;
  result.seconds = elapsed();
  return result;
}

}  // namespace snngx::ga
