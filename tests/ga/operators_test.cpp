// GA operators and the search loop, checked by hand and against independent slow paths.
#include <gtest/gtest.h>

#include "snngx/io/errors.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "snngx/ga/genetic.hpp"
#include "snngx/ga/restarts.hpp"

namespace snngx::ga {
namespace {

BitVector random_bits(std::size_t n, double density, std::uint64_t seed) {
  Rng rng(seed);
  BitVector b(n);
  for (std::size_t i = 0; i < n; ++i)
    if (rng.uniform() < density) b.set(i);
  return b;
}

TEST(BitVector, TailBitsStayClearAndCountsMatch) {
  BitVector b(70, true);
  EXPECT_EQ(b.count(), 70u);
  EXPECT_EQ(b.words()[1], (std::uint64_t{1} << 6) - 1);
  EXPECT_EQ(b.count(3, 67), 64u);
  b.reset(5);
  b.reset(69);
  EXPECT_EQ(b.count(), 68u);
  std::vector<std::size_t> clear;
  b.for_each_clear(0, 70, [&](std::size_t i) { clear.push_back(i); });
  EXPECT_EQ(clear, (std::vector<std::size_t>{5, 69}));
}

TEST(Rng, BelowStaysInRangeAndHitsEveryValue) {
  Rng rng(1);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto x = rng.below(7);
    ASSERT_LT(x, 7u);
    seen.insert(x);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(Rng, GeometricHasMeanOneMinusPOverP) {
  Rng rng(2);
  double sum = 0.0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(rng.geometric(0.2));
  EXPECT_NEAR(sum / n, 4.0, 0.05);  // (1-p)/p = 4, sd of the mean ~ 0.01
}

TEST(Fitness, AtOrBelowEpsilonIsEpsilonTimesAccuracy) {
  EXPECT_DOUBLE_EQ(fitness(50, 0.25, 50), 12.5);
  EXPECT_DOUBLE_EQ(fitness(3, 0.5, 50), 25.0);
  EXPECT_DOUBLE_EQ(fitness(0, 1.0, 50), 50.0);
}

TEST(Fitness, AboveEpsilonIsLPlusLTimesAccuracy) {
  EXPECT_DOUBLE_EQ(fitness(51, 0.25, 50), 51.0 + 51.0 * 0.25);
  EXPECT_DOUBLE_EQ(fitness(1000, 0.0, 50), 1000.0);
}

TEST(Mutation, OnlyRestoresFlippedBits) {
  const BitVector before = random_bits(1000, 0.3, 3);
  BitVector after = before;
  Rng rng(4);
  mutate(after, 0.5, rng);
  std::size_t restored = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_FALSE(after.test(i) && !before.test(i)) << "bit " << i << " became flipped";
    restored += before.test(i) && !after.test(i);
  }
  EXPECT_GT(restored, 0u);
}

TEST(Mutation, ZeroProbabilityChangesNothingOneRestoresAll) {
  const BitVector before = random_bits(300, 0.5, 5);
  BitVector a = before, b = before;
  Rng rng(6);
  mutate(a, 0.0, rng);
  mutate(b, 1.0, rng);
  EXPECT_EQ(a, before);
  EXPECT_EQ(b.count(), 0u);
}

// Independent slow path of the documented draw order: list the flipped positions, skip
// geometric() of them, restore the next, repeat.
TEST(Mutation, GeometricSkippingMatchesTheListedPositionsReference) {
  for (const double p : {0.05, 0.3, 0.9}) {
    const BitVector before = random_bits(5000, 0.6, 7);
    BitVector fast = before;
    Rng r1(8), r2(8);
    mutate(fast, p, r1);
    BitVector slow = before;
    const auto flipped = before.positions();
    std::uint64_t i = r2.geometric(p);
    while (i < flipped.size()) {
      slow.reset(flipped[i]);
      i += 1 + r2.geometric(p);
    }
    EXPECT_EQ(fast, slow) << "p = " << p;
    EXPECT_EQ(r1.next(), r2.next()) << "both consumed the same draws";
  }
}

TEST(Mutation, RestoresAboutAFractionPOfTheFlippedBits) {
  BitVector b(200000, true);
  Rng rng(9);
  mutate(b, 0.05, rng);
  const double restored = 200000.0 - static_cast<double>(b.count());
  EXPECT_NEAR(restored, 10000.0, 5 * std::sqrt(200000 * 0.05 * 0.95));
}

TEST(Crossover, EveryChildBitComesFromAParentAndChildrenAreComplementary) {
  const BitVector a = random_bits(777, 0.5, 10), b = random_bits(777, 0.2, 11);
  Rng rng(12);
  const auto [c1, c2] = crossover(a, b, rng);
  ASSERT_EQ(c1.size(), 777u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(c1.test(i) == a.test(i) || c1.test(i) == b.test(i)) << i;
    ASSERT_EQ(c2.test(i), a.test(i) != b.test(i) ? !c1.test(i) : a.test(i)) << i;
  }
}

TEST(Crossover, MaskIsOneDrawPerDifferingWord) {
  BitVector a(192, true), b(192);  // words 0 and 2 differ, word 1 identical (all ones in both)
  for (std::size_t i = 64; i < 128; ++i) b.set(i);
  Rng rng(13), ref(13);
  const auto [c1, c2] = crossover(a, b, rng);
  const std::uint64_t m0 = ref.next(), m2 = ref.next();
  EXPECT_EQ(c1.words()[0], m0);
  EXPECT_EQ(c1.words()[1], ~std::uint64_t{0});
  EXPECT_EQ(c1.words()[2], m2);
  EXPECT_EQ(c2.words()[0], ~m0);
  EXPECT_EQ(rng.next(), ref.next());
}

TEST(Crossover, TakesEachParentAboutHalfTheTime) {
  const BitVector a(64000, true), b(64000);
  Rng rng(14);
  const auto [c1, c2] = crossover(a, b, rng);
  EXPECT_NEAR(static_cast<double>(c1.count()), 32000.0, 5 * std::sqrt(16000.0));
}

TEST(Pools, SwapExchangesTheDrawnIndexPositionsBetweenHalves) {
  Rng rng(15), ref(15);
  const Pools p = make_pools(10, 3, rng);
  std::vector<std::size_t> males{0, 1, 2, 3, 4}, females{5, 6, 7, 8, 9};
  for (int s = 0; s < 3; ++s) {
    const auto i = ref.below(5);
    std::swap(males[i], females[i]);
  }
  EXPECT_EQ(p.males, males);
  EXPECT_EQ(p.females, females);
  // By hand: with no swaps the halves are the first and the last half.
  Rng r0(0);
  const Pools q = make_pools(6, 0, r0);
  EXPECT_EQ(q.males, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(q.females, (std::vector<std::size_t>{3, 4, 5}));
}

/// A synthetic problem: accuracy drops by a share per "critical" bit flipped.
class ToyEvaluator final : public FitnessEvaluator {
 public:
  std::vector<BitVector> seen;
  std::vector<double> accuracies(std::span<const BitVector* const> ind) override {
    std::vector<double> a;
    for (const auto* b : ind) {
      seen.push_back(*b);
      int hits = 0;
      for (const std::size_t c : {3, 17, 40}) hits += b->test(c);
      a.push_back(1.0 - 0.3 * hits);
    }
    return a;
  }
};

TEST(Search, InitialPopulationIsAllFlippedPlusOneMutationEach) {
  GaParams p;
  p.population = 6;
  p.generations = 0;
  p.mutation = 0.1;
  p.seed = 16;
  ToyEvaluator ev;
  run_search(p, 100, ev);
  ASSERT_EQ(ev.seen.size(), 6u);
  Rng ref(16);
  for (std::size_t i = 0; i < 6; ++i) {
    BitVector expect(100, true);
    mutate(expect, 0.1, ref);
    EXPECT_EQ(ev.seen[i], expect) << "individual " << i;
  }
}

// One whole generation replayed by hand from the spec's steps and the documented draw order:
// P = 6, retain 0.5 -> parents 0,1,2 (best first); pools males {0}, females {1, 2} after the swap
// draws; the first crossover makes two children and mutates parents 1 and 2 (never 0, never past
// R-1); the second makes one child (its twin is dropped: the population is full).
TEST(Search, OneGenerationFollowsTheSpecStepByStep) {
  GaParams p;
  p.epsilon = 2;
  p.population = 6;
  p.retain = 0.5;
  p.generations = 1;
  p.mutation = 0.3;
  p.swaps = 2;
  p.seed = 19;
  ToyEvaluator ev;
  const auto result = run_search(p, 64, ev);

  Rng ref(19);
  std::vector<BitVector> pop;
  for (int i = 0; i < 6; ++i) {
    pop.emplace_back(64, true);
    mutate(pop.back(), 0.3, ref);
  }
  ToyEvaluator score;
  std::vector<const BitVector*> ptrs;
  for (const auto& b : pop) ptrs.push_back(&b);
  const auto acc = score.accuracies(ptrs);
  std::vector<std::size_t> order{0, 1, 2, 3, 4, 5};
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return fitness(pop[a].count(), acc[a], 2) < fitness(pop[b].count(), acc[b], 2);
  });
  std::vector<BitVector> parents{pop[order[0]], pop[order[1]], pop[order[2]]};
  std::vector<std::size_t> males{0}, females{1, 2};
  for (int s = 0; s < 2; ++s) {
    const auto i = ref.below(1);
    std::swap(males[i], females[i]);
  }
  const BitVector& m1 = parents[males[ref.below(males.size())]];
  const BitVector& f1 = parents[females[ref.below(females.size())]];
  auto [c1, c2] = crossover(m1, f1, ref);
  mutate(parents[1], 0.3, ref);
  mutate(parents[2], 0.3, ref);
  const BitVector& m2 = parents[males[ref.below(males.size())]];
  const BitVector& f2 = parents[females[ref.below(females.size())]];
  auto [c3, unused] = crossover(m2, f2, ref);

  // Generation 1 scores exactly the changed individuals, in population order.
  ASSERT_EQ(ev.seen.size(), 6u + 5u);
  const std::vector<BitVector> expected{parents[1], parents[2], c1, c2, c3};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(ev.seen[6 + i], expected[i]) << "individual " << i;
  // Elitism: the best parent is unchanged and the result is at least as good as it.
  EXPECT_EQ(parents[0], pop[order[0]]);
  EXPECT_LE(result.fitness, fitness(pop[order[0]].count(), acc[order[0]], 2));
}

TEST(Search, ElitismNeverLosesTheBestAndOnlyChangedIndividualsAreRescored) {
  GaParams p;
  p.epsilon = 3;
  p.population = 20;
  p.generations = 40;
  p.mutation = 0.2;
  p.seed = 17;
  ToyEvaluator ev;
  const auto r = run_search(p, 64, ev);
  ASSERT_EQ(r.history.size(), 41u);
  for (std::size_t g = 1; g < r.history.size(); ++g) EXPECT_LE(r.history[g].best_fitness, r.history[g - 1].best_fitness) << g;
  // Per generation 12 are retained, of which the best is never mutated: at most 19 rescored.
  for (std::size_t g = 1; g < r.history.size(); ++g) EXPECT_LE(r.history[g].evaluations, 19u);
  EXPECT_EQ(r.evaluations, ev.seen.size());
}

TEST(Search, FindsTheCriticalBitsOnAToyProblem) {
  GaParams p;
  p.epsilon = 3;
  p.population = 30;
  p.generations = 80;
  p.mutation = 0.1;
  p.seed = 18;
  ToyEvaluator ev;
  const auto r = run_search(p, 64, ev);
  // The optimum is exactly the three critical bits: F = 3 * 0.1.
  EXPECT_EQ(r.best.positions(), (std::vector<std::uint64_t>{3, 17, 40}));
  EXPECT_NEAR(r.fitness, 0.3, 1e-12);
}

TEST(Search, SameSeedSameResultDifferentSeedDifferentPath) {
  GaParams p;
  p.population = 12;
  p.generations = 10;
  p.mutation = 0.2;
  ToyEvaluator e1, e2, e3;
  const auto a = run_search(p, 200, e1), b = run_search(p, 200, e2);
  EXPECT_EQ(a.best, b.best);
  EXPECT_EQ(e1.seen, e2.seen);
  p.seed = 71;
  run_search(p, 200, e3);
  EXPECT_NE(e1.seen, e3.seen);
}

TEST(GaParams, RejectsBadValuesNamingTheParameter) {
  GaParams p;
  p.mutation = 1.5;
  try {
    p.validate();
    FAIL();
  } catch (const io::ParameterError& e) {  // in ga's terms; the CLI renders it as --mutation
    EXPECT_EQ(std::string(e.what()), "mutation must be in [0, 1]");
    EXPECT_EQ(e.parameters(), std::vector<std::string>{"mutation"});
  }
}

}  // namespace
}  // namespace snngx::ga

namespace snngx::ga {
namespace {

/// Validation accuracies chosen by the test: a function of the key's bits.
class KeyedValidator final : public FitnessEvaluator {
 public:
  int calls = 0;
  std::vector<double> accuracies(std::span<const BitVector* const> ind) override {
    ++calls;
    std::vector<double> a;
    for (const auto* b : ind) a.push_back(static_cast<double>(b->test(0) + b->test(1) + b->test(2) + b->test(63)) / 8.0);
    return a;
  }
};

RestartRun run_with(double validation, std::size_t flipped) {
  RestartRun r;
  r.result.best = BitVector(64);
  for (std::size_t i = 0; i < flipped; ++i) r.result.best.set(i);
  r.validation_accuracy = validation;
  return r;
}

TEST(Restarts, KeepsTheLowestValidationThenFewestFlipsThenTheEarliest) {
  EXPECT_EQ(choose_restart({run_with(0.2, 5), run_with(0.1, 7), run_with(0.1, 6)}), 2u);
  EXPECT_EQ(choose_restart({run_with(0.3, 5), run_with(0.1, 6), run_with(0.1, 6)}), 1u);
  EXPECT_EQ(choose_restart({run_with(0.0, 9), run_with(0.5, 1)}), 0u);
  EXPECT_THROW(choose_restart({}), std::invalid_argument);
}

TEST(Restarts, EachRestartIsTheSearchWithSeedPlusRAndTheChoiceIsByValidation) {
  GaParams p;
  p.epsilon = 4;
  p.population = 10;
  p.generations = 8;
  p.mutation = 0.3;
  p.seed = 40;
  ToyEvaluator ev;
  KeyedValidator val;
  std::vector<int> started;
  const auto out = run_restarts(p, 5, 64, ev, &val, [&](int r) { started.push_back(r); });
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(val.calls, 1);  // all keys scored in one call
  ASSERT_EQ(out.runs.size(), 5u);
  std::vector<RestartRun> expected;
  for (int r = 0; r < 5; ++r) {
    GaParams pr = p;
    pr.seed = 40 + static_cast<std::uint64_t>(r);
    ToyEvaluator fresh;
    const auto single = run_search(pr, 64, fresh);
    EXPECT_EQ(out.runs[r].seed, pr.seed);
    EXPECT_EQ(out.runs[r].result.best, single.best) << "restart " << r;
    EXPECT_EQ(out.runs[r].result.fitness, single.fitness);
    const auto& b = single.best;
    EXPECT_EQ(out.runs[r].validation_accuracy, (b.test(0) + b.test(1) + b.test(2) + b.test(63)) / 8.0);
    expected.push_back(out.runs[r]);
  }
  EXPECT_EQ(out.chosen, choose_restart(expected));
  EXPECT_EQ(&out.best(), &out.runs[out.chosen]);
}

TEST(Restarts, OneRestartNeedsNoValidationAndEqualsTheSearch) {
  GaParams p;
  p.population = 8;
  p.generations = 3;
  p.seed = 3;
  ToyEvaluator a, b;
  const auto out = run_restarts(p, 1, 64, a, nullptr);
  ASSERT_EQ(out.runs.size(), 1u);
  EXPECT_EQ(out.best().result.best, run_search(p, 64, b).best);
  EXPECT_EQ(out.best().validation_accuracy, -1.0);
  EXPECT_THROW(run_restarts(p, 2, 64, a, nullptr), std::invalid_argument);
  EXPECT_THROW(run_restarts(p, 0, 64, a, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::ga
