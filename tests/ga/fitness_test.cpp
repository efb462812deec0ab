// The incremental fitness against the slow path (flip the model, run snn::infer), search spaces,
// keys and encryption, subset selection, determinism over threads.
#include <gtest/gtest.h>

#include <set>

#include "snngx/ga/attack.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/keyed/model_key.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"
#include "test_nets.hpp"

namespace snngx::ga {
namespace {

using testing::random_flips;

std::vector<std::int32_t> slow_counts(const snn::Network& net, const SearchSpace& space, const BitVector& flips,
                                      const datasets::FrameSet& frames, snn::EngineKind kind) {
  snn::InferenceOptions o;
  o.engine = kind;
  o.threads = 1;
  return snn::infer(apply_flips(net, space, flips), frames, o).spike_counts;
}

void expect_incremental_equals_full(const snn::Network& net, const SearchSpace& space, const datasets::FrameSet& frames) {
  const SubsetEvaluator ev(net, space, frames, 1);
  int trial = 0;
  for (const double density : {0.0, 0.01, 0.2, 0.5, 0.8, 1.0}) {
    for (int rep = 0; rep < 3; ++rep, ++trial) {
      const auto flips = random_flips(space.size(), density, 100 + static_cast<std::uint64_t>(trial));
      const auto fast = ev.spike_counts(flips);
      ASSERT_EQ(fast, slow_counts(net, space, flips, frames, snn::EngineKind::Dense)) << "density " << density << " rep " << rep;
      ASSERT_EQ(fast, slow_counts(net, space, flips, frames, snn::EngineKind::Event)) << "density " << density << " rep " << rep;
    }
  }
}

TEST(IncrementalFitness, MlpEachLayerEqualsFullRecomputation) {
  for (const std::uint64_t seed : {1, 2}) {
    const auto net = testing::tiny_mlp(seed);
    const auto frames = testing::frames_for(net, 6, seed);
    for (std::size_t l = 0; l < net.num_weighted(); ++l) expect_incremental_equals_full(net, SearchSpace::layer(net, l), frames);
  }
}

TEST(IncrementalFitness, CsnnEachLayerEqualsFullRecomputation) {
  for (const std::uint64_t seed : {3, 4}) {
    const auto net = testing::tiny_csnn(seed);
    const auto frames = testing::frames_for(net, 5, seed);
    for (std::size_t l = 0; l < net.num_weighted(); ++l) expect_incremental_equals_full(net, SearchSpace::layer(net, l), frames);
  }
}

TEST(IncrementalFitness, WholeModelEqualsFullRecomputation) {
  const auto mlp = testing::tiny_mlp(5);
  expect_incremental_equals_full(mlp, SearchSpace::whole(mlp), testing::frames_for(mlp, 6, 5));
  const auto csnn = testing::tiny_csnn(6);
  const auto frames = testing::frames_for(csnn, 5, 6);
  expect_incremental_equals_full(csnn, SearchSpace::whole(csnn), frames);
  // Flips only in a later layer: the cache of that layer is used.
  const auto space = SearchSpace::whole(csnn);
  BitVector late(space.size());
  for (std::size_t j = space.segments[1].offset; j < space.size(); j += 3) late.set(j);
  const SubsetEvaluator ev(csnn, space, frames, 1);
  EXPECT_EQ(ev.spike_counts(late), slow_counts(csnn, space, late, frames, snn::EngineKind::Dense));
}

TEST(IncrementalFitness, FullSizeNmnistMlpBothLayersEqualFullRecomputation) {
  // The reference architecture at full size (2312 -> 512 -> 10, T = 15), real-like sparsity.
  snn::Network net = snn::make_nmnist_mlp();
  snn::init_weights(net, 3);
  net = snn::quantize(net, 8, snn::QuantRule::MaxAbs);
  const auto frames = datasets::synth_frames({net.time_steps, 2, 34, 34}, 3, 0.07, net.num_classes, 3);
  for (std::size_t l = 0; l < 2; ++l) {
    const auto space = SearchSpace::layer(net, l);
    const SubsetEvaluator ev(net, space, frames, 1);
    const auto plain = ev.spike_counts(BitVector(space.size()));
    ASSERT_GT(std::accumulate(plain.begin(), plain.end(), 0), 0) << "the output layer must spike for the test to mean anything";
    for (const double density : {0.001, 0.3, 0.97}) {
      const auto flips = random_flips(space.size(), density, 300 + l);
      ASSERT_EQ(ev.spike_counts(flips), slow_counts(net, space, flips, frames, snn::EngineKind::Event)) << "layer " << l << " density " << density;
    }
  }
}

TEST(IncrementalFitness, NetworkStimulatesTheTestedPaths) {
  // Guard against a vacuous equality test: the plain tiny nets spike, and flips change outputs.
  const auto net = testing::tiny_mlp(1);
  const auto frames = testing::frames_for(net, 6, 1);
  const SubsetEvaluator ev(net, SearchSpace::layer(net, 1), frames, 1);
  const auto plain = ev.spike_counts(BitVector(ev.space().size()));
  EXPECT_GT(std::accumulate(plain.begin(), plain.end(), 0), 0);
  EXPECT_NE(plain, ev.spike_counts(BitVector(ev.space().size(), true)));
}

TEST(IncrementalFitness, AccuraciesAreTheSameForAnyThreadCount) {
  const auto net = testing::tiny_csnn(7);
  const auto frames = testing::frames_for(net, 8, 7);
  SubsetEvaluator one(net, SearchSpace::whole(net), frames, 1), two(net, SearchSpace::whole(net), frames, 2);
  std::vector<BitVector> pop;
  for (int i = 0; i < 9; ++i) pop.push_back(random_flips(one.space().size(), 0.1 * i, 200 + static_cast<std::uint64_t>(i)));
  std::vector<const BitVector*> ptrs;
  for (const auto& b : pop) ptrs.push_back(&b);
  EXPECT_EQ(one.accuracies(ptrs), two.accuracies(ptrs));
}

TEST(Search, WholeSmallSearchIsDeterministicAcrossThreadCounts) {
  const auto net = testing::tiny_mlp(8);
  const auto frames = testing::frames_for(net, 8, 8);
  GaParams p;
  p.epsilon = 5;
  p.population = 16;
  p.generations = 12;
  p.mutation = 0.2;
  SubsetEvaluator one(net, SearchSpace::layer(net, 1), frames, 1), two(net, SearchSpace::layer(net, 1), frames, 2);
  const auto a = run_search(p, one.space().size(), one), b = run_search(p, two.space().size(), two);
  EXPECT_EQ(a.best, b.best);
  ASSERT_EQ(a.history.size(), b.history.size());
  for (std::size_t g = 0; g < a.history.size(); ++g) EXPECT_EQ(a.history[g].best_fitness, b.history[g].best_fitness);
  // The reported accuracy is the subset accuracy of the returned individual.
  EXPECT_EQ(a.accuracy, one.accuracy(a.best));
}

TEST(SearchSpace, LayerAndWholeCoverTheSignBitsInLayerOrder) {
  const auto net = testing::tiny_csnn(1);
  const auto whole = SearchSpace::whole(net);
  ASSERT_EQ(whole.segments.size(), 3u);
  EXPECT_EQ(whole.segments[1].offset, 54u);  // 3*2*3*3
  EXPECT_EQ(whole.segments[2].offset, 54u + 108u);
  EXPECT_EQ(whole.size(), 54u + 108u + 80u);
  EXPECT_EQ(SearchSpace::layer(net, 1).size(), 108u);
  EXPECT_THROW(SearchSpace::layer(net, 3), std::invalid_argument);
}

TEST(Key, PositionsAreSignBitsKTimesQAndEncryptionIsAnInvolution) {
  const auto net = testing::tiny_mlp(9);
  const auto space = SearchSpace::whole(net);
  BitVector flips(space.size());
  flips.set(2);                          // layer 0, weight 2
  flips.set(space.segments[1].offset);   // layer 1, weight 0
  flips.set(space.segments[1].offset + 63);
  const auto key = make_key(net, space, flips);
  ASSERT_EQ(key.layers.size(), 2u);
  EXPECT_EQ(key.layers[0].positions, (std::vector<std::uint64_t>{16}));
  EXPECT_EQ(key.layers[1].positions, (std::vector<std::uint64_t>{0, 63 * 8}));
  EXPECT_EQ(key.layers[1].total_bits, 64u * 8u);
  const auto enc = keyed::encrypt(net, key);
  EXPECT_EQ(enc.state, snn::ModelState::Encrypted);
  EXPECT_EQ(enc.key_fingerprint, "");  // set when the key is sealed
  EXPECT_EQ(enc.weights(0).quant->weight_bits[2], net.weights(0).quant->weight_bits[2] ^ 0x80);
  EXPECT_EQ(enc.weights(1).values[63], -net.weights(1).values[63]);
  auto dec = enc;
  keyed::xor_into(dec, key);
  for (std::size_t l = 0; l < 2; ++l) EXPECT_EQ(dec.weights(l).quant->weight_bits, net.weights(l).quant->weight_bits);
  // The encrypted model equals apply_flips (sign flips of the same individual).
  EXPECT_EQ(enc.weights(1).quant->weight_bits, apply_flips(net, space, flips).weights(1).quant->weight_bits);
}

TEST(Subset, PerClassTakesTheFirstKOfEveryClassInFileOrder) {
  datasets::FrameSet f = testing::frames_for(testing::tiny_mlp(1), 40, 3);
  const auto s = select_subset(f, 0, 2, 1);
  std::map<int, int> per;
  for (const auto l : s.labels) ++per[l];
  for (const auto& [c, n] : per) EXPECT_EQ(n, 2) << "class " << c;
  // The first sample of the file is always taken.
  EXPECT_EQ(s.labels[0], f.labels[0]);
  EXPECT_TRUE(std::equal(s.sample(0).begin(), s.sample(0).end(), f.sample(0).begin()));
}

TEST(Subset, RandomSubsetIsDistinctAndDeterministic) {
  datasets::FrameSet f = testing::frames_for(testing::tiny_mlp(1), 30, 4);
  for (std::size_t i = 0; i < f.size(); ++i) f.labels[i] = static_cast<std::int32_t>(i % 4);
  const auto a = select_subset(f, 16, 0, 70), b = select_subset(f, 16, 0, 70);
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_THROW(select_subset(f, 31, 0, 70), std::invalid_argument);
}

TEST(Subset, IndicesArePerClassInFileOrderByHand) {
  datasets::FrameSet f = testing::frames_for(testing::tiny_mlp(1), 6, 3);
  f.labels = {1, 0, 1, 2, 0, 2};
  EXPECT_EQ(subset_indices(f, 0, 1, 9), (std::vector<std::size_t>{0, 1, 3}));
  EXPECT_EQ(subset_indices(f, 0, 2, 9), (std::vector<std::size_t>{0, 1, 2, 3, 4, 5}));
  // select_subset takes exactly those samples.
  const auto s = select_subset(f, 0, 1, 9);
  EXPECT_EQ(s.labels, (std::vector<std::int32_t>{1, 0, 2}));
}

TEST(Subset, HoldoutLeavesOutTheExcludedAndDrawsLikeTheSubset) {
  const std::vector<std::size_t> exclude{2, 5, 42};  // 42 is out of range: ignored
  // All of the rest, in order, when size is 0 or too large.
  const std::vector<std::size_t> rest{0, 1, 3, 4, 6, 7, 8, 9};
  EXPECT_EQ(holdout_indices(10, exclude, 0, 1), rest);
  EXPECT_EQ(holdout_indices(10, exclude, 8, 1), rest);
  EXPECT_EQ(holdout_indices(10, exclude, 100, 1), rest);
  // Three drawn by the partial Fisher-Yates shuffle, replayed by hand.
  std::vector<std::size_t> idx = rest;
  Rng ref(77);
  for (std::size_t i = 0; i < 3; ++i) std::swap(idx[i], idx[i + ref.below(idx.size() - i)]);
  idx.resize(3);
  EXPECT_EQ(holdout_indices(10, exclude, 3, 77), idx);
  EXPECT_EQ(holdout_indices(10, exclude, 3, 77), holdout_indices(10, exclude, 3, 77));
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto h = holdout_indices(10, exclude, 5, seed);
    ASSERT_EQ(h.size(), 5u);
    std::set<std::size_t> distinct(h.begin(), h.end());
    EXPECT_EQ(distinct.size(), 5u);
    EXPECT_FALSE(distinct.contains(2) || distinct.contains(5)) << "seed " << seed;
    EXPECT_LT(*distinct.rbegin(), 10u);
  }
  EXPECT_TRUE(holdout_indices(3, {0, 1, 2}, 0, 1).empty());
}

TEST(Attack, SamplePositionsAreDistinctSortedAndInRange) {
  Rng rng(1);
  const auto p = sample_positions(50, 50, rng);
  EXPECT_EQ(p.size(), 50u);
  for (std::size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i], i);
  const auto q = sample_positions(1000, 10, rng);
  EXPECT_TRUE(std::is_sorted(q.begin(), q.end()));
  EXPECT_EQ(std::set<std::uint64_t>(q.begin(), q.end()).size(), 10u);
}

TEST(Attack, Log2BinomialByHand) {
  EXPECT_NEAR(log2_binomial(4, 2), std::log2(6.0), 1e-9);
  EXPECT_NEAR(log2_binomial(10, 0), 0.0, 1e-9);
  EXPECT_NEAR(log2_binomial(52, 5), std::log2(2598960.0), 1e-6);
}

TEST(Attack, FullKnowledgeOfTheKeyRestoresThePlainAccuracy) {
  const auto net = testing::tiny_mlp(10);
  const auto frames = testing::frames_for(net, 20, 10);
  const auto space = SearchSpace::layer(net, 1);
  const auto key = make_key(net, space, random_flips(space.size(), 0.5, 3));
  const auto enc = keyed::encrypt(net, key);
  Rng rng(2);
  const auto curve = partial_key_attack(enc, key, frames, {0.0, 1.0}, 2, rng, 1);
  ASSERT_EQ(curve.size(), 2u);
  EXPECT_EQ(curve[0].bits, 0u);
  EXPECT_DOUBLE_EQ(curve[0].mean(), test_accuracy(enc, frames, 1));
  EXPECT_DOUBLE_EQ(curve[1].min(), test_accuracy(net, frames, 1));
  EXPECT_DOUBLE_EQ(curve[1].max(), test_accuracy(net, frames, 1));
  const auto base = random_bit_baseline(net, 0.0, frames, 3, rng, 1);
  EXPECT_EQ(base.accuracies, std::vector<double>(3, test_accuracy(net, frames, 1)));
}

}  // namespace
}  // namespace snngx::ga

namespace snngx::ga {
namespace {

// Issue 18 point 4: the evaluator runs the subset's T (here not the model's) and still equals snn::infer.
TEST(IncrementalFitness, RunsTheFrameFilesTimeSteps) {
  const auto mlp = testing::tiny_mlp(5);
  const auto csnn = testing::tiny_csnn(6);
  ASSERT_NE(mlp.time_steps, 9);
  ASSERT_NE(csnn.time_steps, 9);
  for (const auto* net : {&mlp, &csnn}) {
    const auto frames = datasets::synth_frames({9, net->input_shape[0], net->input_shape[1], net->input_shape[2]}, 5, 0.3,
                                               net->num_classes, 7);
    for (std::size_t l = 0; l < net->num_weighted(); ++l) expect_incremental_equals_full(*net, SearchSpace::layer(*net, l), frames);
    expect_incremental_equals_full(*net, SearchSpace::whole(*net), frames);
  }
}

}  // namespace
}  // namespace snngx::ga
