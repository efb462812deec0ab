#pragma once
// Search spaces over a quantized network's sign bits, and the fast, exact fitness evaluator.
//
// SubsetEvaluator caches, per subset sample and time step, the activation entering every searched
// weighted layer (it does not depend on the individual: earlier layers are plain) as per-input
// lists of nonzero entries, and the plain layer's integer input currents. An individual's flips
// are applied as deltas -2*w*x to those currents (or, when more than half of a layer's sign bits
// are flipped, from the fully negated currents +2*w*x for the unflipped ones); then the layer's
// LIF and the rest of the network run through snn::Engine::step. Integer accumulation makes the
// result bit-identical to snn::infer on the flipped model (tested). A layer's bias is added after
// the scaled sum, as the engines do. Recurrent weights (a Neuron layer reading its own output)
// cannot be cached: their individuals run the flipped network from that layer on, from the cached
// inputs entering it (correct, slower). T is the subset's (the frame file's), not the model's.
//
// Whole-model mode: flips in a layer change the inputs of all later layers, so the cache holds
// only for the FIRST layer that carries flips; the layers after it run on an engine compiled from
// the flipped network (correct, slower: one network copy and compile per individual).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "snngx/crypto/xor_key.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/ga/bit_vector.hpp"
#include "snngx/ga/genetic.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::ga {

/// The sign bits searched: one weighted layer or all of them concatenated in layer order.
/// Bit j of an individual is the sign bit of weight (j - segment.offset) of segment.layer.
struct SearchSpace {
  struct Segment {
    std::size_t layer = 0;     // weighted-layer index (conv0 = 0, ...)
    std::size_t offset = 0;    // first bit of the segment in the space
    std::size_t weights = 0;   // sign bits in the segment
  };
  std::vector<Segment> segments;
  [[nodiscard]] std::size_t size() const { return segments.empty() ? 0 : segments.back().offset + segments.back().weights; }

  static SearchSpace layer(const snn::Network& net, std::size_t weighted_index);
  static SearchSpace whole(const snn::Network& net);
};

/// The network with an individual's sign flips applied (the slow, obviously correct path).
snn::Network apply_flips(const snn::Network& plain, const SearchSpace& space, const BitVector& flips);

/// The XOR key of an individual: per weighted layer (all of them, possibly empty) the flat bit
/// positions k*q + 0 of the flipped sign bits.
crypto::XorKey make_key(const snn::Network& plain, const SearchSpace& space, const BitVector& flips);

/// Fitness subset: per_class > 0 takes the first `per_class` samples of every class in file
/// order; otherwise `size` samples drawn without replacement by a partial Fisher-Yates shuffle
/// with Rng(seed) (i = 0..size-1: swap(idx[i], idx[i + below(n - i)])), kept in draw order.
datasets::FrameSet select_subset(const datasets::FrameSet& frames, std::size_t size, int per_class, std::uint64_t seed);
/// The sample indices select_subset takes, in its order.
std::vector<std::size_t> subset_indices(const datasets::FrameSet& frames, std::size_t size, int per_class, std::uint64_t seed);
/// The same from the labels alone (`classes`: datasets::num_classes of the file).
std::vector<std::size_t> subset_indices(std::span<const std::int32_t> labels, int classes, std::size_t size, int per_class,
                                        std::uint64_t seed);

/// select_subset of a frame file without decoding the file: one pass over its labels, then only
/// the chosen samples are read (the same samples in the same order; memory O(subset)).
struct FileSubset {
  datasets::FrameSet frames;
  std::vector<std::size_t> indices;  // file indices, in frames' order
};
FileSubset read_subset(datasets::FrameSource& source, std::size_t size, int per_class, std::uint64_t seed);

/// Held-out samples: of the indices in [0, count) that are not in `exclude`, `size` drawn by the
/// same partial Fisher-Yates shuffle with Rng(seed), in draw order; all of them, in increasing
/// order, when size is 0 or at least their number.
std::vector<std::size_t> holdout_indices(std::size_t count, const std::vector<std::size_t>& exclude, std::size_t size,
                                         std::uint64_t seed);

/// The exponent the reference code derives from a loaded layer whose largest signed weight is
/// max_signed_magnitude * 2^exponent: ceil(log2(max(w) / 127)) evaluated in float32 as PyTorch
/// does; nullopt when max(w) <= 0 (log2 gives -inf or NaN: the layer decodes to zeros or NaNs,
/// i.e. it never spikes again, and stays so).
std::optional<int> reference_exponent(int max_signed_magnitude, int exponent);

/// A stored model as the reference's updateWeight decodes it once it is loaded (spec §6): every
/// weighted layer's bits decoded with reference_exponent(its signed maximum magnitude, its
/// exponent) instead of its own exponent (zeros when that is undefined). For an encrypted model
/// whose largest positive weights are flipped this lowers the searched layer's scale.
snn::Network reference_decoding(const snn::Network& net);

/// One evaluation of a reference-compatible search at which the searched layer's exponent
/// changed (it only ever drops). `to` nullopt: the layer went silent (see reference_exponent).
struct ExponentDrop {
  std::size_t evaluation = 0;  // 0-based index among the evaluator's evaluations
  int from = 0;
  std::optional<int> to;
};

/// How close a reference-compatible search came to dropping the exponent. The next evaluation
/// drops it exactly when the loaded individual's signed maximum magnitude is below 2^(q-2) = 64
/// (ceil(log2(M/127)) < 0; magnitudes are integers in units of the loaded step, so the line stays
/// at 64 after a drop), i.e. when no weight "blocks" it: no unflipped weight >= 64 and no flipped
/// weight <= -64 (float32 underflow near 2^-149 aside).
struct ExponentBlockers {
  std::size_t large_positive = 0;               // weights >= 64 in the layer as the reference reads it
  std::size_t large_negative = 0;               // weights <= -64
  std::vector<std::uint32_t> per_evaluation;    // blockers of each evaluated individual, in order
};

class SubsetEvaluator final : public FitnessEvaluator {
 public:
  /// `net` must be quantized; `threads` = 0 uses all hardware threads.
  /// reference_compat (spec §6, docs/encryption.md; layer-wise spaces only): individuals are
  /// decoded as the authors' code does it, with the searched layer's exponent re-derived from the
  /// weights of the individual evaluated before, in the order accuracies() receives them (the
  /// first one: the plain layer, re-read at the reference's exponent, see reference_wrapped_weights),
  /// and accuracies are float32 fractions as PyTorch returns them. The evaluator keeps that chain
  /// across calls, so one evaluator serves one search.
  SubsetEvaluator(const snn::Network& net, SearchSpace space, const datasets::FrameSet& subset, int threads = 0,
                  bool reference_compat = false);
  ~SubsetEvaluator() override;
  SubsetEvaluator(const SubsetEvaluator&) = delete;
  SubsetEvaluator& operator=(const SubsetEvaluator&) = delete;

  /// Parallel over individuals.
  std::vector<double> accuracies(std::span<const BitVector* const> individuals) override;
  /// Output spike counts [samples][classes] of the model carrying `flips` (single thread).
  [[nodiscard]] std::vector<std::int32_t> spike_counts(const BitVector& flips) const;
  [[nodiscard]] double accuracy(const BitVector& flips) const;
  [[nodiscard]] const SearchSpace& space() const;
  [[nodiscard]] std::size_t samples() const;

  // ---- reference-compatible mode only (empty / nullopt / 0 otherwise) ----
  /// Exponent the next individual evaluated (or loaded) gets; nullopt: silent.
  [[nodiscard]] std::optional<int> reference_next_exponent() const;
  /// The exponent of the plain layer as the reference reads it (plain exponent - shift).
  [[nodiscard]] int reference_plain_exponent() const;
  /// Individuals evaluated so far and the evaluations at which the exponent dropped.
  [[nodiscard]] std::size_t reference_evaluations() const;
  [[nodiscard]] const std::vector<ExponentDrop>& exponent_drops() const;
  /// Per evaluation, the weights keeping the exponent up (0: the next evaluation drops it).
  [[nodiscard]] const ExponentBlockers& exponent_blockers() const;
  /// Weights whose magnitude wrapped modulo 2^(q-1) when the plain layer was re-read at the
  /// reference's exponent (its signed maximum below 2^(q-2) lowers the exponent; 0 normally).
  [[nodiscard]] std::size_t reference_wrapped_weights() const;
  /// The network as the reference holds it after loading `flips` next (the searched layer decoded
  /// with reference_next_exponent(), zeros when silent). Does not advance the chain.
  [[nodiscard]] snn::Network reference_loaded_model(const BitVector& flips) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace snngx::ga
