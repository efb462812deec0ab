#pragma once
// Security evaluation of an SNNGX-encrypted model (spec: snngx-algorithm.md §4 "Random
// baseline", §5): what an attacker gets without the key, with part of it, by guessing, and by
// brute force. All experiments are deterministic for a seed (draws on one Rng, in the order the
// functions are called) and run full inference of the test frames with snn::infer.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <functional>
#include <optional>
#include <vector>

#include "snngx/crypto/xor_key.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/ga/flip_detector.hpp"
#include "snngx/ga/genetic.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::ga {

/// Accuracy (0..1) of `net` on `frames` (threads = 0: all hardware threads).
double test_accuracy(const snn::Network& net, const datasets::FrameSet& frames, int threads = 0);

/// The test samples of a frame file: all of them when limit is 0 or covers the file, else
/// `limit` drawn as select_subset(all, limit, 0, seed) (files are often sorted by class, so the
/// first N would be biased). Reads the labels and then only the chosen samples.
datasets::FrameSet read_test_samples(const std::filesystem::path& path, std::size_t limit, std::uint64_t seed);

/// The same samples for accuracy reports in bounded memory: a drawn subset (0 < limit < N) is
/// read and held (O(limit)); the whole file is streamed in batches on every evaluation
/// (O(batch)). accuracy() equals test_accuracy on read_test_samples(path, limit, seed).
class TestFrames {
 public:
  TestFrames(const std::filesystem::path& path, std::size_t limit, std::uint64_t seed);
  ~TestFrames();
  TestFrames(TestFrames&&) noexcept;
  TestFrames& operator=(TestFrames&&) noexcept;
  [[nodiscard]] std::size_t size() const;
  /// The frames fit `net` and every label is one of its classes, with snn::check_compatible's
  /// message (the whole file: its labels only are read).
  void check_compatible(const snn::Network& net) const;
  [[nodiscard]] double accuracy(const snn::Network& net, int threads = 0) const;

 private:
  std::filesystem::path path_;
  std::unique_ptr<datasets::FrameSource> source_;  // streamed mode
  std::optional<datasets::FrameSet> held_;         // drawn mode
};

struct Distribution {
  double fraction = 0.0;        // the x of the experiment (known key share or flipped-bit fraction)
  std::size_t bits = 0;         // bits flipped / restored per trial
  std::vector<double> accuracies;  // one per trial
  [[nodiscard]] double mean() const;
  [[nodiscard]] double min() const;
  [[nodiscard]] double max() const;
  [[nodiscard]] double stddev() const;
};

/// `count` distinct positions drawn uniformly from [0, n) (Floyd's algorithm on rng), sorted.
std::vector<std::uint64_t> sample_positions(std::uint64_t n, std::uint64_t count, Rng& rng);

using TrialProgress = std::function<void()>;  // called after every trial

/// Partial-key attack: for each fraction f, `trials` times, the attacker knows round(f*L) of the
/// key's L positions (uniform subset) and removes them from the encrypted model.
std::vector<Distribution> partial_key_attack(const snn::Network& encrypted, const crypto::XorKey& key,
                                             const datasets::FrameSet& test, const std::vector<double>& fractions, int trials,
                                             Rng& rng, int threads = 0, const TrialProgress& progress = {});

/// The key's bit count L flipped at random among the sign bits of the layers the key touches
/// (same layers, same per-layer counts), on the plain model: is the GA better than chance?
Distribution random_sign_flips(const snn::Network& plain, const crypto::XorKey& key, const datasets::FrameSet& test,
                               int trials, Rng& rng, int threads = 0, const TrialProgress& progress = {});

/// The paper's random baseline: a fraction of ALL weight bits of the whole model (sign and
/// magnitude) flipped uniformly at random, on the plain model.
Distribution random_bit_baseline(const snn::Network& plain, double fraction, const datasets::FrameSet& test, int trials,
                                 Rng& rng, int threads = 0, const TrialProgress& progress = {});

/// log2 C(n, k): the key space of L flipped bits among n candidate bits.
double log2_binomial(std::uint64_t n, std::uint64_t k);

/// The brute-force key space from the public facts: the key's bit count L and the layers it
/// touches (an attacker who knows that only sign bits are flipped tries those layers' sign bits),
/// or, knowing nothing, all of the model's weight bits.
struct KeySpace {
  std::uint64_t flipped_bits = 0;         // L
  std::uint64_t candidate_sign_bits = 0;  // sign bits of the layers the key touches
  std::uint64_t model_weight_bits = 0;
  double log2_sign_bits = 0.0;            // log2 C(candidate_sign_bits, L)
  double log2_all_bits = 0.0;             // log2 C(model_weight_bits, L)
};
KeySpace brute_force_key_space(const crypto::XorKey& key, std::uint64_t model_weight_bits);

/// Fine-tuning attack: the attacker trains the encrypted model (as a float network, starting
/// from its stored, encrypted weights) for `epochs` epochs on `data` (e.g. k samples per class)
/// with snn::fine_tune, and we measure the test accuracy of the result: the float network, and
/// re-quantized to the model's q with the same rule (what the attacker can load into the
/// accelerator).
struct FineTuneResult {
  double float_accuracy = 0.0, quantized_accuracy = 0.0;
  std::size_t samples = 0;
  int epochs = 0;
};
/// `only_layer`: train that weighted layer only (the encrypted one; its index is public in the
/// key header) and keep every other layer as stored.
FineTuneResult fine_tuning_attack(const snn::Network& encrypted, const datasets::FrameSet& data, const datasets::FrameSet& test,
                                  int epochs, float learning_rate, std::uint64_t seed, int threads = 0,
                                  std::optional<std::size_t> only_layer = std::nullopt);

/// Fine-tuning with the attacker's own learning-rate sweep. The attacker splits its labelled
/// data per class: the last floor(holdout * n_c) samples of class c (at most n_c - 1) are held
/// out, the rest trains. Every learning rate fine-tunes the encrypted model on the training part
/// (same seed, same epochs) and is scored by the held-out accuracy of the re-quantized result;
/// the highest wins (ties: the earlier in the list). The test set is only reported, never used to
/// choose. With one sample per class nothing can be held out: the lr is then chosen on the
/// training samples themselves (validation_is_training_data).
struct FineTuneSweepParams {
  std::vector<float> learning_rates;
  int epochs = 5;
  std::optional<std::size_t> only_layer;  // as fine_tuning_attack
  double holdout = 0.2;
  std::uint64_t seed = 1;
  int threads = 0;
};
struct FineTuneRun {
  float learning_rate = 0.0f;
  double validation_accuracy = 0.0;  // re-quantized model on the held-out part
  double float_accuracy = 0.0, quantized_accuracy = 0.0;  // test, reported only
  double seconds = 0.0;                                   // fine-tuning + validation, not the test inference
};
struct FineTuneSweepResult {
  std::vector<FineTuneRun> runs;  // in learning_rates order
  std::size_t chosen = 0;
  std::size_t train_samples = 0, validation_samples = 0;
  bool validation_is_training_data = false;
  int epochs = 0;
  [[nodiscard]] const FineTuneRun& best() const { return runs.at(chosen); }
};
/// The held-out split of FineTuneSweepParams: (training indices, held-out indices) of `data`.
std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_per_class(const datasets::FrameSet& data, double holdout);
FineTuneSweepResult fine_tuning_lr_sweep(const snn::Network& encrypted, const datasets::FrameSet& data, const datasets::FrameSet& test,
                                         const FineTuneSweepParams& params);

/// Key recovery by search: the attacker, holding the encrypted model and `data` (k labelled
/// samples per class), runs our own sensitivity search in the repairing direction
/// (SensitivityParams::restore) over the sign bits of `layer` with a budget of the key's public
/// bit count L, and loads the result. Reported: test accuracy of the repaired model, how many of
/// its flips are true key bits (share of the key found), and the attacker's cost.
struct KeyRecoveryResult {
  std::size_t samples = 0, flipped = 0, true_key_bits_found = 0, key_bits = 0;
  double accuracy = 0.0, seconds = 0.0;
  [[nodiscard]] double share_found() const { return key_bits ? static_cast<double>(true_key_bits_found) / static_cast<double>(key_bits) : 0.0; }
};
KeyRecoveryResult key_recovery_attack(const snn::Network& encrypted, const crypto::XorKey& key, std::size_t layer,
                                      const datasets::FrameSet& data, const datasets::FrameSet& test, int rounds = 10, int threads = 0);

/// Weight-statistics attack (flip_detector.hpp) on the key's one layer: each detector scores the
/// encrypted layer's weights, the true key (evaluation only) labels them; reported per detector:
/// ROC AUC, the ROC curve, and for each factor f the test accuracy after flipping back the top
/// round(f * L) scores (L = the key's public bit count) and how many of them were key bits.
struct DetectorGuess {
  double factor = 0.0;
  std::size_t guesses = 0, true_key_bits = 0;
  double accuracy = 0.0;
};
struct DetectorResult {
  FlipDetector detector{};
  double auc = 0.0;
  std::vector<std::pair<double, double>> roc;
  std::vector<DetectorGuess> guesses;
  double seconds = 0.0;  // scoring only (the attacker's cost)
};
std::vector<DetectorResult> weight_statistics_attack(const snn::Network& encrypted, const crypto::XorKey& key, std::size_t layer,
                                                     const datasets::FrameSet& test, const std::vector<double>& factors,
                                                     int threads = 0);

/// The one weighted layer a key touches (throws when it touches none or several).
std::size_t key_layer(const crypto::XorKey& key);

}  // namespace snngx::ga
