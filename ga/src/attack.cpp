#include "snngx/ga/attack.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_set>

#include "snngx/ga/fitness.hpp"
#include "snngx/ga/sensitivity.hpp"
#include "snngx/keyed/model_key.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::ga {

double test_accuracy(const snn::Network& net, const datasets::FrameSet& frames, int threads) {
  snn::InferenceOptions o;
  o.threads = threads;
  return snn::infer(net, frames, o).accuracy();
}

datasets::FrameSet read_test_samples(const std::filesystem::path& path, std::size_t limit, std::uint64_t seed) {
  datasets::FrameSource source(path);
  if (source.size() == 0) throw std::runtime_error(path.string() + ": holds no samples");  // as read_frames
  if (limit == 0 || limit >= source.size()) return source.read_dense(0, source.size());
  return read_subset(source, limit, 0, seed).frames;
}

TestFrames::TestFrames(const std::filesystem::path& path, std::size_t limit, std::uint64_t seed) : path_(path) {
  auto source = std::make_unique<datasets::FrameSource>(path);
  if (source->size() == 0) throw std::runtime_error(path.string() + ": holds no samples");  // as read_frames
  if (limit == 0 || limit >= source->size()) source_ = std::move(source);
  else held_ = read_subset(*source, limit, 0, seed).frames;
}
TestFrames::~TestFrames() = default;
TestFrames::TestFrames(TestFrames&&) noexcept = default;
TestFrames& TestFrames::operator=(TestFrames&&) noexcept = default;

std::size_t TestFrames::size() const { return held_ ? held_->size() : source_->size(); }

void TestFrames::check_compatible(const snn::Network& net) const {
  if (held_) return snn::check_compatible(net, *held_, path_.string());
  snn::check_compatible(net, source_->meta().shape, path_.string());
  snn::check_labels(net, source_->read_labels(), path_.string());
}

double TestFrames::accuracy(const snn::Network& net, int threads) const {
  if (held_) return test_accuracy(net, *held_, threads);
  snn::InferenceOptions o;
  o.threads = threads;
  return snn::infer(snn::Engine(net, o.engine), *source_, o).accuracy();
}

double Distribution::mean() const {
  return accuracies.empty() ? 0.0 : std::accumulate(accuracies.begin(), accuracies.end(), 0.0) / static_cast<double>(accuracies.size());
}
double Distribution::min() const { return accuracies.empty() ? 0.0 : *std::min_element(accuracies.begin(), accuracies.end()); }
double Distribution::max() const { return accuracies.empty() ? 0.0 : *std::max_element(accuracies.begin(), accuracies.end()); }
double Distribution::stddev() const {
  if (accuracies.size() < 2) return 0.0;
  const double m = mean();
  double s = 0.0;
  for (const double a : accuracies) s += (a - m) * (a - m);
  return std::sqrt(s / static_cast<double>(accuracies.size() - 1));
}

std::vector<std::uint64_t> sample_positions(std::uint64_t n, std::uint64_t count, Rng& rng) {
  if (count > n) throw std::invalid_argument("cannot draw " + std::to_string(count) + " distinct positions out of " + std::to_string(n));
  // Floyd: for j = n-count .. n-1, t = below(j+1); take t unless taken, else j.
  std::unordered_set<std::uint64_t> taken;
  taken.reserve(static_cast<std::size_t>(count) * 2);
  for (std::uint64_t j = n - count; j < n; ++j) {
    const std::uint64_t t = rng.below(j + 1);
    if (!taken.insert(t).second) taken.insert(j);
  }
  std::vector<std::uint64_t> out(taken.begin(), taken.end());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

/// A key of the same layer layout as `like` but without positions.
crypto::XorKey empty_like(const snn::Network& net) {
  crypto::XorKey k;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) {
    const auto& w = net.weights(l);
    k.layers.push_back({static_cast<std::uint32_t>(l), w.quant->bits, w.count() * static_cast<std::uint64_t>(w.quant->bits), {}});
  }
  return k;
}

double accuracy_with(const snn::Network& base, const crypto::XorKey& flips, const datasets::FrameSet& test, int threads) {
  snn::Network net = base;
  keyed::xor_into(net, flips);
  return test_accuracy(net, test, threads);
}

}  // namespace

std::vector<Distribution> partial_key_attack(const snn::Network& encrypted, const crypto::XorKey& key,
                                             const datasets::FrameSet& test, const std::vector<double>& fractions, int trials,
                                             Rng& rng, int threads, const TrialProgress& progress) {
  // Flatten the key into (layer, position) pairs so a known subset can be drawn over all of it.
  std::vector<std::pair<std::size_t, std::uint64_t>> all;
  for (std::size_t l = 0; l < key.layers.size(); ++l)
    for (const auto p : key.layers[l].positions) all.emplace_back(l, p);
  std::vector<Distribution> out;
  for (const double f : fractions) {
    if (!(f >= 0.0 && f <= 1.0)) throw std::invalid_argument("known key fraction must be in [0, 1]");
    Distribution d;
    d.fraction = f;
    d.bits = static_cast<std::size_t>(std::llround(f * static_cast<double>(all.size())));
    for (int t = 0; t < trials; ++t) {
      crypto::XorKey known = key;
      for (auto& lk : known.layers) lk.positions.clear();
      for (const auto i : sample_positions(all.size(), d.bits, rng)) known.layers[all[i].first].positions.push_back(all[i].second);
      for (auto& lk : known.layers) std::sort(lk.positions.begin(), lk.positions.end());
      d.accuracies.push_back(accuracy_with(encrypted, known, test, threads));
      if (progress) progress();
    }
    out.push_back(std::move(d));
  }
  return out;
}

Distribution random_sign_flips(const snn::Network& plain, const crypto::XorKey& key, const datasets::FrameSet& test, int trials,
                               Rng& rng, int threads, const TrialProgress& progress) {
  Distribution d;
  d.bits = static_cast<std::size_t>(key.flipped_bits());
  d.fraction = key.total_bits() ? static_cast<double>(d.bits) / static_cast<double>(key.total_bits()) : 0.0;
  for (int t = 0; t < trials; ++t) {
    crypto::XorKey flips = empty_like(plain);
    for (const auto& lk : key.layers) {
      if (lk.positions.empty()) continue;
      const auto q = static_cast<std::uint64_t>(lk.bits_per_weight);
      for (const auto k : sample_positions(lk.total_bits / q, lk.positions.size(), rng)) flips.layers.at(lk.layer).positions.push_back(k * q);
    }
    d.accuracies.push_back(accuracy_with(plain, flips, test, threads));
    if (progress) progress();
  }
  return d;
}

Distribution random_bit_baseline(const snn::Network& plain, double fraction, const datasets::FrameSet& test, int trials, Rng& rng,
                                 int threads, const TrialProgress& progress) {
  if (!(fraction >= 0.0 && fraction <= 1.0)) throw std::invalid_argument("baseline fraction must be in [0, 1]");
  const crypto::XorKey layout = empty_like(plain);
  std::vector<std::uint64_t> starts;  // first flat bit of each layer in the model-wide index
  std::uint64_t total = 0;
  for (const auto& lk : layout.layers) {
    starts.push_back(total);
    total += lk.total_bits;
  }
  Distribution d;
  d.fraction = fraction;
  d.bits = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(total)));
  for (int t = 0; t < trials; ++t) {
    crypto::XorKey flips = layout;
    for (const auto p : sample_positions(total, d.bits, rng)) {
      const auto l = static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), p) - starts.begin() - 1);
      flips.layers[l].positions.push_back(p - starts[l]);
    }
    d.accuracies.push_back(accuracy_with(plain, flips, test, threads));
    if (progress) progress();
  }
  return d;
}

double log2_binomial(std::uint64_t n, std::uint64_t k) {
  if (k > n) return -INFINITY;
  const auto N = static_cast<double>(n), K = static_cast<double>(k);
  return (std::lgamma(N + 1) - std::lgamma(K + 1) - std::lgamma(N - K + 1)) / std::log(2.0);
}

KeySpace brute_force_key_space(const crypto::XorKey& key, std::uint64_t model_weight_bits) {
  KeySpace s;
  s.flipped_bits = key.flipped_bits();
  s.model_weight_bits = model_weight_bits;
  for (const auto& l : key.layers)
    if (!l.positions.empty()) s.candidate_sign_bits += l.total_bits / static_cast<std::uint64_t>(l.bits_per_weight);
  s.log2_sign_bits = log2_binomial(s.candidate_sign_bits, s.flipped_bits);
  s.log2_all_bits = log2_binomial(model_weight_bits, s.flipped_bits);
  return s;
}

}  // namespace snngx::ga

namespace snngx::ga {

namespace {

/// Every weighted layer but `only_layer` frozen (empty: none).
std::vector<bool> frozen_except(const snn::Network& net, std::optional<std::size_t> only_layer) {
  if (!only_layer) return {};
  if (*only_layer >= net.num_weighted())
    throw std::invalid_argument("fine-tuning layer " + std::to_string(*only_layer) + " does not exist in the model");
  std::vector<bool> frozen(net.num_weighted(), true);
  frozen[*only_layer] = false;
  return frozen;
}

snn::Network requantized(const snn::Network& tuned, const snn::Network& like) {
  const auto& q = *like.weights(0).quant;
  return snn::quantize(tuned, q.bits, q.rule);
}

}  // namespace

FineTuneResult fine_tuning_attack(const snn::Network& encrypted, const datasets::FrameSet& data, const datasets::FrameSet& test,
                                  int epochs, float learning_rate, std::uint64_t seed, int threads, std::optional<std::size_t> only_layer) {
  const snn::Network tuned =
      snn::fine_tune(encrypted, data, epochs, learning_rate, seed, threads, 32, frozen_except(encrypted, only_layer));
  FineTuneResult r;
  r.samples = data.size();
  r.epochs = epochs;
  r.float_accuracy = test_accuracy(tuned, test, threads);
  r.quantized_accuracy = test_accuracy(requantized(tuned, encrypted), test, threads);
  return r;
}

std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_per_class(const datasets::FrameSet& data, double holdout) {
  if (!(holdout >= 0.0 && holdout < 1.0)) throw std::invalid_argument("the held-out share must be in [0, 1)");
  std::vector<std::vector<std::size_t>> by_class;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto c = static_cast<std::size_t>(data.labels[i]);
    if (c >= by_class.size()) by_class.resize(c + 1);
    by_class[c].push_back(i);
  }
  std::vector<std::size_t> train, held_out;
  for (const auto& members : by_class) {
    const auto n = members.size();
    const auto keep_out = std::min(static_cast<std::size_t>(std::floor(holdout * static_cast<double>(n))), n ? n - 1 : 0);
    train.insert(train.end(), members.begin(), members.end() - static_cast<std::ptrdiff_t>(keep_out));
    held_out.insert(held_out.end(), members.end() - static_cast<std::ptrdiff_t>(keep_out), members.end());
  }
  std::sort(train.begin(), train.end());
  std::sort(held_out.begin(), held_out.end());
  return {train, held_out};
}

FineTuneSweepResult fine_tuning_lr_sweep(const snn::Network& encrypted, const datasets::FrameSet& data, const datasets::FrameSet& test,
                                         const FineTuneSweepParams& p) {
  if (p.learning_rates.empty()) throw std::invalid_argument("the learning-rate sweep needs at least one learning rate");
  for (const float lr : p.learning_rates)
    if (!(lr > 0.0f)) throw std::invalid_argument("learning rates must be positive");
  const auto [train_idx, held_idx] = split_per_class(data, p.holdout);
  const datasets::FrameSet train = data.select(train_idx);
  FineTuneSweepResult r;
  r.validation_is_training_data = held_idx.empty();
  const datasets::FrameSet validation = r.validation_is_training_data ? train : data.select(held_idx);
  r.train_samples = train.size();
  r.validation_samples = validation.size();
  r.epochs = p.epochs;
  const auto frozen = frozen_except(encrypted, p.only_layer);
  for (const float lr : p.learning_rates) {
    const auto t0 = std::chrono::steady_clock::now();
    const snn::Network tuned = snn::fine_tune(encrypted, train, p.epochs, lr, p.seed, p.threads, 32, frozen);
    const snn::Network deployed = requantized(tuned, encrypted);
    FineTuneRun run;
    run.learning_rate = lr;
    run.validation_accuracy = test_accuracy(deployed, validation, p.threads);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run.float_accuracy = test_accuracy(tuned, test, p.threads);
    run.quantized_accuracy = test_accuracy(deployed, test, p.threads);
    if (r.runs.empty() || run.validation_accuracy > r.runs[r.chosen].validation_accuracy) r.chosen = r.runs.size();
    r.runs.push_back(run);
  }
  return r;
}

KeyRecoveryResult key_recovery_attack(const snn::Network& encrypted, const crypto::XorKey& key, std::size_t layer,
                                      const datasets::FrameSet& data, const datasets::FrameSet& test, int rounds, int threads) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& lk = key.layers.at(layer);
  const SearchSpace space = SearchSpace::layer(encrypted, layer);
  const SubsetEvaluator ev(encrypted, space, data, threads);
  SensitivityParams p;
  p.budget = static_cast<int>(lk.positions.size());  // L is public (key header)
  p.rounds = rounds;
  p.restore = true;
  const SearchResult found = sensitivity_search(encrypted, space, data, ev, p, threads);
  KeyRecoveryResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.samples = data.size();
  r.flipped = found.best.count();
  r.key_bits = lk.positions.size();
  const auto q = static_cast<std::uint64_t>(lk.bits_per_weight);
  for (const auto pos : lk.positions) r.true_key_bits_found += found.best.test(static_cast<std::size_t>(pos / q));
  r.accuracy = test_accuracy(apply_flips(encrypted, space, found.best), test, threads);
  return r;
}

std::size_t key_layer(const crypto::XorKey& key) {
  std::optional<std::size_t> layer;
  for (const auto& lk : key.layers)
    if (!lk.positions.empty()) {
      if (layer) throw std::invalid_argument("the key touches more than one layer (this attack needs a key of one layer)");
      layer = lk.layer;
    }
  if (!layer) throw std::invalid_argument("the key is empty");
  return *layer;
}

std::vector<DetectorResult> weight_statistics_attack(const snn::Network& encrypted, const crypto::XorKey& key, std::size_t layer,
                                                     const datasets::FrameSet& test, const std::vector<double>& factors, int threads) {
  const auto& w = encrypted.weights(layer);
  if (!w.quant) throw std::invalid_argument("the weight-statistics attack needs a quantized (encrypted) model");
  const std::size_t rows = static_cast<std::size_t>(w.shape.at(0)), cols = w.count() / rows;
  const auto lk = std::find_if(key.layers.begin(), key.layers.end(), [&](const auto& k) { return k.layer == layer; });
  if (lk == key.layers.end() || lk->positions.empty()) throw std::invalid_argument("the key has no bits in layer " + std::to_string(layer));
  const auto q = static_cast<std::uint64_t>(lk->bits_per_weight);
  std::vector<bool> flipped(w.count(), false);  // the truth, for evaluation only
  for (const auto p : lk->positions) flipped.at(static_cast<std::size_t>(p / q)) = true;
  const std::size_t key_bits = lk->positions.size();

  std::vector<int> m(w.count());  // the stored (encrypted) signed magnitudes: all the attacker sees
  for (std::size_t k = 0; k < m.size(); ++k) m[k] = snn::signed_magnitude(w.quant->weight_bits[k]);
  std::vector<DetectorResult> out;
  for (const auto d : all_flip_detectors()) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto scores = flip_scores(m, rows, cols, d);
    DetectorResult r;
    r.detector = d;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.auc = roc_auc(scores, flipped);
    r.roc = roc_curve(scores, flipped);
    for (const double f : factors) {
      if (!(f >= 0.0)) throw std::invalid_argument("top-L factors must be >= 0");
      DetectorGuess g;
      g.factor = f;
      const auto top = top_scores(scores, static_cast<std::size_t>(std::llround(f * static_cast<double>(key_bits))));
      g.guesses = top.size();
      crypto::XorKey guess = empty_like(encrypted);
      for (const auto k : top) {
        g.true_key_bits += flipped[k];
        guess.layers.at(layer).positions.push_back(k * q);  // the sign bit of weight k
      }
      std::sort(guess.layers.at(layer).positions.begin(), guess.layers.at(layer).positions.end());
      g.accuracy = accuracy_with(encrypted, guess, test, threads);
      r.guesses.push_back(g);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace snngx::ga
