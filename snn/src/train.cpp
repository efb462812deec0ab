// Training loop: shuffled minibatches, Adam, per-epoch evaluation with the inference engine,
// best-on-test, early stop, atomic checkpoints and resume.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>

#include "snngx/io/memory.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::snn {
namespace {

// Fisher-Yates with our own use of the (standard-specified) mt19937_64, so the order is the same
// with every C++ library.
std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, int epoch) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch));
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng() % i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

// Spikes seen during one epoch's training batches: per LIF layer, and per output neuron.
class EpochActivity {
 public:
  explicit EpochActivity(int classes) : output_spikes_(static_cast<std::size_t>(classes), 0) {}
  void add(const Gradients& g) {
    if (lif_spikes_.empty()) {
      lif_spikes_.assign(g.lif_spikes.size(), 0.0);
      lif_neurons_ = g.lif_neurons;
    }
    for (std::size_t k = 0; k < lif_spikes_.size(); ++k) lif_spikes_[k] += g.lif_spikes[k];
    const std::size_t K = output_spikes_.size();
    for (std::size_t i = 0; i < g.spike_counts.size(); ++i) output_spikes_[i % K] += g.spike_counts[i];
  }
  // Spikes per neuron per time step, per LIF layer.
  [[nodiscard]] std::vector<double> firing_rates(std::size_t samples, int T) const {
    std::vector<double> rates(lif_spikes_.size());
    for (std::size_t k = 0; k < rates.size(); ++k)
      rates[k] = lif_spikes_[k] / (static_cast<double>(lif_neurons_[k]) * static_cast<double>(samples) * T);
    return rates;
  }
  [[nodiscard]] int silent_outputs() const {
    return static_cast<int>(std::count(output_spikes_.begin(), output_spikes_.end(), std::int64_t{0}));
  }

 private:
  std::vector<double> lif_spikes_;
  std::vector<std::size_t> lif_neurons_;
  std::vector<std::int64_t> output_spikes_;
};

float learning_rate_at(const TrainOptions& o, int epoch0) {
  if (o.schedule == LrSchedule::Constant || o.epochs <= 1) return o.adam.learning_rate;
  const double f = 0.5 * (1.0 + std::cos(std::numbers::pi * epoch0 / o.epochs));
  return static_cast<float>(o.adam.learning_rate * f);
}

// Pairs (weighted layer k, LIF layer j): the LIF layer that first follows weighted layer k.
std::vector<std::pair<std::size_t, std::size_t>> weighted_to_lif(const Network& net) {
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::size_t weighted = 0, lif = 0;
  std::optional<std::size_t> open;  // a weighted layer waiting for its LIF layer
  for (const Layer& l : net.layers) {
    if (std::holds_alternative<Linear>(l) || std::holds_alternative<Conv2d>(l)) {
      open = weighted++;
    } else if (std::holds_alternative<Lif>(l)) {
      if (open) pairs.emplace_back(*open, lif);
      open.reset();
      ++lif;
    }
  }
  return pairs;
}

std::string fmt_percent(const std::string& what, double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", 100.0 * fraction);
  return what + " " + buf;
}

}  // namespace

LrSchedule parse_lr_schedule(const std::string& name) {
  if (name == "constant") return LrSchedule::Constant;
  if (name == "cosine") return LrSchedule::Cosine;
  throw std::invalid_argument("unknown learning-rate schedule '" + name + "' (expected constant or cosine)");
}

std::vector<std::string> training_warnings(const std::vector<EpochStats>& history, int classes) {
  std::vector<std::string> warnings;
  if (history.empty() || classes < 2) return warnings;
  std::vector<int> silent_epochs;
  for (const auto& e : history)
    if (e.silent_outputs == classes) silent_epochs.push_back(e.epoch);
  if (!silent_epochs.empty()) {
    std::string list;
    for (const int e : silent_epochs) list += (list.empty() ? "" : ", ") + std::to_string(e);
    warnings.push_back("the output layer was silent (no output neuron spiked on any training sample) in epoch" +
                       std::string(silent_epochs.size() > 1 ? "s " : " ") + list +
                       ": every prediction is class 0; try the fast-sigmoid surrogate, a lower learning rate or the cross-entropy loss");
  }
  const bool tested = history.back().test_accuracy >= 0.0;
  double best = 0.0;
  for (const auto& e : history) best = std::max(best, tested ? e.test_accuracy : e.train_accuracy);
  const double chance = 1.0 / classes;
  if (best <= 1.5 * chance)
    warnings.push_back(fmt_percent("the best " + std::string(tested ? "test" : "training") + " accuracy", best) + " is at chance (" +
                       fmt_percent("chance", chance) + ") after " + std::to_string(history.back().epoch) +
                       " epochs: the model learned nothing");
  return warnings;
}

LayerLr parse_layer_lr(const std::string& name) {
  if (name == "uniform") return LayerLr::Uniform;
  if (name == "fan-in") return LayerLr::FanIn;
  throw std::invalid_argument("unknown per-layer learning rate '" + name + "' (expected uniform or fan-in)");
}
std::string to_string(LayerLr layer_lr) { return layer_lr == LayerLr::Uniform ? "uniform" : "fan-in"; }

std::vector<float> layer_lr_factors(const Network& net, LayerLr layer_lr) {
  const std::size_t L = net.num_weighted();
  std::vector<float> factors(L, 1.0f);
  if (layer_lr == LayerLr::Uniform || L == 0) return factors;
  // log b_k = -log(fan_in_k) / 2; factor_k = b_k / geometric mean = exp(log b_k - mean log b).
  std::vector<double> log_bound(L);
  for (std::size_t k = 0; k < L; ++k) {
    const auto& shape = net.weights(k).shape;
    double fan_in = 1.0;
    for (std::size_t d = 1; d < shape.size(); ++d) fan_in *= static_cast<double>(shape[d]);
    log_bound[k] = -0.5 * std::log(fan_in);
  }
  const double mean = std::accumulate(log_bound.begin(), log_bound.end(), 0.0) / static_cast<double>(L);
  for (std::size_t k = 0; k < L; ++k) factors[k] = static_cast<float>(std::exp(log_bound[k] - mean));
  return factors;
}

Network as_float(const Network& net) {
  Network f = net;
  for (std::size_t k = 0; k < f.num_weighted(); ++k) f.weights(k).quant.reset();
  f.state = ModelState::Float;
  f.key_fingerprint.clear();
  return f;
}

void adam_step(Network& net, AdamState& st, const Gradients& grads, const AdamOptions& o, float lr) {
  const std::size_t L = net.num_weighted();
  if (grads.weight.size() != L) throw std::invalid_argument("adam_step: gradients do not match the network");
  if (st.m.empty()) {
    for (std::size_t k = 0; k < L; ++k) {
      st.m.emplace_back(net.weights(k).count(), 0.0f);
      st.v.emplace_back(net.weights(k).count(), 0.0f);
    }
  }
  if (st.bias_m.size() != L) {  // also a checkpoint written before biases were trained
    st.bias_m.clear();
    st.bias_v.clear();
    for (std::size_t k = 0; k < L; ++k) {
      st.bias_m.emplace_back(net.bias(k).size(), 0.0f);
      st.bias_v.emplace_back(net.bias(k).size(), 0.0f);
    }
  }
  ++st.step;
  // PyTorch's formulation: w -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
  const double bc1 = 1.0 - std::pow(static_cast<double>(o.beta1), static_cast<double>(st.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(o.beta2), static_cast<double>(st.step));
  const auto bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const auto factors = layer_lr_factors(net, o.layer_lr);
  for (std::size_t k = 0; k < L; ++k) {
    if (k < o.frozen.size() && o.frozen[k]) continue;  // neither weights nor moments move
    const float layer_lr = lr * factors[k];
    const auto step_size = static_cast<float>(layer_lr / bc1);
    auto& w = net.weights(k).values;
    auto& m = st.m[k];
    auto& v = st.v[k];
    const auto& g = grads.weight[k];
    if (g.size() != w.size() || m.size() != w.size()) throw std::invalid_argument("adam_step: layer size mismatch");
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (o.weight_decay != 0.0f) w[i] -= layer_lr * o.weight_decay * w[i];
      m[i] = o.beta1 * m[i] + (1.0f - o.beta1) * g[i];
      v[i] = o.beta2 * v[i] + (1.0f - o.beta2) * g[i] * g[i];
      w[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + o.epsilon);
    }
    // The layer's bias takes the layer's rate, without weight decay (PyTorch users exclude biases).
    auto& b = net.bias(k);
    if (b.empty()) continue;
    const auto& gb = k < grads.bias.size() ? grads.bias[k] : std::vector<float>{};
    auto& bm = st.bias_m[k];
    auto& bv = st.bias_v[k];
    if (gb.size() != b.size() || bm.size() != b.size()) throw std::invalid_argument("adam_step: bias size mismatch");
    for (std::size_t i = 0; i < b.size(); ++i) {
      bm[i] = o.beta1 * bm[i] + (1.0f - o.beta1) * gb[i];
      bv[i] = o.beta2 * bv[i] + (1.0f - o.beta2) * gb[i] * gb[i];
      b[i] -= step_size * bm[i] / (std::sqrt(bv[i]) / bc2_sqrt + o.epsilon);
    }
  }
}

namespace {

// Where training reads its samples: a set in memory, or a frame file read batch by batch (only
// the labels stay in memory). Either way a batch is handed to the gradients as a set plus the
// indices into it, in the batch's order, so both give the same bits.
class TrainSamples {
 public:
  explicit TrainSamples(const datasets::FrameSet& set) : set_(&set) {}
  TrainSamples(datasets::FrameSource& file, std::size_t limit) : file_(&file), labels_(file.read_labels()) {
    if (limit > 0 && limit < labels_.size()) labels_.resize(limit);
  }
  [[nodiscard]] std::size_t size() const { return set_ ? set_->size() : labels_.size(); }
  [[nodiscard]] const datasets::FrameShape& shape() const { return set_ ? set_->shape : file_->meta().shape; }
  [[nodiscard]] std::int32_t label(std::size_t i) const { return set_ ? set_->labels[i] : labels_[i]; }
  /// The samples of `indices`: sets `local` to their indices into the returned set.
  const datasets::FrameSet& batch(std::span<const std::size_t> indices, std::span<const std::size_t>& local) {
    if (set_) {
      local = indices;
      return *set_;
    }
    loaded_ = file_->read_selected(indices);
    local_.resize(indices.size());
    std::iota(local_.begin(), local_.end(), std::size_t{0});
    local = local_;
    return loaded_;
  }

 private:
  const datasets::FrameSet* set_ = nullptr;
  datasets::FrameSource* file_ = nullptr;
  std::vector<std::int32_t> labels_;
  datasets::FrameSet loaded_;
  std::vector<std::size_t> local_;
};

// The test samples after each epoch: a set in memory or a frame file streamed in batches.
struct TestSamples {
  const datasets::FrameSet* set = nullptr;
  datasets::FrameSource* file = nullptr;
  std::size_t limit = 0;
  [[nodiscard]] bool empty() const { return !set && !file; }
  [[nodiscard]] const datasets::FrameShape& shape() const { return set ? set->shape : file->meta().shape; }
  [[nodiscard]] double accuracy(const Network& net, int threads) const {
    InferenceOptions io;
    io.threads = threads;
    if (set) return infer(net, *set, io).accuracy();
    io.limit = limit;
    return infer(Engine(net, io.engine), *file, io).accuracy();
  }
};

TrainResult train_on(const Network& initial, TrainSamples& data, const TestSamples& test, const TrainOptions& o) {
  if (o.epochs < 0) throw std::invalid_argument("epochs must be >= 0");
  if (o.batch_size == 0) throw std::invalid_argument("batch size must be positive");
  if (data.size() == 0) throw std::invalid_argument("the training set is empty");
  Network net = as_float(initial);
  validate(net);
  check_compatible(net, data.shape());
  if (!test.empty()) check_compatible(net, test.shape());

  TrainResult result;
  AdamState adam;
  int start_epoch = 0, since_best = 0;
  std::optional<Network> best;
  if (o.resume && !o.checkpoint.empty() && std::filesystem::exists(o.checkpoint)) {
    Checkpoint c = load_checkpoint(o.checkpoint);
    if (c.net.arch != net.arch || c.net.layer_output_shapes() != net.layer_output_shapes())
      throw std::invalid_argument(o.checkpoint.string() + ": checkpoint is for architecture '" + c.net.arch +
                                  "', not '" + net.arch + "'");
    net = std::move(c.net);
    adam = std::move(c.adam);
    start_epoch = c.epoch;
    best = std::move(c.best);
    result.best_epoch = c.best_epoch;
    result.best_test_accuracy = c.best_test_accuracy;
    since_best = c.epochs_since_best;
    result.history = std::move(c.history);
    result.resumed = true;
  }

  if (!result.resumed && o.init_firing_rate > 0.0) {
    // On the first batch of epoch 1, so the run stays a function of the seed.
    const auto order = epoch_order(data.size(), o.seed, 0);
    const std::size_t count = std::min(o.batch_size, order.size());
    std::span<const std::size_t> local;
    const datasets::FrameSet& first = data.batch(std::span<const std::size_t>(order.data(), count), local);
    calibrate_initial_scale(net, first, local, o.init_firing_rate, o.gradient);
  }
  GradientComputer computer(o.gradient);
  for (int epoch = start_epoch; epoch < o.epochs; ++epoch) {
    if (o.patience > 0 && since_best >= o.patience) {
      result.stopped_early = true;
      break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const float lr = learning_rate_at(o, epoch);
    const auto order = epoch_order(data.size(), o.seed, epoch);
    double loss_sum = 0.0;
    std::size_t correct = 0, done = 0;
    EpochActivity activity(net.num_classes);
    for (std::size_t first = 0; first < order.size(); first += o.batch_size) {
      const std::size_t count = std::min(o.batch_size, order.size() - first);
      const std::span<const std::size_t> batch(order.data() + first, count);
      std::span<const std::size_t> local;
      const datasets::FrameSet& samples = data.batch(batch, local);
      const Gradients& g = computer.compute(net, samples, local);
      activity.add(g);
      adam_step(net, adam, g, o.adam, lr);
      loss_sum += g.loss * static_cast<double>(count);
      for (std::size_t b = 0; b < count; ++b) correct += g.predictions[b] == data.label(batch[b]);
      done += count;
      if (o.on_batch)
        o.on_batch({epoch + 1, o.epochs, done, order.size(), loss_sum / static_cast<double>(done),
                    static_cast<double>(correct) / static_cast<double>(done)});
    }
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    EpochStats st;
    st.epoch = epoch + 1;
    st.loss = loss_sum / static_cast<double>(done);
    st.train_accuracy = static_cast<double>(correct) / static_cast<double>(done);
    st.samples_per_second = train_seconds > 0 ? static_cast<double>(done) / train_seconds : 0.0;
    st.learning_rate = lr;
    st.firing_rate = activity.firing_rates(done, net.time_steps);
    st.silent_outputs = activity.silent_outputs();
    if (!test.empty()) st.test_accuracy = test.accuracy(net, o.gradient.threads);
    // Without a test set every epoch is the "best" (best == last) and early stop never triggers.
    if (!best || test.empty() || st.test_accuracy > result.best_test_accuracy) {
      best = net;
      result.best_epoch = st.epoch;
      result.best_test_accuracy = st.test_accuracy;
      since_best = 0;
      st.best = true;
    } else {
      ++since_best;
    }
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.history.push_back(st);
    if (!o.checkpoint.empty())
      save_checkpoint(o.checkpoint, {net, adam, st.epoch, best, result.best_epoch, result.best_test_accuracy, since_best,
                                     result.history});
    if (o.on_epoch) o.on_epoch(st);
  }
  result.last = net;
  result.best = best ? *best : net;
  return result;
}

}  // namespace

TrainResult train(const Network& net, const datasets::FrameSet& train, const datasets::FrameSet* test, const TrainOptions& options) {
  TrainSamples data(train);
  return train_on(net, data, TestSamples{test, nullptr, 0}, options);
}

TrainResult train(const Network& net, datasets::FrameSource& train, datasets::FrameSource* test, const TrainOptions& options,
                  std::size_t train_limit, std::size_t test_limit) {
  TrainSamples data(train, train_limit);
  return train_on(net, data, TestSamples{nullptr, test, test_limit}, options);
}

std::vector<float> calibrate_initial_scale(Network& net, const datasets::FrameSet& data, std::span<const std::size_t> batch,
                                           double target_rate, const GradientOptions& options) {
  if (!(target_rate > 0.0 && target_rate < 1.0)) throw std::invalid_argument("initial firing rate must be in (0, 1)");
  std::vector<float> factors(net.num_weighted(), 1.0f);
  GradientComputer computer(options);
  const double cells = static_cast<double>(batch.size()) * data.shape.t;
  for (const auto& [k, j] : weighted_to_lif(net)) {
    auto& w = net.weights(k).values;
    const std::vector<float> initial = w;
    double scale = 1.0;
    // The rate grows with the scale; a multiplicative step by target / rate (doubling while the
    // layer is silent, steps clamped to [1/4, 4]) lands within 20 % of the target in a few passes.
    for (int pass = 0; pass < 6; ++pass) {
      const Gradients& g = computer.compute(net, data, batch);
      const double rate = g.lif_spikes[j] / (static_cast<double>(g.lif_neurons[j]) * cells);
      if (std::abs(rate / target_rate - 1.0) < 0.2) break;
      scale *= rate > 0.0 ? std::clamp(target_rate / rate, 0.25, 4.0) : 2.0;
      for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(initial[i] * scale);
    }
    factors[k] = static_cast<float>(scale);
  }
  return factors;
}

std::uint64_t train_memory_bytes(const Network& net, int steps, const TrainOptions& options) {
  // The caller's network and the training copy, best, Adam's two moments, the result's last and
  // best, and the quantized model made from it: 8 copies of the weights.
  const std::uint64_t copies_of_weights = io::saturating_product({8, net.parameter_count(), sizeof(float)});
  return io::saturating_sum({gradient_memory_bytes(net, steps, options.batch_size, options.gradient), copies_of_weights});
}

Network fine_tune(const Network& net, const datasets::FrameSet& data, int epochs, float learning_rate, std::uint64_t seed,
                  int threads, std::size_t batch_size, const std::vector<bool>& frozen) {
  TrainOptions o;
  o.adam.frozen = frozen;
  o.epochs = epochs;
  o.batch_size = batch_size;
  o.adam.learning_rate = learning_rate;
  o.adam.layer_lr = LayerLr::Uniform;  // the attack's fine-tuning is PyTorch's plain Adam
  o.schedule = LrSchedule::Constant;
  o.seed = seed;
  o.gradient.threads = threads;
  return train(net, data, nullptr, o).last;
}

}  // namespace snngx::snn
