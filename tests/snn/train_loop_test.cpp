// Training loop (train.hpp): learns a separable task, same bits on any thread count, resume from
// a checkpoint equals an uninterrupted run, early stop and best-on-test, fine_tune.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"
#include "snngx/snn/train.hpp"
#include "temp_dir.hpp"

namespace snngx::snn {
namespace {

using datasets::FrameSet;

Weights zeros(std::vector<int> shape) {
  Weights w;
  w.shape = shape;
  w.values.assign(numel(shape), 0.0f);
  return w;
}

Network small_mlp() {
  Network net;
  net.arch = "small-mlp";
  net.time_steps = 8;
  net.input_shape = {2, 3, 3};
  net.num_classes = 3;
  net.layers = {Flatten{}, Linear{18, 16, zeros({16, 18})}, Lif{}, Linear{16, 3, zeros({3, 16})}, Lif{}};
  init_weights(net, 1);
  return net;
}

Network small_csnn() {
  Network net;
  net.arch = "small-csnn";
  net.time_steps = 6;
  net.input_shape = {2, 6, 6};
  net.num_classes = 3;
  net.layers = {Conv2d{2, 4, {3, 3}, {1, 1}, {1, 1}, zeros({4, 2, 3, 3})}, Lif{}, MaxPool2d{}, Flatten{},
                Linear{36, 3, zeros({3, 36})}, Lif{}};
  init_weights(net, 2);
  return net;
}

// Class k lights up its own third of the cells often and the rest rarely.
FrameSet separable(const Network& net, std::size_t n, std::uint64_t seed) {
  const datasets::FrameShape shape{net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]};
  FrameSet f;
  f.shape = shape;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t step = shape.step_size();
  std::vector<std::uint16_t> sample(shape.sample_size());
  for (std::size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 3);
    for (std::size_t j = 0; j < sample.size(); ++j) {
      const std::size_t cell = j % step;
      const bool own = static_cast<int>(cell * 3 / step) == label;
      sample[j] = u(rng) < (own ? 0.5 : 0.05) ? 1 : 0;
    }
    f.push_back(sample, label);
  }
  return f;
}

bool same_weights(const Network& a, const Network& b) {
  if (a.num_weighted() != b.num_weighted()) return false;
  for (std::size_t k = 0; k < a.num_weighted(); ++k)
    if (a.weights(k).values != b.weights(k).values) return false;
  return true;
}

TEST(Train, LearnsASeparableTask) {
  const auto net = small_mlp();
  const auto train_set = separable(net, 90, 1), test_set = separable(net, 60, 2);
  const double before = infer(net, test_set).accuracy();
  TrainOptions o;
  o.epochs = 15;
  o.batch_size = 10;
  o.adam.learning_rate = 0.01f;
  const auto r = train(net, train_set, &test_set, o);
  EXPECT_GE(r.best_test_accuracy, 0.95);
  EXPECT_LT(before, 0.8);
  EXPECT_LT(r.history.back().loss, r.history.front().loss);
  EXPECT_DOUBLE_EQ(infer(r.best, test_set).accuracy(), r.best_test_accuracy);
  EXPECT_EQ(r.history.size(), 15U);
}

TEST(Train, SameBitsOnOneAndTwoThreads) {
  const auto net = small_csnn();
  const auto data = separable(net, 30, 3);
  TrainOptions o;
  o.epochs = 2;
  o.batch_size = 8;
  o.gradient.chunk = 2;
  o.gradient.threads = 1;
  const auto one = train(net, data, nullptr, o);
  o.gradient.threads = 2;
  const auto two = train(net, data, nullptr, o);
  EXPECT_TRUE(same_weights(one.last, two.last));
  EXPECT_FALSE(same_weights(one.last, net));
  ASSERT_EQ(one.history.size(), two.history.size());
  for (std::size_t e = 0; e < one.history.size(); ++e) EXPECT_EQ(one.history[e].loss, two.history[e].loss);
}

TEST(Train, ResumeFromCheckpointEqualsAnUninterruptedRun) {
  const testing::TempDir dir;
  const auto net = small_mlp();
  const auto train_set = separable(net, 40, 4), test_set = separable(net, 21, 5);
  TrainOptions o;
  o.epochs = 3;
  o.batch_size = 8;
  o.seed = 9;
  const auto straight = train(net, train_set, &test_set, o);

  // The same run, killed after epoch 2 (the checkpoint is written before on_epoch is called).
  o.checkpoint = dir / "run.ckpt.h5";
  o.on_epoch = [](const EpochStats& e) {
    if (e.epoch == 2) throw std::runtime_error("killed");
  };
  EXPECT_THROW(train(net, train_set, &test_set, o), std::runtime_error);
  const auto ckpt = load_checkpoint(o.checkpoint);
  EXPECT_EQ(ckpt.epoch, 2);
  EXPECT_EQ(ckpt.history.size(), 2U);
  EXPECT_TRUE(same_weights(load_model(o.checkpoint), ckpt.net));  // also a loadable model
  o.on_epoch = nullptr;
  o.resume = true;
  const auto resumed = train(net, train_set, &test_set, o);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_TRUE(same_weights(resumed.last, straight.last));
  EXPECT_TRUE(same_weights(resumed.best, straight.best));
  EXPECT_EQ(resumed.best_epoch, straight.best_epoch);
  ASSERT_EQ(resumed.history.size(), 3U);
  for (std::size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(resumed.history[e].loss, straight.history[e].loss);
    EXPECT_EQ(resumed.history[e].test_accuracy, straight.history[e].test_accuracy);
  }
}

TEST(Train, EarlyStopKeepsTheBestEpoch) {
  const auto net = small_mlp();
  const auto train_set = separable(net, 30, 6), test_set = separable(net, 30, 7);
  TrainOptions o;
  o.epochs = 20;
  o.batch_size = 10;
  o.adam.learning_rate = 1e-9f;  // nothing improves after the first epoch
  o.patience = 2;
  const auto r = train(net, train_set, &test_set, o);
  EXPECT_TRUE(r.stopped_early);
  ASSERT_EQ(r.history.size(), 3U);  // epoch 1 (best) + 2 without improvement
  EXPECT_EQ(r.best_epoch, 1);
  EXPECT_TRUE(r.history[0].best);
  EXPECT_FALSE(r.history[1].best);
  o.epochs = 1;
  o.patience = 0;
  EXPECT_TRUE(same_weights(r.best, train(net, train_set, &test_set, o).last));
}

TEST(Train, FineTuneTrainsAQuantizedNetworkAsFloat) {
  const auto net = quantize(small_mlp(), 8, QuantRule::MaxAbs);
  const auto data = separable(net, 30, 8);
  const auto tuned = fine_tune(net, data, 2, 0.01f);
  EXPECT_EQ(tuned.state, ModelState::Float);
  EXPECT_FALSE(tuned.weights(0).quant.has_value());
  EXPECT_FALSE(same_weights(tuned, net));
  validate(tuned);
}

TEST(Train, FineTuneLeavesFrozenLayersExactlyAsStored) {
  const auto net = quantize(small_mlp(), 8, QuantRule::MaxAbs);
  const auto data = separable(net, 30, 8);
  const auto everything = fine_tune(net, data, 2, 0.01f, 3);
  const auto last_only = fine_tune(net, data, 2, 0.01f, 3, 0, 32, {true, false});
  EXPECT_EQ(last_only.weights(0).values, net.weights(0).values);      // frozen: the stored values, bit for bit
  EXPECT_NE(last_only.weights(1).values, net.weights(1).values);      // trained
  EXPECT_NE(everything.weights(0).values, net.weights(0).values);     // without freezing it moves
  // With layer 0 frozen, layer 1 sees the stored layer 0 throughout: not the unfrozen run's layer 1.
  EXPECT_NE(last_only.weights(1).values, everything.weights(1).values);
}

TEST(Train, RejectsFramesOfTheWrongShape) {
  const auto net = small_mlp();
  const auto data = datasets::synth_frames({8, 2, 4, 4}, 4, 0.1, 3, 1);
  EXPECT_THROW(train(net, data, nullptr, {}), std::invalid_argument);
}

// With a zero learning rate the weights never change, so an epoch's diagnostics must equal those
// of one forward pass over the whole training set: firing rate per LIF layer = spikes / (neurons
// x samples x T), silent outputs = output neurons with no spike on any sample.
TEST(Train, EpochDiagnosticsEqualAForwardPassOverTheTrainingSet) {
  for (Network net : {small_mlp(), small_csnn()}) {
    const auto data = separable(net, 24, 10);
    TrainOptions o;
    o.epochs = 1;
    o.batch_size = 5;
    o.adam.learning_rate = 0.0f;
    const auto r = train(net, data, nullptr, o);
    ASSERT_EQ(r.history.size(), 1U);
    std::vector<std::size_t> all(data.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    const auto g = compute_gradients(net, data, all);
    const auto& e = r.history[0];
    ASSERT_EQ(e.firing_rate.size(), 2U) << net.arch;
    for (std::size_t k = 0; k < 2; ++k)
      EXPECT_NEAR(e.firing_rate[k], g.lif_spikes[k] / (static_cast<double>(g.lif_neurons[k]) * data.size() * net.time_steps), 1e-12);
    EXPECT_GT(e.firing_rate[0], 0.0);
    int silent = 0;
    for (int k = 0; k < net.num_classes; ++k) {
      int total = 0;
      for (std::size_t b = 0; b < data.size(); ++b) total += g.spike_counts[b * static_cast<std::size_t>(net.num_classes) + static_cast<std::size_t>(k)];
      silent += total == 0;
    }
    EXPECT_EQ(e.silent_outputs, silent) << net.arch;
  }
}

TEST(Train, SilentOutputLayerIsCountedAndWarnedAbout) {
  Network net = small_mlp();
  for (float& w : net.weights(1).values) w = -std::fabs(w);  // no output current above 0
  const auto data = separable(net, 12, 11);
  TrainOptions o;
  o.epochs = 1;
  o.adam.learning_rate = 0.0f;
  const auto r = train(net, data, nullptr, o);
  ASSERT_EQ(r.history.size(), 1U);
  EXPECT_EQ(r.history[0].silent_outputs, 3);
  EXPECT_EQ(r.history[0].firing_rate.back(), 0.0);
  const auto w = training_warnings(r.history, 3);
  ASSERT_EQ(w.size(), 2U);  // silent, and (every prediction class 0 of 3 balanced classes) at chance
  EXPECT_NE(w[0].find("silent"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("epoch 1"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("chance"), std::string::npos) << w[1];
}

TEST(Train, WarningsByHand) {
  const auto epoch = [](int n, double train, double test, int silent) {
    EpochStats e;
    e.epoch = n;
    e.train_accuracy = train;
    e.test_accuracy = test;
    e.silent_outputs = silent;
    return e;
  };
  // 10 classes: chance 10 %, "at chance" up to 15 %.
  EXPECT_TRUE(training_warnings({epoch(1, 0.5, 0.9, 0)}, 10).empty());
  EXPECT_TRUE(training_warnings({epoch(1, 0.1, 0.151, 0)}, 10).empty());
  const auto at_chance = training_warnings({epoch(1, 0.9, 0.10, 0), epoch(2, 0.9, 0.15, 2)}, 10);  // the test accuracy counts
  ASSERT_EQ(at_chance.size(), 1U);
  EXPECT_NE(at_chance[0].find("test accuracy 15.00 %"), std::string::npos) << at_chance[0];
  EXPECT_NE(at_chance[0].find("after 2 epochs"), std::string::npos) << at_chance[0];
  const auto untested = training_warnings({epoch(1, 0.12, -1.0, 0)}, 10);  // no test set: the training accuracy
  ASSERT_EQ(untested.size(), 1U);
  EXPECT_NE(untested[0].find("training accuracy 12.00 %"), std::string::npos) << untested[0];
  const auto silent = training_warnings({epoch(1, 0.5, 0.5, 10), epoch(2, 0.5, 0.6, 3), epoch(3, 0.5, 0.6, 10)}, 10);
  ASSERT_EQ(silent.size(), 1U);
  EXPECT_NE(silent[0].find("epochs 1, 3"), std::string::npos) << silent[0];
  EXPECT_TRUE(training_warnings({}, 10).empty());
}

TEST(Checkpoint, KeepsTheDiagnostics) {
  const testing::TempDir dir;
  const auto net = small_csnn();
  const auto data = separable(net, 12, 12);
  TrainOptions o;
  o.epochs = 2;
  o.checkpoint = dir / "d.ckpt.h5";
  const auto r = train(net, data, nullptr, o);
  const auto c = load_checkpoint(o.checkpoint);
  ASSERT_EQ(c.history.size(), 2U);
  for (std::size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(c.history[e].firing_rate, r.history[e].firing_rate);
    EXPECT_EQ(c.history[e].silent_outputs, r.history[e].silent_outputs);
    EXPECT_EQ(c.history[e].firing_rate.size(), 2U);
  }
}

TEST(Checkpoint, RefusesAPlainModelFile) {
  const testing::TempDir dir;
  save_model(dir / "m.snn.h5", small_mlp());
  try {
    load_checkpoint(dir / "m.snn.h5");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/train"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace snngx::snn
