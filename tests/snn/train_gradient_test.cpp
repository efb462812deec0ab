// Surrogate-gradient BPTT (train.hpp): the training forward pass equals the inference engine, the
// gradient equals finite differences of a ramp (rectangular surrogate) or soft-sign (fast sigmoid)
// forward pass and an independent, naive double-precision BPTT with either surrogate, and one
// Adam step equals a computation done by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::snn {
namespace {

using datasets::FrameSet;
using datasets::FrameShape;

// Dyadic weights k/64: with decay 0.5 every membrane value is exact in float and double, so
// spikes and surrogate windows agree bit for bit between implementations.
// Skewed positive so that spikes reach the output of the tiny convolutional net.
void dyadic_weights(Network& net, std::uint64_t seed, int range) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> k(-range / 2, range);
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    for (float& w : net.weights(l).values) w = static_cast<float>(k(rng)) / 64.0f;
}

void random_weights(Network& net, std::uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    for (float& w : net.weights(l).values) w = u(rng);
}

Weights zero_weights(std::vector<int> shape) {
  Weights w;
  w.shape = shape;
  w.values.assign(numel(shape), 0.0f);
  return w;
}

Network tiny_mlp(float decay, float threshold, int T) {
  Network net;
  net.arch = "tiny-mlp";
  net.time_steps = T;
  net.input_shape = {2, 3, 3};
  net.num_classes = 3;
  net.layers = {Flatten{}, Linear{18, 6, zero_weights({6, 18})}, Lif{decay, threshold},
                Linear{6, 3, zero_weights({3, 6})}, Lif{decay, threshold}};
  return net;
}

// conv (stride 1, pad 1) -> LIF -> max-pool -> conv (stride 2, pad 1) -> LIF -> flatten -> linear -> LIF
Network tiny_csnn(float decay, float threshold, int T) {
  Network net;
  net.arch = "tiny-csnn";
  net.time_steps = T;
  net.input_shape = {2, 6, 6};
  net.num_classes = 3;
  const Lif lif{decay, threshold};
  net.layers = {Conv2d{2, 3, {3, 3}, {1, 1}, {1, 1}, zero_weights({3, 2, 3, 3})},
                lif,
                MaxPool2d{},
                Conv2d{3, 4, {3, 3}, {2, 2}, {1, 1}, zero_weights({4, 3, 3, 3})},
                lif,
                Flatten{},
                Linear{16, 3, zero_weights({3, 16})},
                lif};
  return net;
}

FrameSet frames_for(const Network& net, std::size_t n, double density, std::uint64_t seed) {
  const FrameShape shape{net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]};
  return datasets::synth_frames(shape, n, density, net.num_classes, seed);
}

std::vector<std::size_t> all(const FrameSet& f) {
  std::vector<std::size_t> idx(f.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  return idx;
}

// ---- independent slow path: per sample, per step, dense loops in double ----------------------
struct SlowResult {
  double loss = 0.0;
  std::vector<std::vector<double>> grad;
  std::vector<double> lif_spikes;  // per LIF layer, summed over samples and steps
};

// dS/dV at x = v - VTH, written out from the formulas (not the library's function).
double slow_surrogate(Surrogate surrogate, double x) {
  const double alpha = kSurrogateAlpha;
  if (surrogate == Surrogate::Rectangular) return std::fabs(x) < alpha / 2 ? 1.0 / alpha : 0.0;
  const double k = 2.0 / alpha;
  return 1.0 / (alpha * (1.0 + k * std::fabs(x)) * (1.0 + k * std::fabs(x)));
}

SlowResult slow_bptt(const Network& net, const FrameSet& data, bool gated, Surrogate surrogate = Surrogate::Rectangular) {
  const int T = net.time_steps, K = net.num_classes;
  const auto shapes = net.layer_output_shapes();
  const std::size_t L = net.layers.size();
  SlowResult res;
  for (std::size_t k = 0; k < net.num_weighted(); ++k) res.grad.emplace_back(net.weights(k).count(), 0.0);
  std::vector<std::size_t> lif_index(L, 0);
  for (std::size_t i = 0; i < L; ++i)
    if (std::holds_alternative<Lif>(net.layers[i])) lif_index[i] = res.lif_spikes.size(), res.lif_spikes.push_back(0.0);
  for (std::size_t n = 0; n < data.size(); ++n) {
    // Forward, storing every layer's input, LIF membranes/spikes and pool routes per step.
    std::vector<std::vector<std::vector<double>>> in(static_cast<std::size_t>(T), std::vector<std::vector<double>>(L));
    std::vector<std::vector<std::vector<double>>> vm(static_cast<std::size_t>(T), std::vector<std::vector<double>>(L));
    std::vector<std::vector<std::vector<double>>> sp(static_cast<std::size_t>(T), std::vector<std::vector<double>>(L));
    std::vector<std::vector<std::vector<std::size_t>>> route(static_cast<std::size_t>(T), std::vector<std::vector<std::size_t>>(L));
    std::vector<double> rate(static_cast<std::size_t>(K), 0.0);
    const auto sample = data.sample(n);
    const std::size_t step = numel(net.input_shape);
    for (int t = 0; t < T; ++t) {
      std::vector<double> x(sample.begin() + static_cast<std::ptrdiff_t>(t * step), sample.begin() + static_cast<std::ptrdiff_t>((t + 1) * step));
      Shape cur = net.input_shape;
      for (std::size_t i = 0; i < L; ++i) {
        in[t][i] = x;
        const Shape& os = shapes[i];
        std::vector<double> y(numel(os), 0.0);
        if (const auto* lin = std::get_if<Linear>(&net.layers[i])) {
          for (int o = 0; o < lin->out_features; ++o)
            for (int j = 0; j < lin->in_features; ++j) y[o] += lin->weight.values[static_cast<std::size_t>(o) * lin->in_features + j] * x[j];
        } else if (const auto* cv = std::get_if<Conv2d>(&net.layers[i])) {
          const int C = cur[0], H = cur[1], W = cur[2], O = os[0], OH = os[1], OW = os[2];
          for (int o = 0; o < O; ++o)
            for (int oy = 0; oy < OH; ++oy)
              for (int ox = 0; ox < OW; ++ox)
                for (int c = 0; c < C; ++c)
                  for (int ky = 0; ky < cv->kernel[0]; ++ky)
                    for (int kx = 0; kx < cv->kernel[1]; ++kx) {
                      const int iy = oy * cv->stride[0] - cv->padding[0] + ky, ix = ox * cv->stride[1] - cv->padding[1] + kx;
                      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                      y[(static_cast<std::size_t>(o) * OH + oy) * OW + ox] +=
                          cv->weight.values[((static_cast<std::size_t>(o) * C + c) * cv->kernel[0] + ky) * cv->kernel[1] + kx] *
                          x[(static_cast<std::size_t>(c) * H + iy) * W + ix];
                    }
        } else if (const auto* lif = std::get_if<Lif>(&net.layers[i])) {
          vm[t][i].resize(y.size());
          sp[t][i].resize(y.size());
          for (std::size_t j = 0; j < y.size(); ++j) {
            const double prev = t ? vm[t - 1][i][j] * lif->decay * (1.0 - sp[t - 1][i][j]) : 0.0;
            vm[t][i][j] = prev + x[j];
            sp[t][i][j] = vm[t][i][j] > lif->threshold ? 1.0 : 0.0;
            y[j] = sp[t][i][j];
            res.lif_spikes[lif_index[i]] += sp[t][i][j];
          }
        } else if (std::holds_alternative<MaxPool2d>(net.layers[i])) {
          const int C = cur[0], H = cur[1], W = cur[2], OH = os[1], OW = os[2];
          route[t][i].resize(y.size());
          for (int c = 0; c < C; ++c)
            for (int oy = 0; oy < OH; ++oy)
              for (int ox = 0; ox < OW; ++ox) {
                const std::size_t o = (static_cast<std::size_t>(c) * OH + oy) * OW + ox;
                std::size_t best = (static_cast<std::size_t>(c) * H + 2 * oy) * W + 2 * ox;
                for (int ky = 0; ky < 2; ++ky)
                  for (int kx = 0; kx < 2; ++kx) {
                    const std::size_t src = (static_cast<std::size_t>(c) * H + 2 * oy + ky) * W + 2 * ox + kx;
                    if (x[src] > x[best]) best = src;
                  }
                route[t][i][o] = best;
                y[o] = x[best];
              }
        } else {
          y = x;  // flatten keeps [C,H,W] order
        }
        x = std::move(y);
        cur = os;
      }
      for (int k = 0; k < K; ++k) rate[static_cast<std::size_t>(k)] += x[static_cast<std::size_t>(k)] / T;
    }
    // Loss: MSE(mean over batch and classes).
    const int label = data.labels[n];
    std::vector<double> d_spike(static_cast<std::size_t>(K));
    const double scale = 1.0 / (static_cast<double>(data.size()) * K);
    for (int k = 0; k < K; ++k) {
      const double e = rate[static_cast<std::size_t>(k)] - (k == label ? 1.0 : 0.0);
      res.loss += e * e * scale;
      d_spike[static_cast<std::size_t>(k)] = 2.0 * e * scale / T;
    }
    // Backward: time reversed; within a step, layers reversed. dv_next[i] = dL/dv_i[t+1].
    std::vector<std::vector<double>> dv_next(L);
    for (std::size_t i = 0; i < L; ++i) dv_next[i].assign(numel(shapes[i]), 0.0);
    for (int t = T - 1; t >= 0; --t) {
      std::vector<double> g = d_spike;
      for (std::size_t i = L; i-- > 0;) {
        const Shape cur = i ? shapes[i - 1] : net.input_shape;
        const Shape& os = shapes[i];
        std::vector<double> gin(numel(cur), 0.0);
        const auto& x = in[t][i];
        if (const auto* lin = std::get_if<Linear>(&net.layers[i])) {
          const std::size_t k = static_cast<std::size_t>(std::count_if(net.layers.begin(), net.layers.begin() + static_cast<std::ptrdiff_t>(i), [](const Layer& l) {
            return std::holds_alternative<Linear>(l) || std::holds_alternative<Conv2d>(l);
          }));
          for (int o = 0; o < lin->out_features; ++o)
            for (int j = 0; j < lin->in_features; ++j) {
              const std::size_t w = static_cast<std::size_t>(o) * lin->in_features + j;
              res.grad[k][w] += g[o] * x[j];
              gin[j] += lin->weight.values[w] * g[o];
            }
        } else if (const auto* cv = std::get_if<Conv2d>(&net.layers[i])) {
          const std::size_t k = static_cast<std::size_t>(std::count_if(net.layers.begin(), net.layers.begin() + static_cast<std::ptrdiff_t>(i), [](const Layer& l) {
            return std::holds_alternative<Linear>(l) || std::holds_alternative<Conv2d>(l);
          }));
          const int C = cur[0], H = cur[1], W = cur[2], O = os[0], OH = os[1], OW = os[2];
          for (int o = 0; o < O; ++o)
            for (int oy = 0; oy < OH; ++oy)
              for (int ox = 0; ox < OW; ++ox)
                for (int c = 0; c < C; ++c)
                  for (int ky = 0; ky < cv->kernel[0]; ++ky)
                    for (int kx = 0; kx < cv->kernel[1]; ++kx) {
                      const int iy = oy * cv->stride[0] - cv->padding[0] + ky, ix = ox * cv->stride[1] - cv->padding[1] + kx;
                      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                      const std::size_t w = ((static_cast<std::size_t>(o) * C + c) * cv->kernel[0] + ky) * cv->kernel[1] + kx;
                      const std::size_t xi = (static_cast<std::size_t>(c) * H + iy) * W + ix;
                      const double go = g[(static_cast<std::size_t>(o) * OH + oy) * OW + ox];
                      res.grad[k][w] += go * x[xi];
                      gin[xi] += cv->weight.values[w] * go;
                    }
        } else if (const auto* lif = std::get_if<Lif>(&net.layers[i])) {
          for (std::size_t j = 0; j < g.size(); ++j) {
            const double v = vm[t][i][j], s = sp[t][i][j], next = dv_next[i][j];
            const double gs = g[j] - (gated ? lif->decay * v * next : 0.0);
            const double sg = slow_surrogate(surrogate, v - lif->threshold);
            gin[j] = gs * sg + lif->decay * (1.0 - s) * next;
            dv_next[i][j] = gin[j];
          }
        } else if (std::holds_alternative<MaxPool2d>(net.layers[i])) {
          for (std::size_t o = 0; o < g.size(); ++o) gin[route[t][i][o]] += g[o];
        } else {
          gin = g;
        }
        g = std::move(gin);
      }
    }
  }
  return res;
}

void expect_gradients_match(const Gradients& fast, const SlowResult& slow, double rel) {
  ASSERT_EQ(fast.weight.size(), slow.grad.size());
  EXPECT_NEAR(fast.loss, slow.loss, 1e-6 * std::max(1.0, slow.loss));
  double norm = 0.0;
  std::size_t nonzero = 0;
  for (std::size_t k = 0; k < slow.grad.size(); ++k) {
    ASSERT_EQ(fast.weight[k].size(), slow.grad[k].size());
    EXPECT_TRUE(std::any_of(slow.grad[k].begin(), slow.grad[k].end(), [](double v) { return v != 0.0; }))
        << "no gradient reaches layer " << k;
    for (std::size_t i = 0; i < slow.grad[k].size(); ++i) {
      EXPECT_NEAR(fast.weight[k][i], slow.grad[k][i], 1e-7 + rel * std::fabs(slow.grad[k][i])) << "layer " << k << " weight " << i;
      norm += slow.grad[k][i] * slow.grad[k][i];
      nonzero += slow.grad[k][i] != 0.0;
    }
  }
  EXPECT_GT(norm, 0.0);
  EXPECT_GT(nonzero, 10U);  // the check exercised real gradient paths
}

TEST(TrainForward, SpikeCountsEqualTheInferenceEngine) {
  for (Network net : {tiny_mlp(0.5f, 0.5f, 6), tiny_csnn(0.5f, 0.5f, 6)}) {
    dyadic_weights(net, 3, 24);
    const auto data = frames_for(net, 12, 0.3, 5);
    const auto g = compute_gradients(net, data, all(data));
    const Engine engine(net, EngineKind::Dense);
    std::size_t spikes = 0;
    for (std::size_t n = 0; n < data.size(); ++n) {
      const auto counts = engine.run(data.sample(n));
      for (std::size_t k = 0; k < counts.size(); ++k) {
        EXPECT_EQ(g.spike_counts[n * counts.size() + k], counts[k]) << net.arch << " sample " << n;
        spikes += static_cast<std::size_t>(counts[k]);
      }
      EXPECT_EQ(g.predictions[n], argmax(counts));
    }
    EXPECT_GT(spikes, 0U) << net.arch;
  }
}

TEST(TrainGradient, EqualsIndependentSlowBpttWithGatedReset) {
  for (Network net : {tiny_mlp(0.5f, 0.5f, 6), tiny_csnn(0.5f, 0.5f, 6)}) {
    dyadic_weights(net, 11, 24);
    const auto data = frames_for(net, 7, 0.3, 13);
    GradientOptions o;
    o.surrogate = Surrogate::Rectangular;  // the paper's reference semantics
    o.chunk = 3;                           // several chunks, last one partial
    const auto fast = compute_gradients(net, data, all(data), o);
    const auto slow = slow_bptt(net, data, true);
    expect_gradients_match(fast, slow, 1e-4);
    // The per-LIF-layer spike totals (training diagnostics) are those of the slow forward pass.
    ASSERT_EQ(fast.lif_spikes.size(), slow.lif_spikes.size());
    for (std::size_t k = 0; k < slow.lif_spikes.size(); ++k) EXPECT_EQ(fast.lif_spikes[k], slow.lif_spikes[k]) << net.arch << " LIF " << k;
    EXPECT_GT(slow.lif_spikes.back(), 0.0);
  }
}

TEST(TrainGradient, FastSigmoidEqualsIndependentSlowBptt) {
  for (Network net : {tiny_mlp(0.5f, 0.5f, 6), tiny_csnn(0.5f, 0.5f, 6)}) {
    dyadic_weights(net, 11, 24);
    const auto data = frames_for(net, 7, 0.3, 13);
    GradientOptions o;
    o.surrogate = Surrogate::FastSigmoid;
    o.chunk = 3;
    expect_gradients_match(compute_gradients(net, data, all(data), o), slow_bptt(net, data, true, Surrogate::FastSigmoid), 1e-4);
    o.reset = ResetGradient::Detached;
    expect_gradients_match(compute_gradients(net, data, all(data), o), slow_bptt(net, data, false, Surrogate::FastSigmoid), 1e-4);
  }
}

TEST(TrainGradient, DefaultsAreFastSigmoidLr1e4ByFanInBatch4) {
  EXPECT_EQ(GradientOptions{}.surrogate, Surrogate::FastSigmoid);
  EXPECT_EQ(TrainOptions{}.gradient.surrogate, Surrogate::FastSigmoid);
  EXPECT_EQ(TrainOptions{}.gradient.loss, Loss::Mse);
  EXPECT_EQ(TrainOptions{}.batch_size, 4U);
  EXPECT_FLOAT_EQ(TrainOptions{}.adam.learning_rate, 1e-4f);
  EXPECT_EQ(TrainOptions{}.adam.layer_lr, LayerLr::FanIn);
  EXPECT_EQ(AdamOptions{}.layer_lr, LayerLr::Uniform);  // adam_step alone is PyTorch's Adam
  EXPECT_EQ(parse_layer_lr("fan-in"), LayerLr::FanIn);
  EXPECT_EQ(parse_layer_lr("uniform"), LayerLr::Uniform);
  EXPECT_EQ(to_string(LayerLr::FanIn), "fan-in");
  EXPECT_THROW(parse_layer_lr("layer"), std::invalid_argument);
  EXPECT_EQ(parse_surrogate("rectangular"), Surrogate::Rectangular);
  EXPECT_EQ(parse_surrogate("fast-sigmoid"), Surrogate::FastSigmoid);
  EXPECT_EQ(to_string(Surrogate::FastSigmoid), "fast-sigmoid");
  EXPECT_THROW(parse_surrogate("sigmoid"), std::invalid_argument);
}

// By hand: rectangle 1/ALPHA = 2 inside |x| < 0.25; fast sigmoid 2 / (1 + 4|x|)^2.
TEST(TrainGradient, SurrogateDerivativesByHand) {
  EXPECT_EQ(surrogate_derivative(Surrogate::Rectangular, 0.0f), 2.0f);
  EXPECT_EQ(surrogate_derivative(Surrogate::Rectangular, 0.2f), 2.0f);
  EXPECT_EQ(surrogate_derivative(Surrogate::Rectangular, -0.3f), 0.0f);
  EXPECT_EQ(surrogate_derivative(Surrogate::FastSigmoid, 0.0f), 2.0f);             // same peak
  EXPECT_FLOAT_EQ(surrogate_derivative(Surrogate::FastSigmoid, 0.25f), 0.5f);      // 2 / 2^2
  EXPECT_FLOAT_EQ(surrogate_derivative(Surrogate::FastSigmoid, -1.0f), 2.0f / 25);  // support everywhere
  EXPECT_GT(surrogate_derivative(Surrogate::FastSigmoid, -100.0f), 0.0f);
  // Same area as the rectangle: integral of 2 / (1 + 4|x|)^2 over R = 1 (midpoint rule on [-1000, 1000]).
  double area = 0.0;
  const double h = 1e-3;
  for (double x = -1000.0 + h / 2; x < 1000.0; x += h) area += surrogate_derivative(Surrogate::FastSigmoid, static_cast<float>(x)) * h;
  EXPECT_NEAR(area, 1.0, 2e-3);
}

// The reason for the default: a network whose output layer never reaches the rectangle's window
// gets no gradient at all, so it stays silent forever; the fast sigmoid still pushes the label's
// output neuron up.
TEST(TrainGradient, SilentOutputLayerGetsAGradientOnlyWithTheFastSigmoid) {
  Network net = tiny_mlp(0.3f, 0.3f, 5);
  dyadic_weights(net, 5, 24);
  for (float& w : net.weights(1).values) w = -std::fabs(w) - 0.25f;  // every output current well below VTH - ALPHA/2
  const auto data = frames_for(net, 6, 0.3, 7);
  GradientOptions o;
  o.surrogate = Surrogate::Rectangular;
  const auto rect = compute_gradients(net, data, all(data), o);
  EXPECT_TRUE(std::all_of(rect.spike_counts.begin(), rect.spike_counts.end(), [](int c) { return c == 0; }));
  EXPECT_GT(rect.lif_spikes.front(), 0.0) << "the hidden layer must spike for the check to mean something";
  for (const auto& layer : rect.weight)
    EXPECT_TRUE(std::all_of(layer.begin(), layer.end(), [](float g) { return g == 0.0f; }));
  o.surrogate = Surrogate::FastSigmoid;
  const auto fast = compute_gradients(net, data, all(data), o);
  EXPECT_EQ(fast.loss, rect.loss);  // same forward pass
  for (const auto& layer : fast.weight) EXPECT_TRUE(std::any_of(layer.begin(), layer.end(), [](float g) { return g != 0.0f; }));
  // Descent raises the output weights (the label's neuron must rise towards the threshold).
  EXPECT_TRUE(std::any_of(fast.weight[1].begin(), fast.weight[1].end(), [](float g) { return g < 0.0f; }));
}

TEST(TrainGradient, EqualsIndependentSlowBpttWithDetachedReset) {
  for (Network net : {tiny_mlp(0.5f, 0.5f, 6), tiny_csnn(0.5f, 0.5f, 6)}) {
    dyadic_weights(net, 17, 24);
    const auto data = frames_for(net, 5, 0.3, 19);
    GradientOptions o;
    o.surrogate = Surrogate::Rectangular;
    o.reset = ResetGradient::Detached;
    const auto detached = compute_gradients(net, data, all(data), o);
    expect_gradients_match(detached, slow_bptt(net, data, false), 1e-4);
    // And detaching really changes the gradient (the reset term is not silently zero).
    o.reset = ResetGradient::Gated;
    const auto gated = compute_gradients(net, data, all(data), o);
    double diff = 0.0;
    for (std::size_t k = 0; k < gated.weight.size(); ++k)
      for (std::size_t i = 0; i < gated.weight[k].size(); ++i) diff += std::fabs(gated.weight[k][i] - detached.weight[k][i]);
    EXPECT_GT(diff, 1e-4) << net.arch;
  }
}

// With the ramp spike s = clamp((v - VTH)/ALPHA + 1/2, 0, 1), the rectangular surrogate is the
// exact derivative, so BPTT must equal central finite differences of the loss (both layer kinds,
// max-pool routing and the gated reset included).
void expect_matches_finite_differences(Surrogate surrogate, SpikeFunction spike) {
  for (Network net : {tiny_mlp(0.3f, 0.3f, 5), tiny_csnn(0.3f, 0.3f, 5)}) {
    random_weights(net, 23, net.arch == "tiny-mlp" ? 0.5f : 0.35f);
    const auto data = frames_for(net, 4, 0.3, 29);
    GradientOptions o;
    o.surrogate = surrogate;
    o.spike = spike;
    const auto idx = all(data);
    const auto g = compute_gradients(net, data, idx, o);
    std::mt19937_64 rng(31);
    const double eps = 1e-3;
    std::size_t checked = 0, agree = 0;
    for (std::size_t k = 0; k < net.num_weighted(); ++k) {
      std::uniform_int_distribution<std::size_t> pick(0, net.weights(k).count() - 1);
      for (int trial = 0; trial < 12; ++trial) {
        const std::size_t i = pick(rng);
        Network plus = net, minus = net;
        plus.weights(k).values[i] += static_cast<float>(eps);
        minus.weights(k).values[i] -= static_cast<float>(eps);
        const double fd = (compute_gradients(plus, data, idx, o).loss - compute_gradients(minus, data, idx, o).loss) / (2 * eps);
        const double an = g.weight[k][i];
        ++checked;
        // A kink of the ramp inside [w - eps, w + eps] makes a single difference inexact; allow
        // a few, but every disagreement must be small and most must agree tightly.
        if (std::fabs(fd - an) <= 2e-4 + 0.02 * std::fabs(fd)) ++agree;
        else EXPECT_NEAR(an, fd, 0.25 * std::fabs(fd) + 2e-3) << net.arch << " layer " << k << " weight " << i;
      }
    }
    EXPECT_GE(agree, checked * 9 / 10) << net.arch;
  }
}

TEST(TrainGradient, MatchesFiniteDifferencesOfTheRampForward) {
  expect_matches_finite_differences(Surrogate::Rectangular, SpikeFunction::Ramp);
}

// s = 1/2 + (1/2) k x / (1 + k|x|) has the fast sigmoid as its exact derivative (smooth, no kinks
// but the one at x = 0, where both sides agree).
TEST(TrainGradient, MatchesFiniteDifferencesOfTheSoftSignForward) {
  expect_matches_finite_differences(Surrogate::FastSigmoid, SpikeFunction::SoftSign);
}

// 1 input -> 1 LIF neuron (decay 0.5, threshold 0.5), w = 0.375, inputs 1,1,1, label 0 (K = 1):
//   v = 0.375 (no spike), 0.5625 (spike), 0.375 (gated: no spike); rate 1/3, L = (1/3 - 1)^2 = 4/9
//   dL/ds[t] = 2 (r - 1) / T = -4/9; window |v - 0.5| < 0.25 open at every step, S' = 2.
//   gated:    dv2 = -8/9
//             dv1 = 2 (-4/9 - 0.5 * 0.5625 * dv2) + 0.5 * 0 * dv2     = -3.5/9
//             dv0 = 2 (-4/9 - 0.5 * 0.375 * dv1) + 0.5 * 1 * dv1      = -8.4375/9
//             dL/dw = dv0 + dv1 + dv2 = -19.9375/9
//   detached: dv2 = -8/9, dv1 = -8/9, dv0 = -8/9 - 4/9; dL/dw = -28/9
// One Adam step (lr 0.01): m = 0.1 g, v = 0.001 g^2 -> w -= 0.01 * g / (|g| + 1e-8) = w + 0.01.
Network single_neuron() {
  Network net;
  net.arch = "single";
  net.time_steps = 3;
  net.input_shape = {1};
  net.num_classes = 1;
  net.layers = {Linear{1, 1, zero_weights({1, 1})}, Lif{0.5f, 0.5f}};
  net.weights(0).values = {0.375f};
  return net;
}

FrameSet single_sample() {
  FrameSet f;
  f.shape = {3, 1, 1, 1};
  const std::vector<std::uint16_t> x = {1, 1, 1};
  f.push_back(x, 0);
  return f;
}

TEST(TrainStep, GradientOfOneNeuronEqualsHandComputation) {
  const auto net = single_neuron();
  const auto data = single_sample();
  const std::vector<std::size_t> idx = {0};
  GradientOptions o;
  o.surrogate = Surrogate::Rectangular;
  const auto gated = compute_gradients(net, data, idx, o);
  EXPECT_DOUBLE_EQ(gated.loss, 4.0 / 9.0);
  EXPECT_EQ(gated.spike_counts, std::vector<std::int32_t>{1});
  EXPECT_NEAR(gated.weight[0][0], -19.9375 / 9.0, 1e-6);
  o.reset = ResetGradient::Detached;
  EXPECT_NEAR(compute_gradients(net, data, idx, o).weight[0][0], -28.0 / 9.0, 1e-6);
}

TEST(TrainStep, OneAdamStepEqualsHandComputation) {
  TrainOptions o;
  o.epochs = 1;
  o.batch_size = 1;
  o.adam.learning_rate = 0.01f;
  o.schedule = LrSchedule::Constant;
  o.gradient.surrogate = Surrogate::Rectangular;
  const auto r = train(single_neuron(), single_sample(), nullptr, o);
  const double g = -19.9375 / 9.0;
  EXPECT_NEAR(r.last.weights(0).values[0], 0.375 - 0.01 * g / (std::fabs(g) + 1e-8), 1e-7);
  ASSERT_EQ(r.history.size(), 1U);
  EXPECT_DOUBLE_EQ(r.history[0].loss, 4.0 / 9.0);
  EXPECT_DOUBLE_EQ(r.history[0].train_accuracy, 1.0);  // one class: always right
}

// Fan-ins 4 and 16 (bounds 1/2 and 1/4, geometric mean 1/sqrt(8)): factors sqrt(2) and 1/sqrt(2).
Network two_layer_net() {
  Network net;
  net.arch = "two";
  net.time_steps = 3;
  net.input_shape = {4};
  net.num_classes = 2;
  net.layers = {Linear{4, 16, zero_weights({16, 4})}, Lif{0.5f, 0.5f}, Linear{16, 2, zero_weights({2, 16})}, Lif{0.5f, 0.5f}};
  return net;
}

TEST(TrainStep, FanInLayerLrFactorsByHand) {
  const auto net = two_layer_net();
  const auto f = layer_lr_factors(net, LayerLr::FanIn);
  ASSERT_EQ(f.size(), 2U);
  EXPECT_NEAR(f[0], std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(f[1], 1.0 / std::sqrt(2.0), 1e-6);
  EXPECT_EQ(layer_lr_factors(net, LayerLr::Uniform), (std::vector<float>{1.0f, 1.0f}));
  EXPECT_EQ(layer_lr_factors(single_neuron(), LayerLr::FanIn), std::vector<float>{1.0f});  // one layer: its own mean
}

// The first Adam step moves every weight with a nonzero gradient by exactly its layer's lr.
TEST(TrainStep, FanInAdamStepMovesEachLayerByItsOwnRate) {
  Network net = two_layer_net();
  Gradients g;
  g.weight = {std::vector<float>(64, -1.0f), std::vector<float>(32, 2.0f)};
  AdamOptions o;
  o.layer_lr = LayerLr::FanIn;
  AdamState st;
  adam_step(net, st, g, o, 0.01f);
  for (const float w : net.weights(0).values) EXPECT_NEAR(w, 0.01 * std::sqrt(2.0), 1e-6);
  for (const float w : net.weights(1).values) EXPECT_NEAR(w, -0.01 / std::sqrt(2.0), 1e-6);
}

TEST(TrainGradient, CrossEntropyGradientMatchesSlowPathScaling) {
  // For CE, dL/drate = softmax(rate) - onehot; check the loss value by hand on the single neuron
  // with two classes where both outputs are the same neuron pattern.
  Network net = single_neuron();
  net.num_classes = 2;
  net.layers = {Linear{1, 2, zero_weights({2, 1})}, Lif{0.5f, 0.5f}};
  net.weights(0).values = {0.375f, 0.0f};  // output 0 rate 1/3, output 1 rate 0
  auto data = single_sample();
  data.labels[0] = 1;
  GradientOptions o;
  o.loss = Loss::CrossEntropy;
  o.surrogate = Surrogate::Rectangular;
  const std::vector<std::size_t> idx = {0};
  const auto g = compute_gradients(net, data, idx, o);
  const double p1 = 1.0 / (1.0 + std::exp(1.0 / 3.0));
  EXPECT_NEAR(g.loss, -std::log(p1), 1e-9);
  // Output neuron 0: dL/dr0 = p0 = 1 - p1; dL/ds[t] = p0 / 3 -> same BPTT as the hand case scaled.
  const double scale = (1.0 - p1) / 3.0 / (-4.0 / 9.0);
  EXPECT_NEAR(g.weight[0][0], scale * (-19.9375 / 9.0), 1e-6);
  EXPECT_EQ(g.weight[0][1], 0.0f);  // v = 0 never in the window
}

}  // namespace
}  // namespace snngx::snn
