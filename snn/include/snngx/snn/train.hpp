#pragma once
// Surrogate-gradient training (BPTT) of a Network on event frames (spec: snngx-algorithm.md §1).
//
// Forward: exactly the inference semantics (float32 LIF v = v*decay*(1-s) + I, spike if v > VTH,
// max-pool = OR, flatten in [C,H,W] order), computed layer by layer for all T steps of a chunk
// of samples at once (Linear/Conv2d as Eigen matrix products, the LIF recurrence as a scan).
// Backward: backpropagation through time. The spike's derivative is a surrogate (Surrogate): the
// paper's rectangle dS/dV = 1/ALPHA for |v - VTH| < ALPHA/2 (ALPHA = 0.5), or by default a fast
// sigmoid with the same peak and area and support everywhere. The reset is the gate (1 - s[t-1]) of
// the forward pass and by default the gradient flows through it like through any other product
// (ResetGradient::Gated, as the STBP code these networks descend from, where the spike is not
// detached): dL/ds[t] += -decay * v[t] * dL/dv[t+1]. ResetGradient::Detached drops that term.
// Max-pool routes the gradient to the first maximum of each window (PyTorch's choice).
//
// Determinism: a batch is cut into fixed chunks of samples; each chunk's gradient is computed by
// one thread, and the chunk gradients are summed in chunk order. Results are the same bits for a
// seed on any thread count.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::snn {

inline constexpr float kSurrogateAlpha = 0.5f;

enum class Loss { Mse, CrossEntropy };
Loss parse_loss(const std::string& name);  // "mse" | "ce"
std::string to_string(Loss loss);

enum class ResetGradient { Gated, Detached };

/// The surrogate derivative dS/dV of the spike, x = v - VTH.
/// - Rectangular (the paper's, STBP): 1/ALPHA for |x| < ALPHA/2, else 0. A neuron whose membrane
///   stays below VTH - ALPHA/2 gets no gradient at all, so a layer that falls silent never wakes up.
/// - FastSigmoid (SuperSpike): (1/ALPHA) / (1 + k|x|)^2 with k = 2/ALPHA: the same peak and the
///   same area (1) as the rectangle, but nonzero everywhere, so silent neurons are still pushed
///   towards the threshold. The default: it is what makes the reference CSNN train from scratch.
enum class Surrogate { Rectangular, FastSigmoid };
Surrogate parse_surrogate(const std::string& name);  // "rectangular" | "fast-sigmoid"
std::string to_string(Surrogate surrogate);
/// dS/dV at x = v - VTH.
float surrogate_derivative(Surrogate surrogate, float x);

/// The forward spike function. Heaviside is the real model. The others exist so finite
/// differences can check the surrogate-gradient path: their exact derivatives are the surrogates.
/// Ramp: s = clamp(x/ALPHA + 1/2, 0, 1) (Rectangular). SoftSign: s = 1/2 + (1/2) k x / (1 + k|x|)
/// (FastSigmoid).
enum class SpikeFunction { Heaviside, Ramp, SoftSign };

struct GradientOptions {
  Loss loss = Loss::Mse;
  ResetGradient reset = ResetGradient::Gated;
  Surrogate surrogate = Surrogate::FastSigmoid;
  SpikeFunction spike = SpikeFunction::Heaviside;
  int threads = 0;        // 0 = all hardware threads
  std::size_t chunk = 0;  // samples per work unit; 0 = automatic from the network size. Part of
                          // the arithmetic (fixes the summation order), not of the thread count.
};

/// Loss and gradients of a batch. Loss is the batch mean: MSE is PyTorch's MSELoss(mean) between
/// rates (count/T) and one-hot labels, i.e. averaged over samples and classes; cross-entropy is
/// softmax cross-entropy of the rates, averaged over samples.
struct Gradients {
  double loss = 0.0;
  std::vector<std::vector<float>> weight;   // one per weighted layer, PyTorch layout
  std::vector<std::vector<float>> bias;     // one per weighted layer: its bias (Linear/Conv2d) or recurrent bias; empty if none
  std::vector<std::int32_t> spike_counts;   // [batch, classes]
  std::vector<std::int32_t> predictions;    // [batch], argmax of counts, ties to the lowest
  std::vector<double> lif_spikes;           // per LIF layer, in order: spikes summed over the batch and all T steps
  std::vector<std::size_t> lif_neurons;     // per LIF layer: neurons of one step of one sample
};

/// Forward + backward over the samples `indices` of `data` with the network's float weights
/// (quantization, if present, is ignored: `values` are used).
Gradients compute_gradients(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> indices,
                            const GradientOptions& options = {});

/// The same computation with buffers kept between calls (training calls it once per batch; the
/// network's architecture must stay the same, its weights may change).
class GradientComputer {
 public:
  explicit GradientComputer(GradientOptions options = {});
  ~GradientComputer();
  GradientComputer(GradientComputer&&) noexcept;
  GradientComputer& operator=(GradientComputer&&) noexcept;
  /// Valid until the next call.
  const Gradients& compute(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> indices);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Peak bytes compute_gradients / GradientComputer hold for batches of `batch` samples of `steps`
/// time steps: per busy worker thread (min(threads, chunks of the batch)) one chunk's buffers, per
/// sample and step 4 bytes for the input and, per layer output, 4 for the activation, 4 for its
/// gradient, 4 + 1 for a LIF membrane and surrogate mask, 4 + 1 for a max-pool route and mask, and
/// 8 per input of a weighted layer for its nonzero list (bounded by a dense input); plus one copy
/// of the weight gradients per chunk, the result's gradients and the weights in the kernels'
/// layout. Throws like compute_gradients for a network it cannot train; 0 for no steps.
std::uint64_t gradient_memory_bytes(const Network& net, int steps, std::size_t batch, const GradientOptions& options = {});

/// How the learning rate is shared among the weighted layers.
/// - Uniform: every layer takes the learning rate (PyTorch's Adam).
/// - FanIn: layer k takes lr * b_k / mean_b, with b_k = 1/sqrt(fan_in_k) the bound of its initial
///   weights (init_weights) and mean_b the geometric mean of the b_k over the network. Adam moves
///   every weight by ~lr per step whatever its gradient, so with one rate a layer of large fan-in
///   (small weights) changes its currents by a much larger fraction per step than one of small
///   fan-in; FanIn makes that fraction the same in every layer. The geometric-mean normalisation
///   keeps the network's typical step at lr (a network whose layers have equal fan-ins is trained
///   exactly as with Uniform). Depends only on the shapes, so it is fixed for a network.
enum class LayerLr { Uniform, FanIn };
LayerLr parse_layer_lr(const std::string& name);  // "uniform" | "fan-in"
std::string to_string(LayerLr layer_lr);
/// The factor by which each weighted layer's learning rate is multiplied (all 1 for Uniform).
std::vector<float> layer_lr_factors(const Network& net, LayerLr layer_lr);

/// Adam (Kingma & Ba; PyTorch's defaults but the learning rate: see TrainOptions), optional
/// decoupled weight decay (AdamW), optional per-layer learning rates (LayerLr).
struct AdamOptions {
  float learning_rate = 1e-4f;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
  float weight_decay = 0.0f;
  LayerLr layer_lr = LayerLr::Uniform;
  // Weighted layers that are not updated (index k frozen when k < size and frozen[k]; empty: none).
  // Lets an attacker fine-tune one layer (the encrypted one) and keep the rest as stored.
  std::vector<bool> frozen = {};
};
struct AdamState {
  std::int64_t step = 0;
  std::vector<std::vector<float>> m, v;  // per weighted layer
  std::vector<std::vector<float>> bias_m, bias_v;  // per weighted layer's bias (empty if it has none)
};
/// One Adam update of the network's float weights; `learning_rate` overrides options' (schedules)
/// and is multiplied by layer_lr_factors(net, options.layer_lr) per layer.
void adam_step(Network& net, AdamState& state, const Gradients& grads, const AdamOptions& options, float learning_rate);

enum class LrSchedule { Constant, Cosine };
LrSchedule parse_lr_schedule(const std::string& name);  // "constant" | "cosine"

struct EpochStats {
  int epoch = 0;  // 1-based
  double loss = 0.0;
  double train_accuracy = 0.0;
  double test_accuracy = -1.0;  // -1 when there is no test set
  double samples_per_second = 0.0;
  double seconds = 0.0;
  float learning_rate = 0.0f;
  bool best = false;
  // Diagnostics over the epoch's training batches (weights changing as they go):
  std::vector<double> firing_rate;  // per LIF layer: spikes per neuron per time step (0..1)
  int silent_outputs = -1;          // output neurons that never spiked on any training sample (-1: unknown)
};

/// What a training history says is wrong, one sentence each (empty: nothing): an epoch whose output
/// layer was completely silent (no output spike, so every prediction is class 0 and the MSE loss
/// sits at 1/classes), and a run whose best accuracy (test if measured, else train) is still at
/// chance (<= 1.5 / classes).
std::vector<std::string> training_warnings(const std::vector<EpochStats>& history, int classes);

struct TrainProgress {
  int epoch = 0, epochs = 0;
  std::size_t done = 0, total = 0;  // training samples of this epoch
  double running_loss = 0.0, running_accuracy = 0.0;
};

struct TrainOptions {
  int epochs = 10;
  // Defaults that train both reference networks from scratch (docs/results.md, training): with lr
  // 1e-3 one Adam step moves each weight by ~1e-3 whatever its gradient, which in a layer of
  // fan-in 4096 (CSNN fc1, weights ~1/64) shifts the currents by ~1 threshold per step and drives
  // the output layer silent or saturated within an epoch. lr 1e-4 shared by fan-in (LayerLr::FanIn:
  // every layer changes by the same fraction of its initial scale, so conv1 with fan-in 18 is not
  // 13x slower than fc1) and small batches (more steps on small data sets) learn; a larger lr
  // silences the deep layers instead.
  std::size_t batch_size = 4;
  AdamOptions adam{.learning_rate = 1e-4f, .layer_lr = LayerLr::FanIn};
  LrSchedule schedule = LrSchedule::Cosine;  // cosine: lr * (1 + cos(pi * epoch / epochs)) / 2
  GradientOptions gradient;
  // > 0: before the first epoch (not on resume), calibrate_initial_scale on the first training
  // batch to this rate (spikes per neuron per step). 0 = the weights as given.
  double init_firing_rate = 0.0;
  std::uint64_t seed = 0;    // shuffling order of each epoch
  int patience = 0;          // stop when the test accuracy has not improved for this many epochs (0 = never)
  std::filesystem::path checkpoint;  // if set: written atomically after every epoch
  bool resume = false;               // continue from `checkpoint` if it exists
  std::function<void(const TrainProgress&)> on_batch;  // called after each batch, from the calling thread
  std::function<void(const EpochStats&)> on_epoch;
};

struct TrainResult {
  Network last;   // weights after the final epoch
  Network best;   // weights of the epoch with the best test accuracy (== last without a test set)
  int best_epoch = 0;
  double best_test_accuracy = -1.0;
  std::vector<EpochStats> history;
  bool stopped_early = false;
  bool resumed = false;
};

/// Trains `net` (float weights; a quantized/encrypted network trains from its dequantized values
/// and comes back as a float network) on `train`, evaluating on `test` (may be null) with the
/// inference engine after every epoch.
TrainResult train(const Network& net, const datasets::FrameSet& train, const datasets::FrameSet* test,
                  const TrainOptions& options);
/// The same from frame files, in memory O(batch + model): the labels are read once, each
/// shuffled batch reads only its own samples, and the test file is streamed in batches after
/// every epoch. `train_limit` / `test_limit` > 0 use only the first samples of a file. Results
/// are identical to train() on the same samples read whole (same shuffled order, same bits).
TrainResult train(const Network& net, datasets::FrameSource& train, datasets::FrameSource* test, const TrainOptions& options,
                  std::size_t train_limit = 0, std::size_t test_limit = 0);

/// Data-driven initial scale: multiplies each weighted layer's weights, input side first, by the
/// factor that makes the LIF layer following it fire at about `target_rate` spikes per neuron per
/// step (within 20 %, at most 6 forward passes per layer) on the samples `batch` of `data`.
/// Returns the factors (1 for a layer without a LIF layer after it or already on target).
std::vector<float> calibrate_initial_scale(Network& net, const datasets::FrameSet& data, std::span<const std::size_t> batch,
                                           double target_rate, const GradientOptions& options = {});

/// Peak bytes of training beyond its data sets: gradient_memory_bytes for the batch size, plus
/// the weights 8 times (the caller's network and train()'s copy, best, Adam's two moments, the
/// result's last and best, the quantized model made from it). Evaluation buffers are per sample
/// and negligible next to BPTT's; the process's own ~20 MiB are not counted.
std::uint64_t train_memory_bytes(const Network& net, int steps, const TrainOptions& options);

/// Convenience for attacks and demos: `epochs` epochs on `data` with Adam at `learning_rate`
/// (constant schedule), no evaluation, no checkpoint; returns the trained float network.
/// `frozen`: weighted layers left as they are (AdamOptions::frozen).
Network fine_tune(const Network& net, const datasets::FrameSet& data, int epochs, float learning_rate = 1e-3f,
                  std::uint64_t seed = 0, int threads = 0, std::size_t batch_size = 32, const std::vector<bool>& frozen = {});

/// The float network of `net`: quantization dropped, state "float", values kept.
Network as_float(const Network& net);

/// Checkpoint files are model files (loadable by load_model) with an extra `/train` group: Adam
/// moments, the epoch, the best weights and the history.
struct Checkpoint {
  Network net;
  AdamState adam;
  int epoch = 0;
  std::optional<Network> best;
  int best_epoch = 0;
  double best_test_accuracy = -1.0;
  int epochs_since_best = 0;
  std::vector<EpochStats> history;
};
void save_checkpoint(const std::filesystem::path& path, const Checkpoint& ckpt);
Checkpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace snngx::snn
