// BPTT of any network (train_general.cpp): recurrent weights, CubaLIF synapses, both reset modes,
// biases, IF / LI / Threshold neurons, sum and average pooling, scale. The forward pass equals the
// inference engine; the gradient equals central finite differences of the loss when the spike is a
// ramp (rectangular surrogate) or a soft sign (fast sigmoid), whose exact derivatives the
// surrogates are; the general path equals the batched reference path on a reference network.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::snn {
namespace {

using datasets::FrameSet;
using datasets::FrameShape;

Weights weights(std::vector<int> shape) {
  Weights w;
  w.shape = shape;
  w.values.assign(numel(shape), 0.0f);
  return w;
}

// 6 inputs -> Linear+bias -> recurrent LIF (zero reset, recurrent bias) -> Linear+bias ->
// recurrent CubaLIF (subtract reset) with 3 outputs. (Biases are chosen so that no membrane
// starts exactly on a kink of the ramp: an output bias of 0.05 gives v[0] = 0.05 = threshold - ALPHA/2.)
Network recurrent_net() {
  Network net;
  net.arch = "test-rsnn";
  net.time_steps = 8;
  net.input_shape = {6};
  net.num_classes = 3;
  NeuronParams hidden{.reset = ResetMode::Zero, .dt = 1e-3, .tau = 4e-3f, .r = 4.0f, .v_threshold = 0.5f, .v_reset = -0.1f};
  Neuron lif = make_neuron(NeuronModel::Lif, 5, hidden);
  lif.recurrent = weights({5, 5});
  lif.recurrent_bias.assign(5, 0.05f);
  NeuronParams out{.reset = ResetMode::Subtract, .dt = 1e-3, .tau = 5e-3f, .tau_syn = 2e-3f, .r = 5.0f, .v_threshold = 0.3f, .w_in = 2.0f};
  Neuron cuba = make_neuron(NeuronModel::CubaLif, 3, out);
  cuba.recurrent = weights({3, 3});
  net.layers = {Linear{6, 5, weights({5, 6}), std::vector<float>(5, 0.1f)}, lif,
                Linear{5, 3, weights({3, 5}), std::vector<float>(3, 0.07f)}, cuba};
  return net;
}

// conv+bias -> IF (subtract) -> sum pool -> scale -> conv -> Threshold -> avg pool (padded) ->
// flatten -> Linear+bias -> LI (non-spiking output: the loss reads the mean membrane).
Network conv_net(bool li_output) {
  Network net;
  net.arch = "test-conv";
  net.time_steps = 5;
  net.input_shape = {2, 6, 6};
  net.num_classes = 3;
  const NeuronParams if_params{.reset = ResetMode::Subtract, .dt = 1.0, .r = 1.0f, .v_threshold = 0.4f};
  std::vector<float> factors(3 * 3 * 3);
  for (std::size_t k = 0; k < factors.size(); ++k) factors[k] = 0.5f + 0.05f * static_cast<float>(k % 7);
  const NeuronParams thr{.v_threshold = 0.2f};
  const NeuronParams li{.dt = 1e-3, .tau = 3e-3f, .r = 3.0f};
  net.layers = {Conv2d{2, 3, {3, 3}, {1, 1}, {1, 1}, weights({3, 2, 3, 3}), std::vector<float>(3, 0.05f)},
                make_neuron(NeuronModel::If, 3 * 6 * 6, if_params),
                Pool2d{Pool2d::Mode::Sum, {2, 2}, {2, 2}, {0, 0}},
                Scale{factors},
                Conv2d{3, 2, {3, 3}, {1, 1}, {1, 1}, weights({2, 3, 3, 3})},
                make_neuron(NeuronModel::Threshold, 2 * 3 * 3, thr),
                Pool2d{Pool2d::Mode::Average, {2, 2}, {2, 2}, {1, 1}},
                Flatten{},
                Linear{8, 3, weights({3, 8}), std::vector<float>(3, 0.02f)}};
  if (li_output) net.layers.push_back(make_neuron(NeuronModel::Li, 3, li));
  else net.layers.push_back(make_neuron(NeuronModel::Lif, 3, {.dt = 1e-3, .tau = 3e-3f, .r = 3.0f, .v_threshold = 0.3f}));
  return net;
}

void random_weights(Network& net, std::uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-scale * 0.6f, scale);
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    for (float& w : net.weights(l).values) w = u(rng);
}

FrameSet frames_for(const Network& net, std::size_t n, double density, std::uint64_t seed) {
  const Shape& in = net.input_shape;
  const FrameShape shape = in.size() == 3 ? FrameShape{net.time_steps, in[0], in[1], in[2]} : FrameShape{net.time_steps, in[0], 1, 1};
  return datasets::synth_frames(shape, n, density, net.num_classes, seed);
}

std::vector<std::size_t> all(const FrameSet& f) {
  std::vector<std::size_t> idx(f.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  return idx;
}

TEST(TrainGeneral, SpikeCountsEqualBothInferenceEngines) {
  for (Network net : {recurrent_net(), conv_net(false)}) {
    random_weights(net, 3, 0.8f);
    const auto data = frames_for(net, 10, 0.4, 5);
    const auto g = compute_gradients(net, data, all(data));
    std::int64_t spikes = 0;
    for (const EngineKind kind : {EngineKind::Dense, EngineKind::Event}) {
      const Engine engine(net, kind);
      for (std::size_t n = 0; n < data.size(); ++n) {
        const auto counts = engine.run(data.sample(n));
        for (std::size_t k = 0; k < counts.size(); ++k) {
          EXPECT_EQ(g.spike_counts[n * counts.size() + k], counts[k]) << net.arch << " sample " << n;
          spikes += counts[k];
        }
        EXPECT_EQ(g.predictions[n], argmax(counts));
      }
    }
    EXPECT_GT(spikes, 0) << net.arch;
  }
}

// Every weight and bias of every weighted layer, checked against central differences.
void expect_matches_finite_differences(Network net, Surrogate surrogate, SpikeFunction spike, ResetGradient reset) {
  random_weights(net, 23, 0.7f);
  const auto data = frames_for(net, 4, 0.4, 29);
  GradientOptions o;
  o.surrogate = surrogate;
  o.spike = spike;
  o.reset = reset;
  const auto idx = all(data);
  const auto g = compute_gradients(net, data, idx, o);
  ASSERT_EQ(g.weight.size(), net.num_weighted());
  ASSERT_EQ(g.bias.size(), net.num_weighted());
  const double eps = 1e-3;
  std::size_t checked = 0, agree = 0;
  double largest = 0.0;
  const auto check = [&](const std::string& what, float& param, double analytic) {
    const float saved = param;
    param = saved + static_cast<float>(eps);
    const double up = compute_gradients(net, data, idx, o).loss;
    param = saved - static_cast<float>(eps);
    const double down = compute_gradients(net, data, idx, o).loss;
    param = saved;
    const double fd = (up - down) / (2 * eps);
    largest = std::max(largest, std::fabs(fd));
    ++checked;
    // A kink of the ramp (or of the reset) inside [w - eps, w + eps] makes a single difference
    // inexact; allow a few, but every disagreement must be small and most must agree tightly.
    if (std::fabs(fd - analytic) <= 2e-4 + 0.02 * std::fabs(fd)) ++agree;
    else EXPECT_NEAR(analytic, fd, 0.25 * std::fabs(fd) + 2e-3) << net.arch << " " << what;
  };
  std::mt19937_64 rng(31);
  for (std::size_t k = 0; k < net.num_weighted(); ++k) {
    std::uniform_int_distribution<std::size_t> pick(0, net.weights(k).count() - 1);
    for (int trial = 0; trial < 10; ++trial) {
      const std::size_t i = pick(rng);
      check("layer " + std::to_string(k) + " weight " + std::to_string(i), net.weights(k).values[i], g.weight[k][i]);
    }
    for (std::size_t i = 0; i < net.bias(k).size(); ++i)
      check("layer " + std::to_string(k) + " bias " + std::to_string(i), net.bias(k)[i], g.bias[k][i]);
  }
  EXPECT_GE(agree, checked * 9 / 10) << net.arch;
  EXPECT_GT(largest, 1e-4) << net.arch << ": the loss does not depend on the parameters (a dead network checks nothing)";
}

TEST(TrainGeneral, RecurrentCubaLifMatchesFiniteDifferencesOfTheRampForward) {
  expect_matches_finite_differences(recurrent_net(), Surrogate::Rectangular, SpikeFunction::Ramp, ResetGradient::Gated);
}
TEST(TrainGeneral, RecurrentCubaLifMatchesFiniteDifferencesOfTheSoftSignForward) {
  expect_matches_finite_differences(recurrent_net(), Surrogate::FastSigmoid, SpikeFunction::SoftSign, ResetGradient::Gated);
}
TEST(TrainGeneral, ConvPoolScaleLiMatchesFiniteDifferences) {
  expect_matches_finite_differences(conv_net(true), Surrogate::FastSigmoid, SpikeFunction::SoftSign, ResetGradient::Gated);
  expect_matches_finite_differences(conv_net(false), Surrogate::Rectangular, SpikeFunction::Ramp, ResetGradient::Gated);
}

// The detached reset is not the derivative of any forward pass; it must differ from the gated one
// on a network that spikes, and equal it where the reset term vanishes (nothing else changes).
TEST(TrainGeneral, DetachedResetDropsOnlyTheResetTerm) {
  Network net = recurrent_net();
  random_weights(net, 23, 0.7f);
  const auto data = frames_for(net, 4, 0.4, 29);
  GradientOptions o;
  const auto gated = compute_gradients(net, data, all(data), o);
  o.reset = ResetGradient::Detached;
  const auto detached = compute_gradients(net, data, all(data), o);
  EXPECT_EQ(gated.loss, detached.loss);
  double diff = 0.0;
  for (std::size_t k = 0; k < gated.weight.size(); ++k)
    for (std::size_t i = 0; i < gated.weight[k].size(); ++i) diff += std::fabs(gated.weight[k][i] - detached.weight[k][i]);
  EXPECT_GT(diff, 1e-5);
}

// A reference network with all-zero biases takes the general path (biases are not a reference
// kind) but computes the same function: its weight gradients must equal the batched path's.
TEST(TrainGeneral, EqualsTheBatchedPathOnAReferenceNetwork) {
  Network ref;
  ref.arch = "tiny-mlp";
  ref.time_steps = 6;
  ref.input_shape = {2, 3, 3};
  ref.num_classes = 3;
  ref.layers = {Flatten{}, Linear{18, 6, weights({6, 18})}, Lif{0.5f, 0.5f}, Linear{6, 3, weights({3, 6})}, Lif{0.5f, 0.5f}};
  random_weights(ref, 7, 0.6f);
  Network biased = ref;
  std::get<Linear>(biased.layers[1]).bias.assign(6, 0.0f);
  ASSERT_TRUE(reference_kinds_only(ref));
  ASSERT_FALSE(reference_kinds_only(biased));
  const auto data = frames_for(ref, 9, 0.3, 11);
  for (const Loss loss : {Loss::Mse, Loss::CrossEntropy}) {
    GradientOptions o;
    o.loss = loss;
    const auto a = compute_gradients(ref, data, all(data), o);
    const auto b = compute_gradients(biased, data, all(data), o);
    EXPECT_NEAR(a.loss, b.loss, 1e-9);
    EXPECT_EQ(a.spike_counts, b.spike_counts);
    EXPECT_EQ(a.lif_spikes, b.lif_spikes);
    for (std::size_t k = 0; k < a.weight.size(); ++k)
      for (std::size_t i = 0; i < a.weight[k].size(); ++i)
        EXPECT_NEAR(a.weight[k][i], b.weight[k][i], 1e-6 + 1e-4 * std::fabs(a.weight[k][i])) << "layer " << k << " weight " << i;
    EXPECT_EQ(b.bias[0].size(), 6U);
    EXPECT_TRUE(b.bias[1].empty());
  }
}

TEST(TrainGeneral, SameBitsOnAnyThreadCount) {
  Network net = recurrent_net();
  random_weights(net, 5, 0.7f);
  const auto data = frames_for(net, 13, 0.4, 3);
  GradientOptions one, many;
  one.threads = 1;
  many.threads = 4;
  const auto a = compute_gradients(net, data, all(data), one);
  const auto b = compute_gradients(net, data, all(data), many);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.weight, b.weight);
  EXPECT_EQ(a.bias, b.bias);
}

// Training moves weights and biases (recurrent ones included) and lowers the loss.
TEST(TrainGeneral, TrainingLowersTheLossOfARecurrentNetwork) {
  Network net = recurrent_net();
  random_weights(net, 9, 0.7f);
  const auto data = frames_for(net, 24, 0.4, 17);
  const double before = compute_gradients(net, data, all(data)).loss;
  TrainOptions o;
  o.epochs = 15;
  o.batch_size = 4;
  o.adam.learning_rate = 3e-3f;
  o.schedule = LrSchedule::Constant;
  const auto r = train(net, data, nullptr, o);
  const double after = compute_gradients(r.last, data, all(data)).loss;
  EXPECT_LT(after, 0.8 * before) << "before " << before << " after " << after;
  const auto& rec_before = std::get<Neuron>(net.layers[1]);
  const auto& rec_after = std::get<Neuron>(r.last.layers[1]);
  EXPECT_NE(rec_before.recurrent->values, rec_after.recurrent->values);
  EXPECT_NE(rec_before.recurrent_bias, rec_after.recurrent_bias);
  EXPECT_NE(std::get<Linear>(net.layers[0]).bias, std::get<Linear>(r.last.layers[0]).bias);
}

}  // namespace
}  // namespace snngx::snn
