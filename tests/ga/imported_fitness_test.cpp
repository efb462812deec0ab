// Issue 18 point 6 (first slice): the GA's fitness on imported-style networks (biases, Neuron
// layers with per-neuron parameters, sum pooling, recurrent weights) equals full inference of the
// flipped model, for every searched layer and the whole model; on the imported cnn_sinabs.nir and
// Braille RNN too.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "snngx/ga/fitness.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/nir.hpp"
#include "snngx/snn/quantize.hpp"
#include "test_nets.hpp"
#include "shared_nir.hpp"

namespace snngx::ga {
namespace {
namespace fs = std::filesystem;

using testing::shared_nir;

using testing::random_flips;

std::vector<float> uniform(std::size_t n, float lo, float hi, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

snn::Neuron neuron(snn::NeuronModel model, std::size_t n, std::mt19937_64& rng) {
  snn::Neuron nr;
  nr.model = model;
  nr.dt = 1e-3;
  for (const auto& name : snn::neuron_parameter_names(model)) {
    auto& p = snn::neuron_parameter(nr, name);
    if (name == "tau" || name == "tau_syn") p = uniform(n, 3e-3f, 8e-3f, rng);
    else if (name == "r")  // IF integrates dt * r * x: r ~ 1/dt; the leaky models gain dt/tau * r
      p = model == snn::NeuronModel::If ? uniform(n, 500.0f, 1000.0f, rng) : uniform(n, 2.0f, 5.0f, rng);
    else if (name == "v_threshold") p = uniform(n, 0.3f, 0.8f, rng);
    else if (name == "w_in") p = uniform(n, 0.8f, 1.5f, rng);
    else p.assign(n, 0.0f);  // v_leak, v_reset
  }
  return nr;
}

/// [2,6,6] -> Conv2d(2->3, 3x3, pad 1, bias) -> LIF (per-neuron) -> SumPool 2 -> Flatten -> Linear(27->10, bias)
/// -> IF (subtractive reset, recurrent 10x10 + bias) -> Linear(10->4, bias) -> CubaLIF; quantized to 8 bits.
snn::Network hand_made(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  snn::Network n;
  n.arch = "test-imported";
  n.time_steps = 6;
  n.input_shape = {2, 6, 6};
  n.num_classes = 4;
  snn::Conv2d conv{2, 3, {3, 3}, {1, 1}, {1, 1}, testing::random_weights({3, 2, 3, 3}, rng, 0.5f)};
  conv.bias = uniform(3, -0.1f, 0.1f, rng);
  snn::Pool2d pool;
  pool.mode = snn::Pool2d::Mode::Sum;
  snn::Linear fc1{27, 10, testing::random_weights({10, 27}, rng, 0.5f)};
  fc1.bias = uniform(10, -0.1f, 0.1f, rng);
  snn::Neuron rec = neuron(snn::NeuronModel::If, 10, rng);
  rec.reset = snn::ResetMode::Subtract;
  rec.recurrent = testing::random_weights({10, 10}, rng, 0.4f);
  rec.recurrent_bias = uniform(10, -0.05f, 0.05f, rng);
  snn::Linear fc2{10, 4, testing::random_weights({4, 10}, rng, 1.5f)};
  fc2.bias = uniform(4, -0.1f, 0.1f, rng);
  n.layers = {conv, neuron(snn::NeuronModel::Lif, 108, rng), pool, snn::Flatten{}, fc1, rec, fc2, neuron(snn::NeuronModel::CubaLif, 4, rng)};
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

datasets::FrameSet frames(const snn::Network& net, int T, std::size_t count, double density, std::uint64_t seed) {
  const auto s = snn::frame_input_shape(net);
  return datasets::synth_frames({T, s[0], s[1], s[2]}, count, density, net.num_classes, seed);
}

std::vector<std::int32_t> slow_counts(const snn::Network& net, const SearchSpace& space, const BitVector& flips,
                                      const datasets::FrameSet& f, snn::EngineKind kind) {
  snn::InferenceOptions o;
  o.engine = kind;
  o.threads = 1;
  return snn::infer(apply_flips(net, space, flips), f, o).spike_counts;
}

// Returns the output spikes of the plain model (a test that never spikes compares nothing).
std::int64_t expect_fitness_equals_inference(const snn::Network& net, const SearchSpace& space, const datasets::FrameSet& f) {
  const SubsetEvaluator ev(net, space, f, 1);
  std::int64_t plain_spikes = 0;
  int trial = 0;
  for (const double density : {0.0, 0.02, 0.3, 0.7, 1.0}) {
    const auto flips = random_flips(space.size(), density, 40 + static_cast<std::uint64_t>(trial++));
    const auto fast = ev.spike_counts(flips);
    EXPECT_EQ(fast, slow_counts(net, space, flips, f, snn::EngineKind::Dense)) << "density " << density;
    EXPECT_EQ(fast, slow_counts(net, space, flips, f, snn::EngineKind::Event)) << "density " << density;
    if (density == 0.0)
      for (const auto c : fast) plain_spikes += c;
  }
  return plain_spikes;
}

TEST(ImportedFitness, BiasNeuronPoolingAndRecurrentLayersEqualFullInference) {
  for (const std::uint64_t seed : {1, 2}) {
    const auto net = hand_made(seed);
    ASSERT_EQ(net.num_weighted(), 4u);  // conv, fc1, fc1's recurrent weights, fc2
    const auto f = frames(net, 8, 6, 0.3, seed);
    for (std::size_t l = 0; l < net.num_weighted(); ++l)
      EXPECT_GT(expect_fitness_equals_inference(net, SearchSpace::layer(net, l), f), 0) << "layer " << l;
    EXPECT_GT(expect_fitness_equals_inference(net, SearchSpace::whole(net), f), 0);
  }
}

TEST(ImportedFitness, SinabsCnnEveryLayerEqualsFullInference) {
  const fs::path file = shared_nir() / "cnn_sinabs.nir";
  if (!fs::exists(file)) GTEST_SKIP() << "NIR material absent: " << file << " (set SNNGX_SHARED_DIR to the shared folder)";
  const auto net = snn::quantize(snn::nir::import_file(file, {.dt = 1.0}), 8, snn::QuantRule::MaxAbs);
  const auto f = frames(net, 5, 4, 0.1, 3);
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    EXPECT_GT(expect_fitness_equals_inference(net, SearchSpace::layer(net, l), f), 0) << "layer " << l;
}

TEST(ImportedFitness, BrailleRnnEveryLayerEqualsFullInference) {
  const fs::path file = shared_nir() / "braille_noDelay_bias_zero.nir";
  if (!fs::exists(file)) GTEST_SKIP() << "NIR material absent: " << file << " (set SNNGX_SHARED_DIR to the shared folder)";
  const auto net = snn::quantize(snn::nir::import_file(file, {.dt = 1e-4}), 8, snn::QuantRule::MaxAbs);
  const auto f = frames(net, 30, 5, 0.5, 4);
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    (void)expect_fitness_equals_inference(net, SearchSpace::layer(net, l), f);
  (void)expect_fitness_equals_inference(net, SearchSpace::whole(net), f);
}

}  // namespace
}  // namespace snngx::ga
