#include "snngx/ga/sensitivity.hpp"
#include "snngx/io/errors.hpp"
#include "snngx/io/threads.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::ga {

SearchMethod parse_search_method(const std::string& name) {
  if (name == "ga") return SearchMethod::Ga;
  if (name == "sensitivity") return SearchMethod::Sensitivity;
  if (name == "hybrid") return SearchMethod::Hybrid;
  throw io::ParameterError("{method} '" + name + "': expected ga, sensitivity or hybrid");
}

std::string to_string(SearchMethod method) {
  switch (method) {
    case SearchMethod::Ga: return "ga";
    case SearchMethod::Sensitivity: return "sensitivity";
    case SearchMethod::Hybrid: return "hybrid";
  }
  return "?";
}

Ranking ranking_for(const snn::Network& net, const SearchSpace& space) {
  if (space.segments.size() != 1 || net.num_weighted() == 0) return Ranking::GradientTimesWeight;
  const std::size_t layer = space.segments.front().layer;
  const bool output = layer + 1 == net.num_weighted();
  const bool linear = std::holds_alternative<snn::Linear>(net.layers[net.weighted_layers()[layer]]);
  return output && linear ? Ranking::OutputCurrent : Ranking::GradientTimesWeight;
}

std::string to_string(Ranking ranking) { return ranking == Ranking::OutputCurrent ? "output-current" : "gradient-x-weight"; }

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

std::vector<std::int64_t> integrated_inputs(const snn::Network& net, std::size_t layer, const datasets::FrameSet& subset) {
  const std::size_t stop = net.weighted_layers().at(layer);
  const auto* linear = std::get_if<snn::Linear>(&net.layers[stop]);
  if (linear == nullptr) throw std::invalid_argument("integrated_inputs: weighted layer " + std::to_string(layer) + " is not Linear");
  const auto features = static_cast<std::size_t>(linear->in_features);
  const snn::Engine engine(net, snn::EngineKind::Event);
  const auto state = engine.new_state();
  const std::size_t step_size = snn::numel(net.input_shape);
  std::vector<float> frame(step_size);
  std::vector<std::int64_t> sums(subset.size() * features, 0);
  for (std::size_t n = 0; n < subset.size(); ++n) {
    engine.reset(*state);
    const auto sample = subset.sample(n);
    for (int t = 0; t < net.time_steps; ++t) {
      const auto in = sample.subspan(static_cast<std::size_t>(t) * step_size, step_size);
      std::copy(in.begin(), in.end(), frame.begin());
      // Layers after `stop` are never run: they do not influence the activation entering it.
      const auto x = stop == 0 ? std::span<const float>(frame) : engine.step(*state, 0, stop, frame);
      for (std::size_t i = 0; i < features; ++i) sums[n * features + i] += static_cast<std::int64_t>(x[i]);
    }
  }
  return sums;
}

std::vector<std::int64_t> margin_weights(std::span<const std::int32_t> counts, std::span<const std::int32_t> labels, int classes,
                                         int time_steps) {
  const auto C = static_cast<std::size_t>(classes);
  std::vector<std::int64_t> alpha(labels.size());
  for (std::size_t n = 0; n < labels.size(); ++n) {
    const auto row = counts.subspan(n * C, C);
    const auto y = static_cast<std::size_t>(labels[n]);
    std::int32_t best_other = -1;
    for (std::size_t o = 0; o < C; ++o)
      if (o != y) best_other = std::max(best_other, row[o]);
    alpha[n] = static_cast<std::int64_t>(row[y]) - best_other + time_steps + 1;
  }
  return alpha;
}

std::vector<double> output_current_scores(const snn::Network& net, std::size_t layer, std::span<const std::int64_t> inputs,
                                          std::span<const std::int32_t> labels, std::span<const std::int64_t> weights) {
  const auto& w = net.weights(layer);
  const auto out = static_cast<std::size_t>(w.shape.at(0)), in = static_cast<std::size_t>(w.shape.at(1));
  const auto samples = labels.size();
  if (inputs.size() != samples * in || weights.size() != samples)
    throw std::invalid_argument("output_current_scores: inputs, labels and weights disagree in size");
  const auto others = static_cast<std::int64_t>(out) - 1;
  // D[o][i] = sum_n alpha_n * ((C-1)[y_n == o] - [y_n != o]) * X_ni, then score = 2 * w_oi * D[o][i].
  std::vector<double> scores(out * in);
  std::vector<std::int64_t> d(in);
  for (std::size_t o = 0; o < out; ++o) {
    std::fill(d.begin(), d.end(), 0);
    for (std::size_t n = 0; n < samples; ++n) {
      const std::int64_t a = static_cast<std::size_t>(labels[n]) == o ? others * weights[n] : -weights[n];
      for (std::size_t i = 0; i < in; ++i) d[i] += a * inputs[n * in + i];
    }
    for (std::size_t i = 0; i < in; ++i) {
      const std::int64_t m = snn::signed_magnitude(w.quant->weight_bits[o * in + i]);
      scores[o * in + i] = static_cast<double>(2 * m * d[i]);
    }
  }
  return scores;
}

std::vector<double> gradient_scores(const snn::Network& net, const SearchSpace& space, const datasets::FrameSet& subset, int threads) {
  std::vector<std::size_t> all(subset.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  snn::GradientOptions options;
  options.threads = threads;
  const snn::Gradients g = snn::compute_gradients(net, subset, all, options);
  std::vector<double> scores(space.size());
  for (const auto& seg : space.segments) {
    const auto& values = net.weights(seg.layer).values;
    const auto& grad = g.weight[seg.layer];
    for (std::size_t k = 0; k < seg.weights; ++k)
      scores[seg.offset + k] = -2.0 * static_cast<double>(values[k]) * static_cast<double>(grad[k]);
  }
  return scores;
}

std::vector<std::size_t> random_per_class_indices(const datasets::FrameSet& frames, int per_class, std::uint64_t seed) {
  return random_per_class_indices(frames.labels, frames.num_classes(), per_class, seed);
}

std::vector<std::size_t> random_per_class_indices(std::span<const std::int32_t> labels, int classes, int per_class,
                                                  std::uint64_t seed) {
  if (per_class < 1) throw io::ParameterError("{per_class} must be >= 1 for a random per-class draw");
  std::vector<std::size_t> chosen;
  for (int c = 0; c < classes; ++c) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == c) idx.push_back(i);
    Rng rng(seed + static_cast<std::uint64_t>(c));
    const std::size_t take = std::min(idx.size(), static_cast<std::size_t>(per_class));
    for (std::size_t i = 0; i < take; ++i) std::swap(idx[i], idx[i + static_cast<std::size_t>(rng.below(idx.size() - i))]);
    chosen.insert(chosen.end(), idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(take));
  }
  if (chosen.empty()) throw std::invalid_argument("the fitness subset is empty");
  return chosen;
}

std::vector<std::size_t> rank_by_score(std::span<const double> scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

void SensitivityParams::validate() const {
  if (budget < 0) throw io::ParameterError("{epsilon} must be >= 0");
  if (rounds < 1) throw io::ParameterError("{rounds} must be >= 1");
}

namespace {

double subset_accuracy(std::span<const std::int32_t> counts, std::span<const std::int32_t> labels, int classes) {
  std::size_t ok = 0;
  const auto C = static_cast<std::size_t>(classes);
  for (std::size_t n = 0; n < labels.size(); ++n) ok += snn::argmax(counts.subspan(n * C, C)) == labels[n];
  return labels.empty() ? 0.0 : static_cast<double>(ok) / static_cast<double>(labels.size());
}

/// The scores of every bit of `space` for the model carrying `flips` (`flipped` is that model).
class Scorer {
 public:
  Scorer(const snn::Network& plain, const SearchSpace& space, const datasets::FrameSet& subset, int threads, bool restore = false)
      : plain_(plain), space_(space), subset_(subset), threads_(threads), restore_(restore), ranking_(ranking_for(plain, space)) {
    if (ranking_ == Ranking::OutputCurrent) inputs_ = integrated_inputs(plain, space.segments.front().layer, subset);
  }
  std::vector<double> operator()(const snn::Network& flipped, std::span<const std::int32_t> counts) const {
    auto scores = damage(flipped, counts);
    if (restore_)
      for (auto& s : scores) s = -s;
    return scores;
  }
  [[nodiscard]] bool needs_flipped_network() const { return ranking_ == Ranking::GradientTimesWeight; }

 private:
  std::vector<double> damage(const snn::Network& flipped, std::span<const std::int32_t> counts) const {
    if (ranking_ == Ranking::GradientTimesWeight) return gradient_scores(flipped, space_, subset_, threads_);
    auto alpha = margin_weights(counts, subset_.labels, plain_.num_classes, plain_.time_steps);
    if (restore_)
      for (auto& a : alpha) a = 2 * static_cast<std::int64_t>(plain_.time_steps) + 2 - a;
    // Scores of the starting weights: a flipped bit's score is the damage its flip already does.
    return output_current_scores(plain_, space_.segments.front().layer, inputs_, subset_.labels, alpha);
  }

  const snn::Network& plain_;
  const SearchSpace& space_;
  const datasets::FrameSet& subset_;
  int threads_;
  bool restore_;
  Ranking ranking_;
  std::vector<std::int64_t> inputs_;
};

GenerationStats stats_of(int round, std::size_t flipped, double accuracy, int budget, std::size_t evaluations,
                         std::chrono::steady_clock::time_point t0) {
  GenerationStats s;
  s.generation = round;
  s.best_flipped = flipped;
  s.best_accuracy = accuracy;
  s.best_fitness = s.mean_fitness = fitness(flipped, accuracy, budget);
  s.evaluations = evaluations;
  s.seconds = seconds_since(t0);
  return s;
}

}  // namespace

SearchResult sensitivity_search(const snn::Network& plain, const SearchSpace& space, const datasets::FrameSet& subset,
                                const SubsetEvaluator& evaluator, const SensitivityParams& params, int threads,
                                const std::function<void(const GenerationStats&)>& on_round) {
  params.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const Scorer score(plain, space, subset, io::thread_count(threads), params.restore);
  const auto budget = static_cast<std::size_t>(params.budget);
  BitVector flips(space.size());
  snn::Network flipped = plain;  // kept in step with `flips` for the gradient ranking
  SearchResult result;
  const auto record = [&](int round, std::span<const std::int32_t> counts) {
    const double acc = subset_accuracy(counts, subset.labels, plain.num_classes);
    result.history.push_back(stats_of(round, flips.count(), acc, params.budget, 1, t0));
    ++result.evaluations;
    if (on_round) on_round(result.history.back());
  };
  for (int round = 0; round < params.rounds; ++round) {
    const auto counts = evaluator.spike_counts(flips);
    record(round, counts);
    const std::size_t have = flips.count();
    if (have >= budget) break;
    const auto rounds_left = static_cast<std::size_t>(params.rounds - round);
    std::size_t take = (budget - have + rounds_left - 1) / rounds_left;
    const auto scores = score(flipped, counts);
    std::size_t taken = 0;
    for (const std::size_t j : rank_by_score(scores)) {
      if (taken == take || scores[j] <= 0.0) break;
      if (flips.test(j)) continue;
      flips.set(j);
      ++taken;
      if (score.needs_flipped_network()) {
        const auto seg = std::find_if(space.segments.begin(), space.segments.end(),
                                      [&](const SearchSpace::Segment& s) { return j >= s.offset && j < s.offset + s.weights; });
        snn::flip_bit(flipped, seg->layer, j - seg->offset, 0);
      }
    }
    if (taken == 0) break;  // no bit left whose flip is predicted to hurt
  }
  const auto counts = evaluator.spike_counts(flips);
  record(params.rounds, counts);
  result.best = flips;
  result.accuracy = result.history.back().best_accuracy;
  result.fitness = result.history.back().best_fitness;
  result.seconds = seconds_since(t0);
  return result;
}

std::vector<std::size_t> hybrid_candidates(const snn::Network& plain, const SearchSpace& space, const datasets::FrameSet& subset,
                                           const SubsetEvaluator& evaluator, std::size_t count, int threads) {
  const Scorer score(plain, space, subset, io::thread_count(threads));
  const auto scores = score(plain, evaluator.spike_counts(BitVector(space.size())));
  auto order = rank_by_score(scores);
  order.resize(std::min(count, order.size()));
  std::sort(order.begin(), order.end());
  return order;
}

CandidateEvaluator::CandidateEvaluator(const SubsetEvaluator& exact, std::vector<std::size_t> candidates,
                                       const datasets::FrameSet& subset, int time_steps, int classes, int threads)
    : exact_(exact),
      candidates_(std::move(candidates)),
      labels_(subset.labels),
      time_steps_(time_steps),
      classes_(classes),
      threads_(io::thread_count(threads)) {
  for (const std::size_t c : candidates_)
    if (c >= exact_.space().size()) throw std::invalid_argument("candidate bit " + std::to_string(c) + " outside the search space");
}

BitVector CandidateEvaluator::expand(const BitVector& sub) const {
  if (sub.size() != candidates_.size())
    throw std::invalid_argument("candidate individual has " + std::to_string(sub.size()) + " bits, expected " +
                                std::to_string(candidates_.size()));
  BitVector full(exact_.space().size());
  sub.for_each_set(0, sub.size(), [&](std::size_t c) { full.set(candidates_[c]); });
  return full;
}

std::vector<double> CandidateEvaluator::accuracies(std::span<const BitVector* const> individuals) {
  std::vector<double> out(individuals.size());
  const double samples = static_cast<double>(labels_.size());
  tbb::task_arena arena(threads_);
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, individuals.size(), [&](std::size_t i) {
      const auto counts = exact_.spike_counts(expand(*individuals[i]));
      const auto alpha = margin_weights(counts, labels_, classes_, time_steps_);
      // alpha_n - 1 = margin_n + T in [0, 2T]; summed in integers, so the value is exact.
      std::int64_t depth = 0;
      for (const auto a : alpha) depth += a - 1;
      const double tie = static_cast<double>(depth) / (2.0 * time_steps_ * samples) / (2.0 * samples);
      out[i] = subset_accuracy(counts, labels_, classes_) + tie;
    });
  });
  return out;
}

SearchResult hybrid_search(const GaParams& params, const CandidateEvaluator& candidates, FitnessEvaluator& evaluator,
                           const SubsetEvaluator& exact, const std::function<void(const GenerationStats&)>& on_generation) {
  SearchResult r = run_search(params, candidates.size(), evaluator, on_generation);
  r.best = candidates.expand(r.best);
  r.accuracy = exact.accuracy(r.best);
  r.fitness = fitness(r.best.count(), r.accuracy, params.epsilon);
  return r;
}

}  // namespace snngx::ga
