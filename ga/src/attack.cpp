#include "snngx/ga/attack.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_set>

#include "snngx/ga/fitness.hpp"
#include "snngx/ga/sensitivity.hpp"
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
  xor_key_into(net, flips);
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

}  // namespace snngx::ga

namespace snngx::ga {

FineTuneResult fine_tuning_attack(const snn::Network& encrypted, const datasets::FrameSet& data, const datasets::FrameSet& test,
                                  int epochs, float learning_rate, std::uint64_t seed, int threads) {
  const snn::Network tuned = snn::fine_tune(encrypted, data, epochs, learning_rate, seed, threads);
  FineTuneResult r;
  r.samples = data.size();
  r.epochs = epochs;
  r.float_accuracy = test_accuracy(tuned, test, threads);
  const auto& q = *encrypted.weights(0).quant;
  r.quantized_accuracy = test_accuracy(snn::quantize(tuned, q.bits, q.rule), test, threads);
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

}  // namespace snngx::ga
