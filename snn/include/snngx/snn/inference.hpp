#pragma once
// Inference engines (spec: snngx-algorithm.md §1). Both produce, per sample, the spike count of
// every output neuron over T steps; they agree exactly (tested):
//  - Dense: plain loops over every input, obviously correct, the reference.
//  - Event: per step touches only nonzero inputs/spikes (Linear: adds the weight column of each
//    active input; Conv2d: scatters each active input through the kernel).
// Float models accumulate float32 in the dense order (inputs ascending, conv (c,ky,kx)); quantized
// models accumulate integers and scale by 2^e once, so results are exact.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::snn {

enum class EngineKind { Event, Dense };
EngineKind parse_engine(const std::string& name);  // "event" | "dense"

/// One compiled network; thread-safe for concurrent use with separate States.
///
/// Besides whole-sample `run`, `step` runs a contiguous range of layers for one time step so that
/// tools can cache or replace part of the network (the GA's incremental fitness evaluates only
/// the layers after the searched one; the trainer and the accelerator model check against it).
/// Activations are float arrays in [C,H,W] / [F] order: input counts, or spikes as 0/1.
class Engine {
  struct Impl;

 public:
  /// Per-sample state, created with new_state(): the activation leaving each layer, each LIF /
  /// Neuron layer's membrane v[t-1] and each CubaLIF layer's synaptic current. The event engine
  /// does not keep spikes: it re-derives s[t-1] = (v[t-1] > threshold) (exact, v is stored before
  /// the reset gating), keeps conv-stage maps channels-last and fused quantized conv stages as
  /// channel bitmaps (see snn/src/event_conv.hpp). The working buffers of a step are private.
  class State {
   public:
    std::vector<std::vector<float>> out;  // per layer (the event engine's conv-stage maps channels-last)
    std::vector<std::vector<float>> v;    // per LIF / Neuron layer: the membrane
    std::vector<std::vector<float>> syn;  // per CubaLIF layer: the synaptic current

    State();
    ~State();
    State(const State&) = delete;
    State& operator=(const State&) = delete;

   private:
    friend class Engine;
    friend struct Engine::Impl;
    struct Scratch;  // defined in inference.cpp
    std::unique_ptr<Scratch> scratch_;
  };

  Engine(const Network& net, EngineKind kind);
  /// The same, taking over `net` instead of copying it (a model's weights are megabytes).
  Engine(Network&& net, EngineKind kind);
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  [[nodiscard]] std::unique_ptr<State> new_state() const;
  /// Zeroes every membrane and spike (v[-1] = 0, s[-1] = 0): call between samples.
  void reset(State& state) const;
  /// Runs layers [first, last) for one time step on `input` (the activation entering layer
  /// `first`) and returns the activation leaving layer last-1 (valid until the next call).
  std::span<const float> step(State& state, std::size_t first, std::size_t last, std::span<const float> input) const;

  /// Spike counts of the output neurons for one sample of T x (C*H*W) input counts (any T >= 1).
  [[nodiscard]] std::vector<std::int32_t> run(std::span<const std::uint16_t> sample) const;
  [[nodiscard]] std::vector<std::int32_t> run(State& state, std::span<const std::uint16_t> sample) const;
  /// The same for a sparse sample (its nonzero cells, flat t*C*H*W + canonical index, ascending):
  /// the event engine's first weighted layer consumes each step's active cells directly (no dense
  /// map, no scan); the dense engine scatters them into a map. Same results bit for bit.
  /// `steps` is the sample's T (the frame file's; 0 = the network's time_steps).
  [[nodiscard]] std::vector<std::int32_t> run(State& state, datasets::SparseSample sample, int steps = 0) const;
  [[nodiscard]] const Network& network() const;
  [[nodiscard]] EngineKind kind() const;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Prediction: the index of the largest count; ties go to the lowest index.
int argmax(std::span<const std::int32_t> counts);

struct InferenceOptions {
  EngineKind engine = EngineKind::Event;
  int threads = 0;          // 0 = all hardware threads
  std::size_t limit = 0;    // 0 = all samples
  std::function<void(std::size_t done, std::size_t total)> progress;  // called from one thread
};

struct InferenceResult {
  int num_classes = 0;
  std::vector<std::int32_t> spike_counts;  // [N, classes]
  std::vector<std::int32_t> predictions;   // [N]
  std::vector<std::int32_t> labels;        // [N]
  double seconds = 0.0;

  [[nodiscard]] std::size_t size() const { return predictions.size(); }
  [[nodiscard]] double accuracy() const;
  [[nodiscard]] std::vector<double> per_class_accuracy() const;
  [[nodiscard]] std::vector<std::vector<std::int64_t>> confusion() const;  // [true][predicted]
};

/// The [C,H,W] frames must have to fit the network: its input_shape, or [F,1,1] for a flat input [F].
Shape frame_input_shape(const Network& net);
/// Checks that frames fit the network's input: C x H x W equal frame_input_shape(net) (the error
/// names both shapes) and T >= 1. T comes from the frame file, not from net.time_steps. Throws
/// std::invalid_argument, prefixed with "<source>: " when a source (the frame file) is given.
void check_compatible(const Network& net, const datasets::FrameShape& shape, const std::string& source = "");
/// The same for a frame set, and every label is one of the network's classes ("label 99 of
/// sample 1 is not a class of the 10-class model").
void check_compatible(const Network& net, const datasets::FrameSet& frames, const std::string& source = "");
/// The label check alone (e.g. on FrameSource::read_labels, before a streamed run).
void check_labels(const Network& net, std::span<const std::int32_t> labels, const std::string& source = "");

/// Runs every sample (parallel over samples; the same results for any thread count).
InferenceResult infer(const Network& net, const datasets::FrameSet& frames, const InferenceOptions& options = {});
InferenceResult infer(const Engine& engine, const datasets::FrameSet& frames, const InferenceOptions& options = {});

/// Streams a frame file (either layout) through the engine in batches of `batch` samples: the
/// next batch is read and validated on another thread while this one runs (parallel over its
/// samples), so memory is O(batch + model) whatever the file's size. Results equal infer() on
/// the whole set read at once. `seconds` covers reading and inference.
InferenceResult infer(const Engine& engine, datasets::FrameSource& source, const InferenceOptions& options = {},
                      std::size_t batch = 1024);
/// Per-step trace of the output layer (`snngx infer --record`), [N, T, K] row-major:
/// `spikes` is what the spike counts count (output != 0), `membrane` the output layer's membrane
/// v[t] after the step's integration and before the reset that the next step applies (so on a
/// spike step v[t] > threshold; simulators that store the post-reset value show v_reset there).
/// For a non-spiking output layer (LI, Integrator) the membrane is the output itself.
struct OutputTrace {
  std::size_t samples = 0;
  int time_steps = 0, outputs = 0;
  std::vector<std::uint8_t> spikes;
  std::vector<float> membrane;
};
/// Runs every sample like infer (same options; results identical for any thread count).
OutputTrace record_output(const Engine& engine, const datasets::FrameSet& frames, const InferenceOptions& options = {});

}  // namespace snngx::snn
