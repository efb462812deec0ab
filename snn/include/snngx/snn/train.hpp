#pragma once
// Surrogate-gradient training (BPTT) of a Network on event frames (spec: snngx-algorithm.md §1).
//
// Forward: exactly the inference semantics (float32 LIF v = v*decay*(1-s) + I, spike if v > VTH,
// max-pool = OR, flatten in [C,H,W] order), computed layer by layer for all T steps of a chunk
// of samples at once (Linear/Conv2d as Eigen matrix products, the LIF recurrence as a scan).
// Backward: backpropagation through time. The spike's derivative is the rectangular surrogate
// dS/dV = 1/ALPHA for |v - VTH| < ALPHA/2 (ALPHA = 0.5). The reset is the gate (1 - s[t-1]) of
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
/// The forward spike function. Heaviside is the real model; Ramp (s = clamp((v-VTH)/ALPHA + 1/2,
/// 0, 1), whose exact derivative is the rectangular surrogate) exists so finite differences can
/// check the surrogate-gradient path.
enum class SpikeFunction { Heaviside, Ramp };

struct GradientOptions {
  Loss loss = Loss::Mse;
  ResetGradient reset = ResetGradient::Gated;
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
  std::vector<std::int32_t> spike_counts;   // [batch, classes]
  std::vector<std::int32_t> predictions;    // [batch], argmax of counts, ties to the lowest
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

/// Adam (Kingma & Ba; PyTorch's defaults), optional decoupled weight decay (AdamW).
struct AdamOptions {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
  float weight_decay = 0.0f;
};
struct AdamState {
  std::int64_t step = 0;
  std::vector<std::vector<float>> m, v;  // per weighted layer
};
/// One Adam update of the network's float weights; `learning_rate` overrides options' (schedules).
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
};

struct TrainProgress {
  int epoch = 0, epochs = 0;
  std::size_t done = 0, total = 0;  // training samples of this epoch
  double running_loss = 0.0, running_accuracy = 0.0;
};

struct TrainOptions {
  int epochs = 10;
  std::size_t batch_size = 32;
  AdamOptions adam;
  LrSchedule schedule = LrSchedule::Cosine;  // cosine: lr * (1 + cos(pi * epoch / epochs)) / 2
  GradientOptions gradient;
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

/// Convenience for attacks and demos: `epochs` epochs on `data` with Adam at `learning_rate`
/// (constant schedule), no evaluation, no checkpoint; returns the trained float network.
Network fine_tune(const Network& net, const datasets::FrameSet& data, int epochs, float learning_rate = 1e-3f,
                  std::uint64_t seed = 0, int threads = 0, std::size_t batch_size = 32);

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
