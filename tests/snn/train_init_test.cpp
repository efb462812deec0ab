// Data-driven initial scale (calibrate_initial_scale): every LIF layer fires near the target rate
// on the calibration batch, checked by an independent forward pass of the calibrated network.
#include <gtest/gtest.h>

#include <numeric>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/network.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::snn {
namespace {

std::vector<double> rates_on(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> batch) {
  const Gradients g = compute_gradients(net, data, batch);
  std::vector<double> rates;
  for (std::size_t j = 0; j < g.lif_spikes.size(); ++j)
    rates.push_back(g.lif_spikes[j] / (static_cast<double>(g.lif_neurons[j]) * static_cast<double>(batch.size()) * data.shape.t));
  return rates;
}

TEST(TrainInit, CalibratedMlpFiresNearTheTargetInEveryLayer) {
  Network net = make_arch("nmnist-mlp");
  init_weights(net, 3);
  const auto data = datasets::synth_frames({15, 2, 34, 34}, 8, 0.05, 10, 1);
  std::vector<std::size_t> batch(8);
  std::iota(batch.begin(), batch.end(), std::size_t{0});
  const Network before = net;
  const auto factors = calibrate_initial_scale(net, data, batch, 0.1);
  ASSERT_EQ(factors.size(), 2u);
  for (const double r : rates_on(net, data, batch)) EXPECT_NEAR(r, 0.1, 0.02);
  // Only scaled: every weight is its initial value times its layer's factor.
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t i = 0; i < net.weights(k).values.size(); i += 997)
      EXPECT_FLOAT_EQ(net.weights(k).values[i], static_cast<float>(static_cast<double>(before.weights(k).values[i]) * factors[k]));
}

TEST(TrainInit, RatesOutsideZeroToOneAreRefused) {
  Network net = make_arch("nmnist-mlp");
  const auto data = datasets::synth_frames({15, 2, 34, 34}, 2, 0.05, 10, 1);
  const std::vector<std::size_t> batch{0, 1};
  EXPECT_THROW(calibrate_initial_scale(net, data, batch, 0.0), std::invalid_argument);
  EXPECT_THROW(calibrate_initial_scale(net, data, batch, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::snn
