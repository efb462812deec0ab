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

/// XORs the key's bit positions into the network's weight_bits (an involution; updates values).
/// Does not change `state` or `key_fingerprint`.
void xor_key_into(snn::Network& net, const crypto::XorKey& key);

/// The stored form of an encrypted model: plain XOR key, state "encrypted", the given fingerprint.
snn::Network encrypt_model(const snn::Network& plain, const crypto::XorKey& key, const std::string& fingerprint);

/// Fitness subset: per_class > 0 takes the first `per_class` samples of every class in file
/// order; otherwise `size` samples drawn without replacement by a partial Fisher-Yates shuffle
/// with Rng(seed) (i = 0..size-1: swap(idx[i], idx[i + below(n - i)])), kept in draw order.
datasets::FrameSet select_subset(const datasets::FrameSet& frames, std::size_t size, int per_class, std::uint64_t seed);
/// The sample indices select_subset takes, in its order.
std::vector<std::size_t> subset_indices(const datasets::FrameSet& frames, std::size_t size, int per_class, std::uint64_t seed);

/// Held-out samples: of the indices in [0, count) that are not in `exclude`, `size` drawn by the
/// same partial Fisher-Yates shuffle with Rng(seed), in draw order; all of them, in increasing
/// order, when size is 0 or at least their number.
std::vector<std::size_t> holdout_indices(std::size_t count, const std::vector<std::size_t>& exclude, std::size_t size,
                                         std::uint64_t seed);

class SubsetEvaluator final : public FitnessEvaluator {
 public:
  /// `net` must be quantized; `threads` = 0 uses all hardware threads.
  SubsetEvaluator(const snn::Network& net, SearchSpace space, const datasets::FrameSet& subset, int threads = 0);
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace snngx::ga
