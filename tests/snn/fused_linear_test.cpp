// The event engine runs a quantized Linear (no bias) and the LIF after it as one step, passing
// spikes on as index lists (inference.cpp: linear_lif). These tests pin every step's spikes and
// both membranes to the dense reference engine, bit for bit, including int16 spills, counts that
// need int32, widths that are not whole SIMD vectors, and layer ranges that split the pair.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::snn {
namespace {

// Flatten -> Linear(in, hidden) -> LIF -> Linear(hidden, 10) -> LIF, quantized to 8 bits.
Network mlp(int in, int hidden, std::uint64_t seed, float gain, float output_gain = 0.0f) {
  Network n;
  n.arch = "fused-mlp";
  n.time_steps = 6;
  n.input_shape = {in, 1, 1};
  n.num_classes = 10;
  Linear a{in, hidden, {}}, b{hidden, 10, {}};
  a.weight.shape = {hidden, in};
  b.weight.shape = {10, hidden};
  n.layers = {Flatten{}, a, Lif{}, b, Lif{0.6f, 0.4f}};
  for (std::size_t l = 0; l < n.num_weighted(); ++l) n.weights(l).values.assign(numel(n.weights(l).shape), 0.0f);
  init_weights(n, seed);
  for (std::size_t l = 0; l < n.num_weighted(); ++l)
    for (float& v : n.weights(l).values) v *= l == 0 || output_gain == 0.0f ? gain : output_gain;
  return quantize(n, 8, QuantRule::MaxAbs);
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Step by step over the whole network: outputs and both LIF membranes equal the dense engine's.
void expect_steps_agree(const Network& net, const std::vector<std::vector<float>>& steps, int* spikes = nullptr) {
  const Engine dense(net, EngineKind::Dense), event(net, EngineKind::Event);
  auto ds = dense.new_state(), es = event.new_state();
  const std::size_t L = net.layers.size();
  for (std::size_t t = 0; t < steps.size(); ++t) {
    const auto a = dense.step(*ds, 0, L, steps[t]);
    const std::vector<float> a_copy(a.begin(), a.end());
    const auto b = event.step(*es, 0, L, steps[t]);
    ASSERT_TRUE(same_bits(a_copy, b)) << "output spikes, step " << t;
    ASSERT_TRUE(same_bits(ds->v[2], es->v[2])) << "hidden membrane, step " << t;
    ASSERT_TRUE(same_bits(ds->v[4], es->v[4])) << "output membrane, step " << t;
    if (spikes)
      for (const float v : a_copy) *spikes += v != 0.0f;
  }
}

std::vector<std::vector<float>> poisson_steps(int in, int steps, double density, int max_count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution on(density);
  std::uniform_int_distribution<int> count(1, max_count);
  std::vector<std::vector<float>> out(static_cast<std::size_t>(steps), std::vector<float>(static_cast<std::size_t>(in), 0.0f));
  for (auto& s : out)
    for (auto& v : s)
      if (on(rng)) v = static_cast<float>(count(rng));
  return out;
}

TEST(FusedLinearLif, EveryStepEqualsDenseAtSeveralWidthsAndDensities) {
  int spikes = 0;
  // 37 and 77 hidden neurons: not whole 16-float vectors (the scalar tail of the LIF) nor whole
  // 32-lane rows (padded weights); 512 as the NMNIST MLP.
  for (const int hidden : {37, 77, 512})
    for (const double density : {0.02, 0.2, 0.7})
      for (std::uint64_t seed = 1; seed <= 2; ++seed) {
        const Network net = mlp(150, hidden, seed, 5.0f);
        expect_steps_agree(net, poisson_steps(150, 6, density, 3, seed * 31 + static_cast<std::uint64_t>(hidden)), &spikes);
      }
  EXPECT_GT(spikes, 100) << "the nets must spike for the comparison to mean anything";
}

// Counts up to 60,000 (127 * n far beyond int16: the int32 path) and many inputs of 200 (spills).
TEST(FusedLinearLif, LargeCountsStayExact) {
  int spikes = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Network net = mlp(300, 64, seed, 0.01f, 5.0f);
    auto steps = poisson_steps(300, 6, 0.5, 200, seed);
    steps[2][7] = 60000.0f;
    steps[4][299] = 31000.0f;
    expect_steps_agree(net, steps, &spikes);
  }
  EXPECT_GT(spikes, 0);
}

// A layer range ending between the Linear and its LIF runs them unfused; a range starting at the
// LIF reads the membrane the fused pair left. Both must match the dense engine.
TEST(FusedLinearLif, RangesThatSplitThePairAgree) {
  const Network net = mlp(120, 45, 4, 5.0f);
  const auto steps = poisson_steps(120, 6, 0.3, 2, 9);
  const Engine dense(net, EngineKind::Dense), event(net, EngineKind::Event);
  auto ds = dense.new_state(), es = event.new_state();
  for (std::size_t t = 0; t < steps.size(); ++t) {
    // Alternate: whole network in one call, or [0,2) then [2,5).
    if (t % 2 == 0) {
      const auto a = dense.step(*ds, 0, 5, steps[t]);
      const std::vector<float> a_copy(a.begin(), a.end());
      ASSERT_TRUE(same_bits(a_copy, event.step(*es, 0, 5, steps[t]))) << t;
    } else {
      const auto ha = dense.step(*ds, 0, 2, steps[t]);
      const std::vector<float> current(ha.begin(), ha.end());
      ASSERT_TRUE(same_bits(current, event.step(*es, 0, 2, steps[t]))) << "currents, step " << t;
      const auto a = dense.step(*ds, 2, 5, current);
      const std::vector<float> a_copy(a.begin(), a.end());
      ASSERT_TRUE(same_bits(a_copy, event.step(*es, 2, 5, current))) << "outputs, step " << t;
    }
    ASSERT_TRUE(same_bits(ds->v[2], es->v[2])) << t;
    ASSERT_TRUE(same_bits(ds->v[4], es->v[4])) << t;
  }
}

// The sparse-input path (a frame's active cells straight into the fused pair) gives the same
// spike counts as the dense engine on the same frames.
TEST(FusedLinearLif, SparseSamplesEqualDense) {
  const Network net = mlp(200, 96, 2, 5.0f);
  const auto frames = datasets::synth_frames({net.time_steps, 200, 1, 1}, 12, 0.1, 10, 5);
  datasets::SparseBatch sparse;
  for (std::size_t i = 0; i < frames.size(); ++i) sparse.push_dense(frames.sample(i), frames.labels[i]);
  const Engine dense(net, EngineKind::Dense), event(net, EngineKind::Event);
  auto es = event.new_state();
  int total = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto a = dense.run(frames.sample(i));
    ASSERT_EQ(a, event.run(*es, sparse.sample(i))) << i;
    for (const auto c : a) total += c;
  }
  EXPECT_GT(total, 0);
}

}  // namespace
}  // namespace snngx::snn
