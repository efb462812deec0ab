// --reference-compat by hand: the reference's exponent rule, the chain of exponents over a sequence
// of evaluations, the re-reading of the plain layer, the slow path (flip, set the exponent, infer),
// and the GA's reference evaluation order. The authors' code itself is the oracle of
// reference_compat_oracle.cpp.
#include <gtest/gtest.h>

#include "snngx/ga/fitness.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"
#include "test_nets.hpp"

namespace snngx::ga {
namespace {

TEST(ReferenceExponent, CeilLog2OfTheSignedMaximumOver127) {
  EXPECT_EQ(reference_exponent(127, -10), -10);  // 127 * 2^-10 / 127 = 2^-10 exactly
  EXPECT_EQ(reference_exponent(64, -10), -10);   // log2(64/127) = -0.99
  EXPECT_EQ(reference_exponent(63, -10), -11);   // log2(63/127) = -1.01
  EXPECT_EQ(reference_exponent(32, -10), -11);
  EXPECT_EQ(reference_exponent(31, -10), -12);
  EXPECT_EQ(reference_exponent(1, -10), -16);  // log2(1/127) = -6.99
  EXPECT_EQ(reference_exponent(0, -10), std::nullopt);   // log2(0) = -inf: the layer decodes to zeros
  EXPECT_EQ(reference_exponent(-5, -10), std::nullopt);  // log2 of a negative: NaN weights
  // float32 subnormals, as PyTorch computes: 100 * 2^-149 / 127 rounds to 2^-149, so no drop.
  EXPECT_EQ(reference_exponent(100, -149), -149);
  EXPECT_EQ(reference_exponent(127, -160), std::nullopt);  // 2^-160 is 0 in float32
}

/// tiny_mlp with its output layer (4 x 16) set to known magnitudes: signed maximum 127, most
/// negative -50 (so flipping every sign gives a signed maximum of 50: one exponent step down).
snn::Network chain_net() {
  snn::Network net = testing::tiny_mlp(7);
  auto& q = *net.weights(1).quant;
  for (std::size_t k = 0; k < q.weight_bits.size(); ++k) {
    const int v = static_cast<int>(k % 7) * 16 - 48;  // -48 .. 48
    q.weight_bits[k] = static_cast<std::uint8_t>((v < 0 ? 0x80 : 0) | std::abs(v));
  }
  q.weight_bits[3] = 127;
  q.weight_bits[5] = 0x80 | 50;
  snn::dequantize_into(net.weights(1));
  return net;
}

/// The slow path: flip, decode the layer with `exponent`, run snn::infer; float32 quotient.
double slow_accuracy(const snn::Network& net, const BitVector& flips, int exponent, const datasets::FrameSet& frames) {
  const auto space = SearchSpace::layer(net, 1);
  snn::Network f = apply_flips(net, space, flips);
  f.weights(1).quant->exponent = exponent;
  snn::dequantize_into(f.weights(1));
  snn::InferenceOptions o;
  o.threads = 1;
  const auto counts = snn::infer(f, frames, o).spike_counts;
  std::size_t ok = 0;
  for (std::size_t n = 0; n < frames.size(); ++n)
    ok += snn::argmax(std::span<const std::int32_t>(counts).subspan(n * 4, 4)) == frames.labels[n];
  return static_cast<float>(ok) / static_cast<float>(frames.size());
}

TEST(ReferenceCompat, ExponentFollowsThePreviouslyEvaluatedIndividual) {
  const snn::Network net = chain_net();
  const int e = net.weights(1).quant->exponent;
  const auto frames = testing::frames_for(net, 8, 7);
  const auto space = SearchSpace::layer(net, 1);
  const BitVector none(space.size()), all(space.size(), true);
  BitVector top(space.size());
  top.set(3);  // only the 127: the signed maximum becomes 48
  SubsetEvaluator ev(net, space, frames, 2, true);
  EXPECT_EQ(ev.reference_plain_exponent(), e);
  EXPECT_EQ(ev.reference_wrapped_weights(), 0u);
  // Sequence and the exponent each is decoded with (by hand): none e, all e (plain was loaded),
  // none e-1 (after all: max 50), all e-1, top e-2 (after all), none e-3 (after top: max 48),
  // then a second call: none e-3 (after none: max 127, no further drop).
  const std::vector<const BitVector*> seq{&none, &all, &none, &all, &top, &none};
  const std::vector<int> expected{e, e, e - 1, e - 1, e - 2, e - 3};
  const auto acc = ev.accuracies(seq);
  for (std::size_t i = 0; i < seq.size(); ++i) EXPECT_EQ(acc[i], slow_accuracy(net, *seq[i], expected[i], frames)) << i;
  EXPECT_EQ(ev.reference_next_exponent(), e - 3);
  const std::vector<const BitVector*> second{&none};
  EXPECT_EQ(ev.accuracies(second)[0], slow_accuracy(net, none, e - 3, frames));
  ASSERT_EQ(ev.exponent_drops().size(), 3u);
  EXPECT_EQ(ev.exponent_drops()[0].evaluation, 2u);
  EXPECT_EQ(ev.exponent_drops()[1].evaluation, 4u);
  EXPECT_EQ(ev.exponent_drops()[2].evaluation, 5u);
  EXPECT_EQ(ev.exponent_drops()[2].from, e - 2);
  EXPECT_EQ(ev.exponent_drops()[2].to, e - 3);
  EXPECT_EQ(ev.reference_evaluations(), 7u);
  // The model the reference would return now: `all` decoded with e - 3.
  const snn::Network loaded = ev.reference_loaded_model(all);
  EXPECT_EQ(loaded.weights(1).quant->exponent, e - 3);
  EXPECT_EQ(loaded.weights(1).values[3], -127.0f * std::ldexp(1.0f, e - 3));
}

TEST(ReferenceCompat, BlockingWeightsCountWhatKeepsTheExponentUpAndZeroPredictsEachDrop) {
  snn::Network net = chain_net();  // 127 at index 3, -50 at 5, the rest -48 .. 48
  net.weights(1).quant->weight_bits[10] = 0x80 | 100;  // one large negative: -100
  snn::dequantize_into(net.weights(1));
  const auto frames = testing::frames_for(net, 4, 7);
  const auto space = SearchSpace::layer(net, 1);
  const BitVector none(space.size()), all(space.size(), true);
  BitVector top(space.size()), all_but_neg = all;
  top.set(3);
  all_but_neg.reset(10);
  BitVector top_and_neg = top;
  top_and_neg.set(10);
  SubsetEvaluator ev(net, space, frames, 1, true);
  EXPECT_EQ(ev.exponent_blockers().large_positive, 1u);  // the 127
  EXPECT_EQ(ev.exponent_blockers().large_negative, 1u);  // the -100
  // By hand: none keeps 127 (1); all flips -100 to 100 (1); top flips 127, keeps -100: signed
  // maximum 48 (0); top_and_neg: 100 (1); all_but_neg: max(-100, 50) = 50 (0).
  const std::vector<const BitVector*> seq{&none, &all, &top, &none, &top_and_neg, &all_but_neg, &none};
  (void)ev.accuracies(seq);
  EXPECT_EQ(ev.exponent_blockers().per_evaluation, (std::vector<std::uint32_t>{1, 1, 0, 1, 1, 0, 1}));
  // Each evaluation after a blocker-free one, and only those, dropped the exponent.
  ASSERT_EQ(ev.exponent_drops().size(), 2u);
  EXPECT_EQ(ev.exponent_drops()[0].evaluation, 3u);
  EXPECT_EQ(ev.exponent_drops()[1].evaluation, 6u);
}

TEST(ReferenceCompat, DefaultModeAlwaysUsesThePlainExponent) {
  const snn::Network net = chain_net();
  const int e = net.weights(1).quant->exponent;
  const auto frames = testing::frames_for(net, 8, 7);
  const auto space = SearchSpace::layer(net, 1);
  const BitVector none(space.size()), all(space.size(), true);
  SubsetEvaluator ev(net, space, frames, 2);
  const std::vector<const BitVector*> seq{&all, &all, &none};
  const auto acc = ev.accuracies(seq);
  EXPECT_EQ(acc[2], ev.accuracy(none));
  EXPECT_EQ(static_cast<float>(acc[2]), slow_accuracy(net, none, e, frames));
  EXPECT_TRUE(ev.exponent_drops().empty());
  EXPECT_EQ(ev.reference_next_exponent(), std::nullopt);
}

TEST(ReferenceCompat, PlainLayerIsReReadAtTheReferenceExponentWithWrapping) {
  snn::Network net = chain_net();
  auto& q = *net.weights(1).quant;
  const int e = q.exponent;
  q.weight_bits[3] = 40;  // signed maximum now 48 (from the pattern): the reference reads at e - 1
  q.weight_bits[5] = 0x80 | 100;
  snn::dequantize_into(net.weights(1));
  std::size_t wrapping = 0;  // magnitudes >= 64 wrap when doubled
  for (const auto b : q.weight_bits) wrapping += (b & 0x7F) >= 64;
  ASSERT_EQ(wrapping, 1u);
  const auto frames = testing::frames_for(net, 4, 7);
  SubsetEvaluator ev(net, SearchSpace::layer(net, 1), frames, 1, true);
  EXPECT_EQ(ev.reference_plain_exponent(), e - 1);
  EXPECT_EQ(ev.reference_wrapped_weights(), 1u);
  const snn::Network loaded = ev.reference_loaded_model(BitVector(net.weights(1).count()));
  EXPECT_EQ(loaded.weights(1).values[5], -72.0f * std::ldexp(1.0f, e - 1));  // 200 mod 128 = 72
  EXPECT_EQ(loaded.weights(1).values[3], 80.0f * std::ldexp(1.0f, e - 1));   // unchanged value
}

TEST(ReferenceCompat, RefusesWholeModelSpaces) {
  const snn::Network net = testing::tiny_mlp(1);
  EXPECT_THROW(SubsetEvaluator(net, SearchSpace::whole(net), testing::frames_for(net, 2, 1), 1, true), std::invalid_argument);
}

/// Records the batches the GA asks for.
class RecordingEvaluator final : public FitnessEvaluator {
 public:
  std::vector<std::size_t> batch_sizes;
  std::vector<double> accuracies(std::span<const BitVector* const> individuals) override {
    batch_sizes.push_back(individuals.size());
    std::vector<double> a;
    for (const auto* b : individuals) a.push_back(static_cast<double>(b->count() % 5) / 5.0);
    return a;
  }
};

TEST(ReferenceCompat, GaScoresEveryIndividualEveryGeneration) {
  GaParams p;
  p.population = 10;
  p.generations = 4;
  p.epsilon = 3;
  p.mutation = 0.2;
  p.reference_compat = true;
  RecordingEvaluator rec;
  const auto r = run_search(p, 40, rec);
  EXPECT_EQ(rec.batch_sizes, std::vector<std::size_t>(5, 10));  // 4 generations + the final re-score, no cache
  EXPECT_EQ(r.evaluations, 50u);
  RecordingEvaluator rec2;
  EXPECT_EQ(run_search(p, 40, rec2).best, r.best);  // deterministic
  p.reference_compat = false;
  RecordingEvaluator cached;
  run_search(p, 40, cached);
  EXPECT_LT(cached.batch_sizes[1], 10u);  // the default caches the unchanged elite
  p.reference_compat = true;
  p.population = 11;  // 6 parents, 5 children: the reference would append 6
  EXPECT_THROW(p.validate(), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::ga
