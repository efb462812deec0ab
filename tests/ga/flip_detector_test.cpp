// Weight-statistics attack (flip_detector.hpp, weight_statistics_attack) and the fine-tuning
// attack's learning-rate sweep and encrypted-layer-only training (attack.hpp): ROC AUC and curve
// by hand (ties included), each detector's scores by hand on a tiny layer, a planted layer the
// detectors must separate, and the attacks replayed independently on tiny networks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "snngx/ga/attack.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/ga/flip_detector.hpp"
#include "snngx/keyed/model_key.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"
#include "snngx/snn/train.hpp"
#include "test_nets.hpp"

namespace snngx::ga {
namespace {

TEST(RocAuc, ByHandWithTies) {
  // Pairs (positive, negative): 0.9>0.5, 0.9>0.1, 0.5=0.5 (1/2), 0.5>0.1 -> 3.5 / 4.
  const std::vector<double> s{0.9, 0.5, 0.5, 0.1};
  EXPECT_DOUBLE_EQ(roc_auc(s, {true, true, false, false}), 0.875);
  EXPECT_DOUBLE_EQ(roc_auc(s, {false, false, true, true}), 0.125);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{2, 2, 2}, {true, false, false}), 0.5);  // all tied
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{3, 1, 2}, {true, false, false}), 1.0);
  EXPECT_THROW(roc_auc(s, {true, true, true, true}), std::invalid_argument);
  EXPECT_THROW(roc_auc(s, {true, false}), std::invalid_argument);
}

TEST(RocCurve, ByHandWithATiedBlockAndItsArea) {
  const std::vector<double> s{0.9, 0.5, 0.5, 0.1};
  const std::vector<bool> pos{true, true, false, false};
  const auto c = roc_curve(s, pos);
  const std::vector<std::pair<double, double>> expected{{0, 0}, {0, 0.5}, {0.5, 1}, {1, 1}};
  EXPECT_EQ(c, expected);
  double area = 0.0;  // trapezoids: the tied block's diagonal is what gives ties 1/2
  for (std::size_t i = 1; i < c.size(); ++i) area += (c[i].first - c[i - 1].first) * (c[i].second + c[i - 1].second) / 2;
  EXPECT_DOUBLE_EQ(area, roc_auc(s, pos));
  EXPECT_DOUBLE_EQ(tpr_at(c, 0.0), 0.5);  // the last point at fpr 0
  EXPECT_DOUBLE_EQ(tpr_at(c, 0.25), 0.75);
  EXPECT_DOUBLE_EQ(tpr_at(c, 1.0), 1.0);
}

TEST(TopScores, HighestFirstTiesToTheLowerIndex) {
  const std::vector<double> s{1, 3, 3, 2};
  EXPECT_EQ(top_scores(s, 3), (std::vector<std::size_t>{1, 2, 3}));
  EXPECT_EQ(top_scores(s, 9).size(), 4u);
  EXPECT_TRUE(top_scores(s, 0).empty());
}

// The 2 x 3 layer [[4, -1, -8], [2, 0, -3]] (signed magnitudes).
const std::vector<int> kTiny{4, -1, -8, 2, 0, -3};

TEST(FlipDetector, NegativeMagnitudeByHand) {
  const auto s = flip_scores(kTiny, 2, 3, FlipDetector::NegativeMagnitude);
  const double rms0 = std::sqrt((16.0 + 1 + 64) / 3), rms1 = std::sqrt((4.0 + 0 + 9) / 3);
  const std::vector<double> expected{-4 / rms0, 1 / rms0, 8 / rms0, -2 / rms1, 0.0, 3 / rms1};
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_DOUBLE_EQ(s[i], expected[i]) << i;
}

TEST(FlipDetector, SignTailByHand) {
  const auto s = flip_scores(kTiny, 2, 3, FlipDetector::SignTail);
  // Row 0: positives {4}, negatives {1, 8}. 4: same tail 1/1, opposite (#{8} + 1) / (2 + 1).
  // -1: same 2/2, opposite (#{4} + 1) / (1 + 1) = 1. -8: same 1/2, opposite (0 + 1) / 2.
  // Row 1: positives {2}, negatives {3}; the zero counts for neither and scores 0.
  // 2: same 1, opposite (#{3} + 1) / 2 = 1. -3: same 1, opposite (0 + 1) / 2.
  const std::vector<double> expected{std::log(2.0 / 3.0), 0.0, 0.0, 0.0, 0.0, std::log(0.5)};
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(s[i], expected[i], 1e-12) << i;
}

TEST(FlipDetector, ColumnOutlierByHand) {
  // Two rows: the "others" of a weight are one value, their sd 0 -> divided by 1.
  const auto s = flip_scores(kTiny, 2, 3, FlipDetector::ColumnOutlier);
  const std::vector<double> expected{-(4.0 - 2), -(-1.0 - 0), -(-8.0 + 3), -(2.0 - 4), 0.0, -(-3.0 + 8)};
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_DOUBLE_EQ(s[i], expected[i]) << i;
  // One column of three: others {3, -5}: mean -1, sd 4; {1, -5}: mean -2, sd 3; {1, 3}: mean 2, sd 1.
  const auto c = flip_scores(std::vector<int>{1, 3, -5}, 3, 1, FlipDetector::ColumnOutlier);
  EXPECT_DOUBLE_EQ(c[0], -0.5);
  EXPECT_DOUBLE_EQ(c[1], -5.0 / 3.0);
  EXPECT_DOUBLE_EQ(c[2], 7.0);
  EXPECT_THROW(flip_scores(kTiny, 4, 2, FlipDetector::SignTail), std::invalid_argument);
}

TEST(FlipDetector, SeparatesPlantedFlipsOfLargePositiveWeights) {
  // Each row: 30 % large positives (40..100), 70 % small negatives (-1..-20), the structure of a
  // trained output layer that the searches exploit; 5 % of the positives get their sign flipped.
  Rng rng(5);
  const std::size_t rows = 20, cols = 200;
  std::vector<int> m(rows * cols);
  std::vector<bool> flipped(m.size(), false);
  for (std::size_t k = 0; k < m.size(); ++k) {
    const bool positive = rng.uniform() < 0.3;
    m[k] = positive ? 40 + static_cast<int>(rng.below(61)) : -1 - static_cast<int>(rng.below(20));
    if (positive && rng.uniform() < 0.05) m[k] = -m[k], flipped[k] = true;
  }
  ASSERT_GT(std::count(flipped.begin(), flipped.end(), true), 20);
  EXPECT_GT(roc_auc(flip_scores(m, rows, cols, FlipDetector::SignTail), flipped), 0.9);
  EXPECT_GT(roc_auc(flip_scores(m, rows, cols, FlipDetector::NegativeMagnitude), flipped), 0.9);
  // No planted structure (signs and magnitudes independent): nothing to find.
  Rng noise(6);
  for (auto& v : m) v = (noise.uniform() < 0.5 ? -1 : 1) * (1 + static_cast<int>(noise.below(100)));
  EXPECT_NEAR(roc_auc(flip_scores(m, rows, cols, FlipDetector::SignTail), flipped), 0.5, 0.1);
}

TEST(WeightStatisticsAttack, ReplaysScoresAucAndTopGuessesIndependently) {
  const auto plain = testing::tiny_mlp(31);
  const auto f = testing::frames_for(plain, 30, 31);
  const auto space = SearchSpace::layer(plain, 1);
  const auto key = make_key(plain, space, testing::random_flips(space.size(), 0.2, 31));
  const auto encrypted = keyed::encrypt(plain, key);
  const std::size_t L = key.flipped_bits();
  const auto results = weight_statistics_attack(encrypted, key, 1, f, {0.0, 1.0, 2.0}, 1);
  ASSERT_EQ(results.size(), all_flip_detectors().size());
  const auto& w = encrypted.weights(1);
  std::vector<int> m;
  for (const auto b : w.quant->weight_bits) m.push_back(snn::signed_magnitude(b));
  std::vector<bool> truth(w.count(), false);
  for (const auto p : key.layers[1].positions) truth[p / 8] = true;
  for (const auto& r : results) {
    const auto scores = flip_scores(m, 4, 16, r.detector);
    EXPECT_DOUBLE_EQ(r.auc, roc_auc(scores, truth)) << to_string(r.detector);
    ASSERT_EQ(r.guesses.size(), 3u);
    EXPECT_EQ(r.guesses[0].guesses, 0u);
    EXPECT_DOUBLE_EQ(r.guesses[0].accuracy, test_accuracy(encrypted, f, 1));
    EXPECT_EQ(r.guesses[2].guesses, 2 * L);
    for (std::size_t g = 1; g < 3; ++g) {
      snn::Network repaired = encrypted;
      std::size_t hits = 0;
      for (const auto k : top_scores(scores, r.guesses[g].guesses)) {
        snn::flip_bit(repaired, 1, k, 0);
        hits += truth[k];
      }
      EXPECT_EQ(r.guesses[g].true_key_bits, hits);
      EXPECT_DOUBLE_EQ(r.guesses[g].accuracy, test_accuracy(repaired, f, 1));
    }
  }
  EXPECT_THROW(weight_statistics_attack(encrypted, key, 0, f, {1.0}, 1), std::invalid_argument);  // no key bits there
}

TEST(KeyLayer, TheOneLayerAKeyTouches) {
  const auto plain = testing::tiny_mlp(3);
  auto key = make_key(plain, SearchSpace::layer(plain, 1), testing::random_flips(64, 0.1, 3));
  EXPECT_EQ(key_layer(key), 1u);
  key.layers[0].positions = {0};
  EXPECT_THROW(key_layer(key), std::invalid_argument);
  key.layers[0].positions.clear();
  key.layers[1].positions.clear();
  EXPECT_THROW(key_layer(key), std::invalid_argument);
}

TEST(FineTuneSweep, SplitPerClassHoldsOutTheLastSamplesOfEachClass) {
  datasets::FrameSet f = testing::frames_for(testing::tiny_mlp(1), 10, 1);
  f.labels = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};  // five per class
  const auto [train, held] = split_per_class(f, 0.2);
  EXPECT_EQ(train, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(held, (std::vector<std::size_t>{8, 9}));
  EXPECT_TRUE(split_per_class(f, 0.0).second.empty());
  EXPECT_EQ(split_per_class(f, 0.99).second.size(), 8u);  // at most n_c - 1: one per class keeps training
  f.labels = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1};  // classes 2 and 3 have two samples: floor(0.4) = 0 held out
  EXPECT_EQ(split_per_class(f, 0.2).second, (std::vector<std::size_t>{}));
  EXPECT_THROW(split_per_class(f, 1.0), std::invalid_argument);
}

TEST(FineTuneSweep, ChoosesTheLearningRateOnTheHeldOutSamplesAndReportsTest) {
  const auto plain = testing::tiny_mlp(41);
  const auto data = testing::frames_for(plain, 40, 41);
  const auto test = testing::frames_for(plain, 30, 42);
  const auto space = SearchSpace::layer(plain, 1);
  const auto encrypted = keyed::encrypt(plain, make_key(plain, space, testing::random_flips(space.size(), 0.3, 41)));
  FineTuneSweepParams p;
  p.learning_rates = {1e-4f, 3e-2f, 1e-2f};
  p.epochs = 2;
  p.seed = 4;
  p.threads = 1;
  const auto r = fine_tuning_lr_sweep(encrypted, data, test, p);
  const auto [train_idx, held_idx] = split_per_class(data, 0.2);
  ASSERT_FALSE(held_idx.empty());
  EXPECT_EQ(r.train_samples, train_idx.size());
  EXPECT_EQ(r.validation_samples, held_idx.size());
  EXPECT_FALSE(r.validation_is_training_data);
  ASSERT_EQ(r.runs.size(), 3u);
  std::size_t best = 0;
  std::vector<double> held_acc;
  for (std::size_t i = 0; i < 3; ++i) {  // replayed with the snn library directly
    const auto tuned = snn::fine_tune(encrypted, data.select(train_idx), 2, p.learning_rates[i], 4, 1);
    const auto deployed = snn::quantize(tuned, 8, snn::QuantRule::MaxAbs);
    held_acc.push_back(test_accuracy(deployed, data.select(held_idx), 1));
    EXPECT_DOUBLE_EQ(r.runs[i].validation_accuracy, held_acc[i]);
    EXPECT_DOUBLE_EQ(r.runs[i].quantized_accuracy, test_accuracy(deployed, test, 1));
    EXPECT_DOUBLE_EQ(r.runs[i].float_accuracy, test_accuracy(tuned, test, 1));
    if (held_acc[i] > held_acc[best]) best = i;
  }
  EXPECT_EQ(r.chosen, best);
  // The choice is not vacuous: the learning rates differ on the held-out samples.
  EXPECT_NE(*std::min_element(held_acc.begin(), held_acc.end()), *std::max_element(held_acc.begin(), held_acc.end()));
  p.learning_rates = {};
  EXPECT_THROW(fine_tuning_lr_sweep(encrypted, data, test, p), std::invalid_argument);
}

TEST(FineTuneSweep, OneSamplePerClassChoosesOnTheTrainingSamples) {
  const auto plain = testing::tiny_mlp(43);
  auto data = testing::frames_for(plain, 4, 43);
  data.labels = {0, 1, 2, 3};
  FineTuneSweepParams p;
  p.learning_rates = {1e-3f};
  p.epochs = 1;
  p.threads = 1;
  const auto r = fine_tuning_lr_sweep(plain, data, data, p);
  EXPECT_TRUE(r.validation_is_training_data);
  EXPECT_EQ(r.train_samples, 4u);
  EXPECT_EQ(r.validation_samples, 4u);
}

TEST(FineTuneAttack, EncryptedLayerOnlyTrainsThatLayer) {
  const auto plain = testing::tiny_mlp(47);
  const auto data = testing::frames_for(plain, 24, 47);
  const auto space = SearchSpace::layer(plain, 1);
  const auto encrypted = keyed::encrypt(plain, make_key(plain, space, testing::random_flips(space.size(), 0.3, 47)));
  const auto r = fine_tuning_attack(encrypted, data, data, 2, 1e-2f, 5, 1, 1);
  const auto tuned = snn::fine_tune(encrypted, data, 2, 1e-2f, 5, 1, 32, {true, false});
  EXPECT_EQ(tuned.weights(0).values, encrypted.weights(0).values);
  EXPECT_DOUBLE_EQ(r.float_accuracy, test_accuracy(tuned, data, 1));
  EXPECT_THROW(fine_tuning_attack(encrypted, data, data, 1, 1e-2f, 5, 1, 2), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::ga
