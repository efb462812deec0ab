#include "snngx/ga/fitness.hpp"
#include "snngx/io/errors.hpp"
#include "snngx/io/threads.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>

#include "snngx/snn/geometry.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::ga {

// ---- search spaces, keys, encryption -----------------------------------------------------------

namespace {
void require_quantized(const snn::Network& net) {
  if (!net.quantized()) throw std::invalid_argument("the model is not quantized (run `snngx model quantize` first)");
}
}  // namespace

SearchSpace SearchSpace::layer(const snn::Network& net, std::size_t weighted_index) {
  require_quantized(net);
  if (weighted_index >= net.num_weighted())
    throw io::ParameterError("{layer} " + std::to_string(weighted_index) + " does not exist: the model has " +
                                std::to_string(net.num_weighted()) + " weighted layers (0.." +
                                std::to_string(net.num_weighted() - 1) + ")");
  SearchSpace s;
  s.segments.push_back({weighted_index, 0, net.weights(weighted_index).count()});
  return s;
}

SearchSpace SearchSpace::whole(const snn::Network& net) {
  require_quantized(net);
  SearchSpace s;
  std::size_t offset = 0;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) {
    s.segments.push_back({l, offset, net.weights(l).count()});
    offset += net.weights(l).count();
  }
  return s;
}

namespace {
void check_space(const SearchSpace& space, const BitVector& flips) {
  if (flips.size() != space.size())
    throw std::invalid_argument("individual has " + std::to_string(flips.size()) + " bits, the search space " +
                                std::to_string(space.size()));
}
}  // namespace

snn::Network apply_flips(const snn::Network& plain, const SearchSpace& space, const BitVector& flips) {
  check_space(space, flips);
  snn::Network net = plain;
  for (const auto& seg : space.segments)
    flips.for_each_set(seg.offset, seg.offset + seg.weights, [&](std::size_t j) { snn::flip_bit(net, seg.layer, j - seg.offset, 0); });
  return net;
}

crypto::XorKey make_key(const snn::Network& plain, const SearchSpace& space, const BitVector& flips) {
  check_space(space, flips);
  crypto::XorKey key;
  for (std::size_t l = 0; l < plain.num_weighted(); ++l) {
    const auto& w = plain.weights(l);
    crypto::LayerKey lk;
    lk.layer = static_cast<std::uint32_t>(l);
    lk.bits_per_weight = w.quant->bits;
    lk.total_bits = w.count() * static_cast<std::uint64_t>(w.quant->bits);
    for (const auto& seg : space.segments)
      if (seg.layer == l)
        flips.for_each_set(seg.offset, seg.offset + seg.weights, [&](std::size_t j) {
          lk.positions.push_back(static_cast<std::uint64_t>(j - seg.offset) * static_cast<std::uint64_t>(lk.bits_per_weight));
        });
    key.layers.push_back(std::move(lk));
  }
  return key;
}

namespace {

/// The first `size` indices of a partial Fisher-Yates shuffle of `idx` with Rng(seed)
/// (i = 0..size-1: swap(idx[i], idx[i + below(n - i)])), in draw order.
std::vector<std::size_t> draw_without_replacement(std::vector<std::size_t> idx, std::size_t size, std::uint64_t seed) {
  Rng rng(seed);
  for (std::size_t i = 0; i < size; ++i) std::swap(idx[i], idx[i + static_cast<std::size_t>(rng.below(idx.size() - i))]);
  idx.resize(size);
  return idx;
}

}  // namespace

std::vector<std::size_t> subset_indices(const datasets::FrameSet& frames, std::size_t size, int per_class, std::uint64_t seed) {
  return subset_indices(frames.labels, frames.num_classes(), size, per_class, seed);
}

std::vector<std::size_t> subset_indices(std::span<const std::int32_t> labels, int classes, std::size_t size, int per_class,
                                        std::uint64_t seed) {
  std::vector<std::size_t> chosen;
  if (per_class > 0) {
    std::vector<int> taken(static_cast<std::size_t>(std::max(classes, 0)), 0);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const auto c = static_cast<std::size_t>(labels[i]);
      if (c < taken.size() && taken[c] < per_class) {
        ++taken[c];
        chosen.push_back(i);
      }
    }
    // Fewer samples than asked would silently shrink the subset and skew it towards some classes
    // (classes absent from the file are not counted: a file may hold only some classes).
    for (std::size_t c = 0; c < taken.size(); ++c)
      if (taken[c] > 0 && taken[c] < per_class)
        throw std::invalid_argument("per class " + std::to_string(per_class) + " samples asked, but class " + std::to_string(c) +
                                    " has only " + std::to_string(taken[c]));
  } else {
    if (size == 0 || size > labels.size())
      throw io::ParameterError("{subset_size} " + std::to_string(size) + " must be in 1.." + std::to_string(labels.size()) +
                                  " (samples in the subset file)");
    std::vector<std::size_t> idx(labels.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    chosen = draw_without_replacement(std::move(idx), size, seed);
  }
  if (chosen.empty()) throw std::invalid_argument("the fitness subset is empty");
  return chosen;
}

datasets::FrameSet select_subset(const datasets::FrameSet& frames, std::size_t size, int per_class, std::uint64_t seed) {
  return frames.select(subset_indices(frames, size, per_class, seed));
}

FileSubset read_subset(datasets::FrameSource& source, std::size_t size, int per_class, std::uint64_t seed) {
  const std::vector<std::int32_t> labels = source.read_labels();
  FileSubset s;
  s.indices = subset_indices(labels, datasets::num_classes(source.meta().classes, labels), size, per_class, seed);
  s.frames = source.read_selected(s.indices);
  return s;
}

std::vector<std::size_t> holdout_indices(std::size_t count, const std::vector<std::size_t>& exclude, std::size_t size,
                                         std::uint64_t seed) {
  std::vector<bool> excluded(count, false);
  for (const std::size_t i : exclude)
    if (i < count) excluded[i] = true;
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < count; ++i)
    if (!excluded[i]) idx.push_back(i);
  if (size == 0 || size >= idx.size()) return idx;
  return draw_without_replacement(std::move(idx), size, seed);
}

// ---- the incremental evaluator ----------------------------------------------------------------------

namespace {

/// One nonzero input value of the searched layer for subset sample/time step `nt`.
struct Entry {
  std::uint32_t nt = 0;   // n * T + t
  std::uint32_t pos = 0;  // iy * W + ix inside the channel (conv), 0 (linear)
  std::int32_t count = 0;
};

/// Everything about one weighted layer that does not depend on the individual.
struct LayerCache {
  std::size_t weighted = 0, net_layer = 0;
  // False for recurrent weights (a Neuron layer's input depends on its own flipped output): the
  // individual then runs from this layer onward on the flipped network, from `raw` inputs.
  bool cached = true;
  std::vector<std::vector<float>> raw;  // uncached only: the activation entering the layer, per (n,t)
  bool conv = false;
  std::vector<float> bias;  // per output (channel), added after the scaled integer sum as the engines do
  int in = 0;  // linear: in_features; conv: in_channels
  snn::geometry::Window window;  // conv only
  std::size_t out_numel = 0, per_out = 0;  // outputs per (n,t); weights per output neuron / channel
  std::size_t out_channels = 0, out_plane = 1, nt_count = 0;  // out_numel = out_channels * out_plane
  float scale = 1.0f;
  std::vector<std::int16_t> w;            // signed magnitudes, PyTorch order
  std::vector<std::uint32_t> begin;       // entries of input feature / channel i: [begin[i], begin[i+1])
  std::vector<Entry> entries;
  // Integer currents of the plain layer, laid out [out channel][nt][out plane] so that the
  // updates of one weight (one output channel, all (n,t)) stay within a few cache lines.
  std::vector<std::int32_t> plain;

  [[nodiscard]] std::size_t index(std::size_t o, std::size_t nt, std::size_t p) const { return (o * nt_count + nt) * out_plane + p; }

  /// acc += mult * (contribution of weight k with unit value), for every (n,t).
  void add(std::size_t k, std::int32_t mult, std::int32_t* acc) const {
    const std::size_t o = k / per_out, r = k % per_out;
    if (!conv) {
      std::int32_t* row = acc + o * nt_count;
      for (std::uint32_t e = begin[r]; e < begin[r + 1]; ++e) row[entries[e].nt] += mult * entries[e].count;
      return;
    }
    const int kh = window.y.kernel, kw = window.x.kernel, W = window.x.in, OW = window.out_width();
    const std::size_t ci = r / static_cast<std::size_t>(kh * kw);
    const int ky = static_cast<int>(r / static_cast<std::size_t>(kw)) % kh, kx = static_cast<int>(r % static_cast<std::size_t>(kw));
    const std::size_t base = o * nt_count * out_plane;
    for (std::uint32_t e = begin[ci]; e < begin[ci + 1]; ++e) {
      // The output that weight tap (ky, kx) carries this input to, if any.
      const int oy = window.y.output(static_cast<int>(entries[e].pos) / W, ky);
      const int ox = window.x.output(static_cast<int>(entries[e].pos) % W, kx);
      if (oy < 0 || ox < 0) continue;
      acc[base + entries[e].nt * out_plane + static_cast<std::size_t>(oy) * OW + ox] += mult * entries[e].count;
    }
  }
};

// Quantized Linear/Conv2d inputs are whole numbers (snn::Engine refuses anything else), so the
// integer currents below are exact; biases are added after scaling, in the engines' order.
LayerCache make_cache(const snn::Network& net, std::size_t weighted, std::vector<std::vector<float>>&& inputs) {
  LayerCache c;
  c.weighted = weighted;
  c.net_layer = net.weighted_layers()[weighted];
  const auto shapes = net.layer_output_shapes();
  const snn::Shape in_shape = c.net_layer == 0 ? net.input_shape : shapes[c.net_layer - 1];
  const snn::Layer& layer = net.layers[c.net_layer];
  c.out_numel = snn::numel(shapes[c.net_layer]);
  c.out_channels = static_cast<std::size_t>(shapes[c.net_layer][0]);
  c.out_plane = c.out_numel / c.out_channels;
  c.nt_count = inputs.size();
  if (std::holds_alternative<snn::Neuron>(layer)) {  // recurrent weights: no cache
    c.cached = false;
    c.raw = std::move(inputs);
    return c;
  }
  const snn::Weights* weights = nullptr;
  if (const auto* L = std::get_if<snn::Linear>(&layer)) {
    c.in = L->in_features;
    c.per_out = static_cast<std::size_t>(L->in_features);
    c.bias = L->bias;
    weights = &L->weight;
  } else {
    const auto& C = std::get<snn::Conv2d>(layer);
    c.conv = true;
    c.in = C.in_channels;
    c.window = snn::geometry::window(C, in_shape);
    c.per_out = static_cast<std::size_t>(C.in_channels) * static_cast<std::size_t>(c.window.taps());
    c.bias = C.bias;
    weights = &C.weight;
  }
  c.scale = std::ldexp(1.0f, weights->quant->exponent);
  c.w.reserve(weights->count());
  for (const auto b : weights->quant->weight_bits) c.w.push_back(static_cast<std::int16_t>(snn::signed_magnitude(b)));

  // Bucket the nonzero inputs by feature (linear) or channel (conv), (n,t) ascending inside.
  const std::size_t plane = c.conv ? c.window.in_positions() : 1;
  c.begin.assign(static_cast<std::size_t>(c.in) + 1, 0);
  for (const auto& x : inputs)
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i] != 0.0f) ++c.begin[i / plane + 1];
  std::partial_sum(c.begin.begin(), c.begin.end(), c.begin.begin());
  c.entries.resize(c.begin.back());
  std::vector<std::uint32_t> fill(c.begin.begin(), c.begin.end() - 1);
  for (std::size_t nt = 0; nt < inputs.size(); ++nt)
    for (std::size_t i = 0; i < inputs[nt].size(); ++i)
      if (inputs[nt][i] != 0.0f)
        c.entries[fill[i / plane]++] = {static_cast<std::uint32_t>(nt), static_cast<std::uint32_t>(i % plane),
                                        static_cast<std::int32_t>(inputs[nt][i])};

  c.plain.assign(inputs.size() * c.out_numel, 0);
  for (std::size_t k = 0; k < c.w.size(); ++k)
    if (c.w[k] != 0) c.add(k, c.w[k], c.plain.data());
  return c;
}

}  // namespace

std::optional<int> reference_exponent(int max_signed_magnitude, int exponent) {
  // The reference: w_max = torch.max(weight) (float32: magnitude * 2**e, exact or 0 below 2^-149),
  // then torch.ceil(torch.log2(w_max / 127)) in float32.
  const float w_max = static_cast<float>(max_signed_magnitude) * std::ldexp(1.0f, exponent);
  if (!(w_max > 0.0f)) return std::nullopt;
  return static_cast<int>(std::ceil(std::log2(w_max / 127.0f)));
}

namespace {

/// Exponent used for a silent layer: 2^e is 0 in float32, so the layer decodes to zeros.
constexpr int kSilentExponent = -1000;

/// Re-reads a plain quantized layer as the reference's quantize_to_binary does: at the exponent
/// derived from its signed maximum, magnitudes shifted up and wrapped modulo 128 when that
/// exponent is lower. Returns the number of weights that wrapped.
std::size_t requantize_like_reference(snn::Weights& w) {
  auto& q = *w.quant;
  if (q.bits != 8) throw io::ParameterError("{reference_compat} supports 8-bit weights only (the reference's 127)");
  int max_signed = std::numeric_limits<int>::min();
  for (const auto b : q.weight_bits) max_signed = std::max(max_signed, snn::signed_magnitude(b));
  const auto e = reference_exponent(max_signed, q.exponent);
  if (!e) throw io::ParameterError("{reference_compat}: the searched layer has no positive weight (the reference's exponent is undefined)");
  const int shift = q.exponent - *e;
  if (shift <= 0) return 0;
  std::size_t wrapped = 0;
  for (auto& b : q.weight_bits) {
    const int mag = (b & 0x7F) << shift;
    wrapped += mag > 0x7F;
    b = static_cast<std::uint8_t>((b & 0x80) | (mag & 0x7F));
  }
  q.exponent = *e;
  snn::dequantize_into(w);
  return wrapped;
}

}  // namespace

snn::Network reference_decoding(const snn::Network& net) {
  require_quantized(net);
  snn::Network out = net;
  for (std::size_t l = 0; l < out.num_weighted(); ++l) {
    auto& w = out.weights(l);
    int max_signed = std::numeric_limits<int>::min();
    for (const auto b : w.quant->weight_bits) max_signed = std::max(max_signed, snn::signed_magnitude(b));
    w.quant->exponent = reference_exponent(max_signed, w.quant->exponent).value_or(kSilentExponent);
    snn::dequantize_into(w);
  }
  return out;
}

struct SubsetEvaluator::Impl {
  snn::Network net;
  SearchSpace space;
  snn::Engine engine;
  int T = 0, classes = 0, threads = 1;
  std::size_t samples = 0;
  std::vector<std::int32_t> labels;
  std::vector<LayerCache> caches;  // one per segment

  struct Scratch {
    std::vector<std::int32_t> acc;
    std::vector<float> current;
  };
  tbb::enumerable_thread_specific<Scratch> scratch;

  // Reference-compatible mode: the chain of exponents (spec §6). `loaded_*` describe the layer
  // as the reference currently holds it: exponent (nullopt: silent) and signed maximum magnitude.
  struct ReferenceChain {
    bool on = false;
    int plain_exponent = 0;
    std::size_t wrapped = 0;
    std::optional<int> loaded_exponent;
    int loaded_max = 0;
    std::size_t evaluations = 0;
    std::vector<ExponentDrop> drops;
    ExponentBlockers blockers;
    std::vector<std::uint32_t> by_value_desc;  // weight indices, signed magnitude descending
  } ref;

  /// The drop line of spec §6 in magnitude units: a signed maximum below it lowers the exponent.
  static constexpr int kDropLine = 64;

  Impl(const snn::Network& n, SearchSpace s, const datasets::FrameSet& subset, int th, bool reference_compat)
      : net(n), space(std::move(s)), engine(n, snn::EngineKind::Event) {
    require_quantized(net);
    snn::check_compatible(net, subset.shape);
    if (subset.size() == 0) throw std::invalid_argument("the fitness subset is empty");
    T = subset.shape.t;  // T comes from the frame file
    classes = net.num_classes;
    threads = io::thread_count(th);
    samples = subset.size();
    labels = subset.labels;
    if (reference_compat) start_reference_chain();
    build_caches(subset);
    if (ref.on) sort_by_value();
  }

  void start_reference_chain() {
    if (space.segments.size() != 1) throw io::ParameterError("{reference_compat} searches one layer (not {whole}), as the paper's runs do");
    auto& w = net.weights(space.segments[0].layer);
    ref.on = true;
    ref.wrapped = requantize_like_reference(w);
    ref.plain_exponent = w.quant->exponent;
    ref.loaded_exponent = ref.plain_exponent;  // the plain model is what is loaded first
  }

  void sort_by_value() {
    const auto& v = caches[0].w;
    ref.by_value_desc.resize(v.size());
    std::iota(ref.by_value_desc.begin(), ref.by_value_desc.end(), std::uint32_t{0});
    std::stable_sort(ref.by_value_desc.begin(), ref.by_value_desc.end(), [&](std::uint32_t a, std::uint32_t b) { return v[a] > v[b]; });
    ref.loaded_max = v.empty() ? 0 : v[ref.by_value_desc.front()];
    ref.blockers.large_positive = static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [](auto x) { return x >= kDropLine; }));
    ref.blockers.large_negative = static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [](auto x) { return x <= -kDropLine; }));
  }

  /// Unflipped weights >= 64 plus flipped weights <= -64: the ends of the sorted order.
  [[nodiscard]] std::uint32_t blockers(const BitVector& flips) const {
    const auto& order = ref.by_value_desc;
    std::uint32_t n = 0;
    for (std::size_t i = 0; i < ref.blockers.large_positive; ++i) n += !flips.test(order[i]);
    for (std::size_t i = 0; i < ref.blockers.large_negative; ++i) n += flips.test(order[order.size() - 1 - i]);
    return n;
  }

  /// Largest signed magnitude of the layer carrying `flips`: max of the largest unflipped value and
  /// the largest negated flipped one, each found by walking the sorted order only as far as needed.
  [[nodiscard]] int signed_max(const BitVector& flips) const {
    const auto& v = caches[0].w;
    const auto& order = ref.by_value_desc;
    int best = std::numeric_limits<int>::min();
    for (const auto k : order)
      if (!flips.test(k)) {
        best = v[k];
        break;
      }
    for (auto it = order.rbegin(); it != order.rend() && -v[*it] > best; ++it)
      if (flips.test(*it)) {
        best = -v[*it];
        break;
      }
    return best;
  }

  [[nodiscard]] std::optional<int> next_exponent() const {
    return ref.loaded_exponent ? reference_exponent(ref.loaded_max, *ref.loaded_exponent) : std::nullopt;
  }

  /// Loads `flips` as the reference does; returns the exponent it was decoded with.
  std::optional<int> load(const BitVector& flips) {
    const std::optional<int> e = next_exponent();
    if (ref.loaded_exponent && e != ref.loaded_exponent) ref.drops.push_back({ref.evaluations, *ref.loaded_exponent, e});
    ref.loaded_exponent = e;
    ref.loaded_max = signed_max(flips);
    ref.blockers.per_evaluation.push_back(blockers(flips));
    ++ref.evaluations;
    return e;
  }

  void build_caches(const datasets::FrameSet& subset) {
    // Run the plain network once over the subset, recording the activation entering every
    // searched layer at every (n, t).
    const auto wl = net.weighted_layers();
    std::vector<std::size_t> stops;
    for (const auto& seg : space.segments) stops.push_back(wl[seg.layer]);
    std::vector<std::vector<std::vector<float>>> inputs(stops.size(), std::vector<std::vector<float>>(samples * static_cast<std::size_t>(T)));
    const auto state = engine.new_state();
    const std::size_t step_size = snn::numel(net.input_shape);
    std::vector<float> frame(step_size);
    for (std::size_t n = 0; n < samples; ++n) {
      engine.reset(*state);
      const auto sample = subset.sample(n);
      for (int t = 0; t < T; ++t) {
        const auto in = sample.subspan(static_cast<std::size_t>(t) * step_size, step_size);
        std::copy(in.begin(), in.end(), frame.begin());
        std::span<const float> x = frame;
        std::vector<float> hold;
        std::size_t at = 0;
        for (std::size_t s = 0; s < stops.size(); ++s) {
          if (stops[s] > at) {
            x = engine.step(*state, at, stops[s], x);
            at = stops[s];
          }
          inputs[s][n * static_cast<std::size_t>(T) + static_cast<std::size_t>(t)].assign(x.begin(), x.end());
        }
        // Finish the step so the state of later layers stays consistent for the next t.
        hold.assign(x.begin(), x.end());
        engine.step(*state, at, net.layers.size(), hold);
      }
    }
    for (std::size_t s = 0; s < stops.size(); ++s) caches.push_back(make_cache(net, space.segments[s].layer, std::move(inputs[s])));
  }

  /// Full re-evaluation from segment `first`'s layer onward on the flipped network (the slow,
  /// obviously correct path for layers the cache cannot take); earlier layers are plain.
  std::vector<std::int32_t> spike_counts_uncached(const LayerCache& c, const BitVector& flips) const {
    const snn::Engine eng(apply_flips(net, space, flips), snn::EngineKind::Event);
    const auto state = eng.new_state();
    std::vector<std::int32_t> counts(samples * static_cast<std::size_t>(classes), 0);
    for (std::size_t n = 0; n < samples; ++n) {
      eng.reset(*state);
      for (int t = 0; t < T; ++t) {
        const auto out = eng.step(*state, c.net_layer, net.layers.size(), c.raw[n * static_cast<std::size_t>(T) + static_cast<std::size_t>(t)]);
        for (int k = 0; k < classes; ++k) counts[n * static_cast<std::size_t>(classes) + static_cast<std::size_t>(k)] += out[static_cast<std::size_t>(k)] != 0.0f;
      }
    }
    return counts;
  }

  /// Integer currents of segment s's layer carrying the individual's flips in that segment.
  void currents(std::size_t s, const BitVector& flips, std::vector<std::int32_t>& acc) const {
    const auto& seg = space.segments[s];
    const LayerCache& c = caches[s];
    acc = c.plain;
    const std::size_t flipped = flips.count(seg.offset, seg.offset + seg.weights);
    if (2 * flipped <= seg.weights) {
      flips.for_each_set(seg.offset, seg.offset + seg.weights, [&](std::size_t j) {
        const std::size_t k = j - seg.offset;
        if (c.w[k] != 0) c.add(k, -2 * c.w[k], acc.data());
      });
    } else {  // mostly flipped: start from the fully negated layer, restore the unflipped weights
      for (auto& a : acc) a = -a;
      flips.for_each_clear(seg.offset, seg.offset + seg.weights, [&](std::size_t j) {
        const std::size_t k = j - seg.offset;
        if (c.w[k] != 0) c.add(k, 2 * c.w[k], acc.data());
      });
    }
  }

  std::vector<std::int32_t> spike_counts(const BitVector& flips, Scratch& sc, std::optional<float> scale = std::nullopt) const {
    check_space(space, flips);
    // The first segment carrying flips (layer-wise mode: the only one).
    std::size_t first = 0;
    while (first + 1 < space.segments.size() &&
           flips.count(space.segments[first].offset, space.segments[first].offset + space.segments[first].weights) == 0)
      ++first;
    if (!caches[first].cached) return spike_counts_uncached(caches[first], flips);
    bool later_flips = false;
    for (std::size_t s = first + 1; s < space.segments.size(); ++s)
      later_flips = later_flips || flips.count(space.segments[s].offset, space.segments[s].offset + space.segments[s].weights) > 0;
    // Later layers with flips run on an engine compiled from the flipped network (whole-model mode).
    std::unique_ptr<snn::Engine> flipped_engine;
    if (later_flips) {
      BitVector later = flips;
      for (std::size_t j = 0; j < space.segments[first].offset + space.segments[first].weights; ++j) later.reset(j);
      flipped_engine = std::make_unique<snn::Engine>(apply_flips(net, space, later), snn::EngineKind::Event);
    }
    const snn::Engine& eng = flipped_engine ? *flipped_engine : engine;
    const LayerCache& c = caches[first];
    currents(first, flips, sc.acc);
    sc.current.resize(c.out_numel);
    const float layer_scale = scale.value_or(c.scale);
    const auto state = eng.new_state();
    std::vector<std::int32_t> counts(samples * static_cast<std::size_t>(classes), 0);
    for (std::size_t n = 0; n < samples; ++n) {
      eng.reset(*state);
      for (int t = 0; t < T; ++t) {
        const std::size_t nt = n * static_cast<std::size_t>(T) + static_cast<std::size_t>(t);
        for (std::size_t o = 0; o < c.out_channels; ++o) {
          const std::int32_t* a = sc.acc.data() + c.index(o, nt, 0);
          float* current = sc.current.data() + o * c.out_plane;
          for (std::size_t p = 0; p < c.out_plane; ++p) current[p] = static_cast<float>(a[p]) * layer_scale;
          if (!c.bias.empty())
            for (std::size_t p = 0; p < c.out_plane; ++p) current[p] += c.bias[o];
        }
        const auto out = eng.step(*state, c.net_layer + 1, net.layers.size(), sc.current);
        for (int k = 0; k < classes; ++k) counts[n * static_cast<std::size_t>(classes) + static_cast<std::size_t>(k)] += out[static_cast<std::size_t>(k)] != 0.0f;
      }
    }
    return counts;
  }

  double accuracy(const BitVector& flips, Scratch& sc, std::optional<float> scale = std::nullopt) const {
    const auto counts = spike_counts(flips, sc, scale);
    std::size_t ok = 0;
    for (std::size_t n = 0; n < samples; ++n)
      ok += snn::argmax(std::span<const std::int32_t>(counts).subspan(n * static_cast<std::size_t>(classes), static_cast<std::size_t>(classes))) == labels[n];
    // The reference's (num_correct / num_sample).item(): a float32 quotient.
    if (ref.on) return static_cast<double>(static_cast<float>(ok) / static_cast<float>(samples));
    return static_cast<double>(ok) / static_cast<double>(samples);
  }

  static float scale_of(std::optional<int> exponent) { return std::ldexp(1.0f, exponent.value_or(kSilentExponent)); }
};

SubsetEvaluator::SubsetEvaluator(const snn::Network& net, SearchSpace space, const datasets::FrameSet& subset, int threads,
                                 bool reference_compat)
    : impl_(std::make_unique<Impl>(net, std::move(space), subset, threads, reference_compat)) {}
SubsetEvaluator::~SubsetEvaluator() = default;

std::vector<double> SubsetEvaluator::accuracies(std::span<const BitVector* const> individuals) {
  std::vector<double> acc(individuals.size(), 0.0);
  // Reference-compatible mode: the exponents depend only on the individuals' bits, so the
  // sequential chain is walked first and the (independent) evaluations still run in parallel.
  std::vector<std::optional<float>> scales(individuals.size());
  if (impl_->ref.on)
    for (std::size_t i = 0; i < individuals.size(); ++i) {
      check_space(impl_->space, *individuals[i]);
      scales[i] = Impl::scale_of(impl_->load(*individuals[i]));
    }
  tbb::task_arena arena(impl_->threads);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, individuals.size(), 1), [&](const tbb::blocked_range<std::size_t>& r) {
      auto& sc = impl_->scratch.local();
      for (std::size_t i = r.begin(); i != r.end(); ++i) acc[i] = impl_->accuracy(*individuals[i], sc, scales[i]);
    });
  });
  return acc;
}

std::optional<int> SubsetEvaluator::reference_next_exponent() const { return impl_->ref.on ? impl_->next_exponent() : std::nullopt; }
int SubsetEvaluator::reference_plain_exponent() const { return impl_->ref.plain_exponent; }
std::size_t SubsetEvaluator::reference_evaluations() const { return impl_->ref.evaluations; }
const std::vector<ExponentDrop>& SubsetEvaluator::exponent_drops() const { return impl_->ref.drops; }
const ExponentBlockers& SubsetEvaluator::exponent_blockers() const { return impl_->ref.blockers; }
std::size_t SubsetEvaluator::reference_wrapped_weights() const { return impl_->ref.wrapped; }

snn::Network SubsetEvaluator::reference_loaded_model(const BitVector& flips) const {
  if (!impl_->ref.on) throw std::logic_error("reference_loaded_model needs a reference-compatible evaluator");
  snn::Network loaded = apply_flips(impl_->net, impl_->space, flips);  // impl_->net: the layer as the reference re-read it
  auto& w = loaded.weights(impl_->space.segments[0].layer);
  w.quant->exponent = impl_->next_exponent().value_or(kSilentExponent);
  snn::dequantize_into(w);
  return loaded;
}

std::vector<std::int32_t> SubsetEvaluator::spike_counts(const BitVector& flips) const {
  Impl::Scratch sc;
  return impl_->spike_counts(flips, sc);
}
double SubsetEvaluator::accuracy(const BitVector& flips) const {
  Impl::Scratch sc;
  return impl_->accuracy(flips, sc);
}
const SearchSpace& SubsetEvaluator::space() const { return impl_->space; }
std::size_t SubsetEvaluator::samples() const { return impl_->samples; }

}  // namespace snngx::ga
