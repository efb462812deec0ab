#include "snngx/snn/inference.hpp"
#include "snngx/io/threads.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <string>
#include <type_traits>

#include "event_conv.hpp"
#include "neuron_coefficients.hpp"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include "snngx/snn/geometry.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::snn {
namespace {

enum class Op { Linear, Conv2d, Lif, MaxPool2d, Flatten, Pool2d, Scale, Neuron };

// Ops whose parameters are indexed by (c, y, x): the event engine gives them channels-first input.
bool channels_first_only(Op op) { return op == Op::Pool2d || op == Op::Scale || op == Op::Neuron; }

/// A layer prepared for one engine. Event engines keep weights transposed so that the weights
/// an active input touches are contiguous ([in][out] and [cin][kh][kw][cout]).
struct Compiled {
  Op op{};
  Shape in_shape, out_shape;
  // Linear / Conv2d
  bool quantized = false;
  float scale = 1.0f;           // 2^e for quantized layers
  std::vector<float> wf;        // float weights (float models)
  std::vector<std::int8_t> wi;   // signed magnitudes (quantized models; |m| <= 127)
  // Event engine, quantized Linear: each input's row of `wi` is padded with zeros to row_stride
  // (whole 32-lane blocks), so a row add is whole SIMD vectors even for 10 outputs.
  std::size_t row_stride = 0;
  // Event engine: this quantized Linear (no bias) and the next layer's LIF run as one step
  // (linear_lif): the integer sums go straight into the LIF, whose spikes leave as an index list.
  bool fused_lif = false;
  int cin = 0, cout = 0, kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
  // Conv2d, MaxPool2d, Pool2d: the window (snngx/snn/geometry.hpp); the event engine's paths use
  // it, the dense reference keeps its own arithmetic on the plain parameters.
  geometry::Window window;
  // Event-driven Conv2d: for input row y, the (ky, oy) pairs it reaches (and the same for columns),
  // so that the scatter loop does no division or bounds test.
  geometry::Taps row_taps, col_taps;
  // Fused event stage (event_conv.hpp): this quantized Conv2d, the next layer's LIF and a following
  // MaxPool2d run as one on spike bitmaps. Per kernel offset, the (output, input) coordinate pairs
  // it joins (the first stage uses row_taps / col_taps); offsets of the bitmaps in State::bucket.
  bool fused = false, fused_pool = false;
  int max_magnitude = 0;
  detail::TapMajorWeights tap_major;  // `wi` for spike inputs (event_conv.hpp: conv_lif_tap_major)
  geometry::Taps offset_row_taps, offset_col_taps;
  std::size_t bits_in = 0, bits_out = 0, bits_pool = 0;
  // LIF
  float decay = 0.0f, threshold = 0.0f;
  // Event engine: the previous spike is recomputed as v > threshold instead of read from the
  // layer's output, which is exact whenever reset's v = 0, s = 0 agree (threshold >= 0). The
  // output map then only has to be written when a later layer reads it.
  bool derived_spikes = false;
  // MaxPool2d, Pool2d
  int pkh = 2, pkw = 2, psh = 2, psw = 2, pph = 0, ppw = 0;
  bool average = false;
  // Linear / Conv2d bias (empty: none), Scale factors
  std::vector<float> bias, factors;
  // Neuron, discretised by forward Euler (docs/formats.md), one value per neuron:
  //   i = syn_decay * i + syn_gain * x            (CubaLIF only; x becomes i)
  //   v = decay * reset(v) + gain * x + leak
  //   s = v > threshold                           (spiking models; others output v)
  NeuronModel model = NeuronModel::Lif;
  ResetMode reset = ResetMode::Zero;
  bool spiking = true;
  std::vector<float> n_decay, n_gain, n_leak, n_threshold, n_reset, syn_decay, syn_gain;
  std::vector<Compiled> recurrent;  // 0 or 1 Linear [n, n] reading the layer's previous output
  // Whether the layer's output is whole numbers (spikes, counts), which quantized layers need.
  bool integer_output = true;
};

/// Per-neuron forward-Euler coefficients of a Neuron layer (double precision, then float32).
void compile_neuron(Compiled& c, const Neuron& n) {
  c.model = n.model;
  detail::NeuronCoefficients k = detail::neuron_coefficients(n, numel(c.out_shape));
  c.reset = k.reset;
  c.spiking = k.spiking;
  c.n_decay = std::move(k.decay);
  c.n_gain = std::move(k.gain);
  c.n_leak = std::move(k.leak);
  c.n_threshold = std::move(k.threshold);
  c.n_reset = std::move(k.v_reset);
  c.syn_decay = std::move(k.syn_decay);
  c.syn_gain = std::move(k.syn_gain);
}

// [out][in] -> [in][stride] (stride >= out, the padding zero), in tiles so that neither side is
// walked with a large stride for long (the MLP's 1.2 M weights compile in ~1 ms).
template <class T, class From>
std::vector<T> transpose_linear(std::span<const From> w, int out, int in, std::size_t stride) {
  std::vector<T> t(static_cast<std::size_t>(in) * stride, T{});
  constexpr int kTile = 64;
  for (int o0 = 0; o0 < out; o0 += kTile)
    for (int i0 = 0; i0 < in; i0 += kTile)
      for (int o = o0; o < std::min(out, o0 + kTile); ++o)
        for (int i = i0; i < std::min(in, i0 + kTile); ++i)
          t[static_cast<std::size_t>(i) * stride + o] = static_cast<T>(w[static_cast<std::size_t>(o) * in + i]);
  return t;
}

std::size_t padded_to_32(int n) { return (static_cast<std::size_t>(n) + 31) / 32 * 32; }

template <class T, class From>
std::vector<T> transpose_conv(std::span<const From> w, int cout, int cin, int kh, int kw) {
  std::vector<T> t(w.size());
  for (int o = 0; o < cout; ++o)
    for (int c = 0; c < cin; ++c)
      for (int y = 0; y < kh; ++y)
        for (int x = 0; x < kw; ++x)
          t[((static_cast<std::size_t>(c) * kh + y) * kw + x) * cout + o] =
              static_cast<T>(w[((static_cast<std::size_t>(o) * cin + c) * kh + y) * kw + x]);
  return t;
}

// weight_bits (sign-magnitude bytes, moved as they are) -> signed int8 magnitudes, in place, in one
// vectorizable pass (the padding's 0 stays 0).
void to_magnitudes(std::vector<std::int8_t>& w) {
  std::transform(w.begin(), w.end(), w.begin(),
                 [](std::int8_t b) { return static_cast<std::int8_t>(signed_magnitude(static_cast<std::uint8_t>(b))); });
}

// The engine's copy of a layer's weights: signed int8 magnitudes of a quantized layer, else the
// floats; transposed to input-major for the event engine. The bytes are transposed first and
// converted in place after, with no intermediate copy: fresh memory is dear at start-up.
void compile_weights(Compiled& c, const Weights& w, bool transpose) {
  c.quantized = w.quant.has_value();
  if (c.quantized) c.scale = std::ldexp(1.0f, w.quant->exponent);
  const std::span<const std::uint8_t> bits = c.quantized ? std::span<const std::uint8_t>(w.quant->weight_bits) : std::span<const std::uint8_t>{};
  const std::span<const float> values(w.values);
  if (!transpose) {
    c.wf = w.values;
    c.wi.assign(bits.begin(), bits.end());
  } else if (c.op == Op::Linear) {
    c.row_stride = c.quantized ? padded_to_32(c.cout) : static_cast<std::size_t>(c.cout);
    if (c.quantized) c.wi = transpose_linear<std::int8_t>(bits, c.cout, c.cin, c.row_stride);
    else c.wf = transpose_linear<float>(values, c.cout, c.cin, c.row_stride);
  } else {
    if (c.quantized) c.wi = transpose_conv<std::int8_t>(bits, c.cout, c.cin, c.kh, c.kw);
    else c.wf = transpose_conv<float>(values, c.cout, c.cin, c.kh, c.kw);
  }
  to_magnitudes(c.wi);
}

std::size_t words_for(int channels) { return (static_cast<std::size_t>(channels) + 31) / 32; }

/// Integer accumulation of a quantized layer in int16 lanes (twice the SIMD width of int32),
/// spilled into int32 totals before any lane could overflow. Every input of count n adds at most
/// 127 * n to any one output (it reaches each output through at most one weight), so the block
/// is flushed when that budget would pass INT16_MAX. Integer sums are exact in any grouping, so
/// the results equal plain int32 accumulation bit for bit.
class Int16Blocks {
 public:
  Int16Blocks(std::vector<std::int16_t>& narrow, std::vector<std::int32_t>& wide, std::size_t size)
      : acc16_(narrow), acc32_(wide), size_(size) {
    acc16_.assign(size, 0);
  }
  /// Whether one input of count n can go into the int16 lanes (127 * n must fit).
  static bool fits(std::int32_t n) { return 127LL * std::abs(static_cast<std::int64_t>(n)) <= kMax; }
  /// Makes room for one input of count n (fits(n)); returns the int16 accumulators to add into.
  std::int16_t* narrow(std::int32_t n) {
    const std::int64_t need = 127LL * std::abs(static_cast<std::int64_t>(n));
    if (budget_ + need > kMax) spill();
    budget_ += need;
    return acc16_.data();
  }
  /// The int32 totals, for inputs whose count is too large for the int16 lanes.
  std::int32_t* wide() {
    spill();
    return acc32_.data();
  }
  /// Writes y = total * scale for the first `count` lanes (the rest are row padding).
  void finish(float scale, std::vector<float>& y, std::size_t count) {
    y.resize(count);
    if (spilled_) {
      spill();
      for (std::size_t o = 0; o < count; ++o) y[o] = static_cast<float>(acc32_[o]) * scale;
    } else {
      for (std::size_t o = 0; o < count; ++o) y[o] = static_cast<float>(acc16_[o]) * scale;
    }
  }
  void finish(float scale, std::vector<float>& y) { finish(scale, y, size_); }

 private:
  static constexpr std::int64_t kMax = 32767;
  void spill() {
    if (!spilled_) {  // the vector is shared scratch: keep its size, zero only what is used
      if (acc32_.size() < size_) acc32_.resize(size_);
      std::fill_n(acc32_.begin(), size_, 0);
    }
    spilled_ = true;
    for (std::size_t o = 0; o < size_; ++o) acc32_[o] += acc16_[o];
    std::fill(acc16_.begin(), acc16_.end(), std::int16_t{0});
    budget_ = 0;
  }
  std::vector<std::int16_t>& acc16_;
  std::vector<std::int32_t>& acc32_;
  std::size_t size_;
  std::int64_t budget_ = 0;
  bool spilled_ = false;
};

}  // namespace

namespace {
/// One time step of a sparse input: canonical [C,H,W] indices (ascending) and their counts.
struct SparseStep {
  std::span<const std::uint32_t> index;
  std::span<const std::uint16_t> count;
};
}  // namespace

/// The working buffers of one step, private to the engine; each holds one thing. Reused from step
/// to step and sample to sample, so the steady state does not allocate.
struct Engine::State::Scratch {
  // Quantized sums (Int16Blocks): the int16 lanes and their exact int32 totals.
  std::vector<std::int16_t> narrow_sums;
  std::vector<std::int32_t> wide_sums;
  // A fused quantized Linear's currents, handed to its LIF (linear_lif, linear_lif_counts).
  std::vector<float> currents;
  // Indices of a float map's nonzero values, ascending, for a Linear that iterates them.
  std::vector<std::uint32_t> nonzero;
  // A Conv2d's nonzero inputs (canonical index, value) in (c, y, x) order, and the counting sort's
  // per-channel cursors that order a channels-last map (gather_active).
  std::vector<std::pair<std::uint32_t, float>> active;
  std::vector<std::uint32_t> channel_cursor;
  // The fused conv stages' spike bitmaps, at Compiled::bits_in / bits_out / bits_pool.
  std::vector<std::uint32_t> bitmaps;
  // The counts of the map entering a fused stage from floats or a sparse frame, channels-last
  // [H*W][cin], read only where its bitmap has a bit set.
  std::vector<std::int32_t> input_counts;
  // The fused conv stages' spike lists and partial sums (detail::conv_lif).
  detail::ConvScratch conv;
  // Per layer: the spiking neurons of a fused Linear + LIF, or a conv stage's spikes listed
  // through a Flatten for the fused Linear after it; ascending canonical indices.
  std::vector<std::vector<std::uint32_t>> spike_lists;
  // A recurrent Neuron layer's input current (feed-forward input + recurrent weights x output).
  std::vector<float> recurrent_current;
  // Layout copies: a channels-last map in [C,H,W] order for a layer that needs it; step()'s input
  // turned channels-last for a conv stage; the last layer's channels-last output as [C,H,W].
  std::vector<float> channels_first, input_channels_last, output_channels_first;
  // A sparse sample's current step: its cells relative to the step, and (engines that need a
  // map) the same densified.
  std::vector<std::uint32_t> step_cells;
  std::vector<float> step_frame;
};

Engine::State::State() : scratch_(std::make_unique<Scratch>()) {}
Engine::State::~State() = default;

struct Engine::Impl {
  static State::Scratch& scratch(State& s) { return *s.scratch_; }

  Network net;
  EngineKind kind;
  std::vector<Compiled> layers;
  // Whether each layer's output map is stored channels-last (event engine, conv stage only).
  std::vector<bool> out_cl;
  std::size_t bits_words = 0;  // words of Scratch::bitmaps the fused stages need
  // The layer that takes a sparse frame's active cells directly: the first Linear or Conv2d
  // after leading Flattens (identity on [C,H,W] order) in the event engine; npos = densify.
  std::size_t sparse_entry = std::string::npos;

  [[nodiscard]] bool in_cl(std::size_t i) const { return i > 0 && out_cl[i - 1]; }

  Impl(const Network& n, EngineKind k) : net(n), kind(k) { compile(); }
  Impl(Network&& n, EngineKind k) : net(std::move(n)), kind(k) { compile(); }

  void compile() {
    validate(net);
    const auto shapes = net.layer_output_shapes();
    Shape in = net.input_shape;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
      Compiled c;
      c.in_shape = in;
      c.out_shape = shapes[i];
      const Layer& l = net.layers[i];
      if (const auto* L = std::get_if<Linear>(&l)) {
        c.op = Op::Linear;
        c.cin = L->in_features;
        c.cout = L->out_features;
        compile_weights(c, L->weight, kind == EngineKind::Event);
        c.bias = L->bias;
      } else if (const auto* C = std::get_if<Conv2d>(&l)) {
        c.op = Op::Conv2d;
        c.cin = C->in_channels;
        c.cout = C->out_channels;
        c.kh = C->kernel[0], c.kw = C->kernel[1], c.sh = C->stride[0], c.sw = C->stride[1];
        c.ph = C->padding[0], c.pw = C->padding[1];
        compile_weights(c, C->weight, kind == EngineKind::Event);
        c.bias = C->bias;
        c.window = geometry::window(*C, in);
        c.row_taps = geometry::taps_by_input(c.window.y);
        c.col_taps = geometry::taps_by_input(c.window.x);
      } else if (const auto* N = std::get_if<Lif>(&l)) {
        c.op = Op::Lif;
        c.decay = N->decay;
        c.threshold = N->threshold;
        c.derived_spikes = kind == EngineKind::Event && !(c.threshold < 0.0f);
      } else if (const auto* P = std::get_if<MaxPool2d>(&l)) {
        c.op = Op::MaxPool2d;
        c.pkh = P->kernel[0], c.pkw = P->kernel[1], c.psh = P->stride[0], c.psw = P->stride[1];
        c.window = geometry::window(*P, in);
      } else if (const auto* Q = std::get_if<Pool2d>(&l)) {
        c.op = Op::Pool2d;
        c.average = Q->mode == Pool2d::Mode::Average;
        c.pkh = Q->kernel[0], c.pkw = Q->kernel[1], c.psh = Q->stride[0], c.psw = Q->stride[1];
        c.pph = Q->padding[0], c.ppw = Q->padding[1];
        c.window = geometry::window(*Q, in);
      } else if (const auto* S = std::get_if<Scale>(&l)) {
        c.op = Op::Scale;
        c.factors = S->factors;
      } else if (const auto* N = std::get_if<Neuron>(&l)) {
        c.op = Op::Neuron;
        compile_neuron(c, *N);
        if (N->recurrent) {
          Compiled r;
          r.op = Op::Linear;
          r.in_shape = r.out_shape = shapes[i];
          r.cin = r.cout = static_cast<int>(numel(shapes[i]));
          compile_weights(r, *N->recurrent, kind == EngineKind::Event);
          r.bias = N->recurrent_bias;
          c.recurrent.push_back(std::move(r));
        }
      } else {
        c.op = Op::Flatten;
      }
      check_integer_inputs(i, c);
      const bool cl = kind == EngineKind::Event &&
                      (c.op == Op::Conv2d || ((c.op == Op::Lif || c.op == Op::MaxPool2d) && in_cl(i)));
      out_cl.push_back(cl);
      layers.push_back(std::move(c));
      in = shapes[i];
    }
    plan_fused_stages();
    plan_fused_linear();
    plan_sparse_entry();
  }

  void plan_fused_linear() {
    if (kind != EngineKind::Event) return;
    for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
      Compiled& c = layers[i];
      const Compiled& next = layers[i + 1];
      c.fused_lif = c.op == Op::Linear && c.quantized && c.bias.empty() && next.op == Op::Lif && next.derived_spikes;
      if (c.fused_lif)
        for (const auto w : c.wi) c.max_magnitude = std::max(c.max_magnitude, std::abs(static_cast<int>(w)));
    }
  }

  void plan_sparse_entry() {
    if (kind != EngineKind::Event) return;
    std::size_t i = 0;
    while (i < layers.size() && layers[i].op == Op::Flatten) ++i;
    if (i < layers.size() && (layers[i].op == Op::Linear || layers[i].op == Op::Conv2d)) sparse_entry = i;
  }

  // Quantized layers multiply integer weights by their inputs as integers: refuse real-valued
  // inputs (from an average, a scale, a membrane or a bare weighted sum) rather than truncate them.
  void check_integer_inputs(std::size_t i, Compiled& c) const {
    const bool input_integer = i == 0 || layers[i - 1].integer_output;
    const auto refuse = [&](const std::string& what) {
      throw std::invalid_argument("layer " + std::to_string(i) + " (" + kind_name(net.layers[i]) + "): quantized " + what +
                                  " need whole-number inputs (spikes or counts), but layer " + std::to_string(i - 1) + " (" +
                                  kind_name(net.layers[i - 1]) + ") outputs real values; keep this model in float");
    };
    if ((c.op == Op::Linear || c.op == Op::Conv2d) && c.quantized && !input_integer) refuse("weights");
    if (!c.recurrent.empty() && c.recurrent[0].quantized && !c.spiking) refuse("recurrent weights of non-spiking neurons");
    switch (c.op) {
      case Op::Linear:
      case Op::Conv2d: c.integer_output = false; break;
      case Op::Lif: c.integer_output = true; break;
      case Op::Neuron: c.integer_output = c.spiking; break;
      case Op::Scale: c.integer_output = false; break;
      case Op::Pool2d: c.integer_output = input_integer && !c.average; break;
      case Op::MaxPool2d:
      case Op::Flatten: c.integer_output = input_integer; break;
    }
  }

  // Marks Conv2d -> LIF (-> MaxPool2d) runs the fused kernel can take and lays out their bitmaps.
  void plan_fused_stages() {
    if (kind != EngineKind::Event || !detail::conv_lif_available()) return;
    for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
      Compiled& c = layers[i];
      const Compiled& next = layers[i + 1];
      if (c.op != Op::Conv2d || !c.quantized || !c.bias.empty() || !detail::conv_lif_supports(c.cout) || next.op != Op::Lif ||
          !next.derived_spikes)
        continue;
      c.fused = true;
      c.fused_pool = i + 2 < layers.size() && layers[i + 2].op == Op::MaxPool2d;
      for (const auto w : c.wi) c.max_magnitude = std::max(c.max_magnitude, std::abs(static_cast<int>(w)));
      c.tap_major = detail::conv_lif_tap_major(c.wi, c.cin, c.kh, c.kw, c.cout);
      c.offset_row_taps = geometry::taps_by_offset(c.window.y);
      c.offset_col_taps = geometry::taps_by_offset(c.window.x);
      const auto positions = [](const Shape& s) { return static_cast<std::size_t>(s[1]) * static_cast<std::size_t>(s[2]); };
      c.bits_in = bits_words;
      bits_words += positions(c.in_shape) * words_for(c.cin);
      c.bits_out = bits_words;
      bits_words += positions(c.out_shape) * words_for(c.cout);
      c.bits_pool = bits_words;
      if (c.fused_pool) bits_words += positions(layers[i + 2].out_shape) * words_for(c.cout);
    }
  }

  // ---- dense reference: every input visited, PyTorch layouts, no cleverness -------------------
  static void linear_dense(const Compiled& c, std::span<const float> x, std::vector<float>& y) {
    y.assign(static_cast<std::size_t>(c.cout), 0.0f);
    for (int o = 0; o < c.cout; ++o) {
      if (c.quantized) {
        std::int64_t sum = 0;
        for (int i = 0; i < c.cin; ++i)
          sum += static_cast<std::int64_t>(c.wi[static_cast<std::size_t>(o) * c.cin + i]) * static_cast<std::int64_t>(x[i]);
        y[o] = static_cast<float>(sum) * c.scale;
      } else {
        float sum = 0.0f;
        for (int i = 0; i < c.cin; ++i) sum += c.wf[static_cast<std::size_t>(o) * c.cin + i] * x[i];
        y[o] = sum;
      }
    }
    add_bias(c, y, 1, false);
  }

  // Adds the per-output bias after the whole sum (the same step in both engines): `per` values
  // per output channel, channels-last or channels-first.
  static void add_bias(const Compiled& c, std::vector<float>& y, std::size_t per, bool cl) {
    if (c.bias.empty()) return;
    const std::size_t C = c.bias.size();
    for (std::size_t ch = 0; ch < C; ++ch)
      for (std::size_t p = 0; p < per; ++p) y[cl ? p * C + ch : ch * per + p] += c.bias[ch];
  }

  static void conv_dense(const Compiled& c, std::span<const float> x, std::vector<float>& y) {
    const int H = c.in_shape[1], W = c.in_shape[2], OH = c.out_shape[1], OW = c.out_shape[2];
    y.assign(static_cast<std::size_t>(c.cout) * OH * OW, 0.0f);
    for (int o = 0; o < c.cout; ++o)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          float fsum = 0.0f;
          std::int64_t isum = 0;
          for (int ci = 0; ci < c.cin; ++ci)
            for (int ky = 0; ky < c.kh; ++ky)
              for (int kx = 0; kx < c.kw; ++kx) {
                const int iy = oy * c.sh - c.ph + ky, ix = ox * c.sw - c.pw + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const float xv = x[(static_cast<std::size_t>(ci) * H + iy) * W + ix];
                const std::size_t wk = ((static_cast<std::size_t>(o) * c.cin + ci) * c.kh + ky) * c.kw + kx;
                if (c.quantized) isum += static_cast<std::int64_t>(c.wi[wk]) * static_cast<std::int64_t>(xv);
                else fsum += c.wf[wk] * xv;
              }
          y[(static_cast<std::size_t>(o) * OH + oy) * OW + ox] = c.quantized ? static_cast<float>(isum) * c.scale : fsum;
        }
    add_bias(c, y, static_cast<std::size_t>(OH) * OW, false);
  }

  // ---- event-driven: only nonzero inputs ------------------------------------------------------
  // Indices of the nonzero inputs, ascending (branch-free: inputs are often near 50 % active).
  static void nonzero_inputs(std::span<const float> x, std::vector<std::uint32_t>& list) {
    list.resize(x.size());
    std::size_t count = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      list[count] = static_cast<std::uint32_t>(i);
      count += x[i] != 0.0f;
    }
    list.resize(count);
  }

  // Large layers' weight columns come from beyond the L2 cache: fetch a few active inputs ahead.
  template <class W>
  static void prefetch_column(const W* w, std::size_t out, std::span<const std::uint32_t> active, std::size_t k) {
    constexpr std::size_t kLine = 64;
    if (k >= active.size()) return;
    const auto* col = reinterpret_cast<const char*>(w + static_cast<std::size_t>(active[k]) * out);
    for (std::size_t b = 0; b < out * sizeof(W); b += kLine) __builtin_prefetch(col + b);
  }
  static constexpr std::size_t kPrefetchAhead = 8;

  static void linear_event(const Compiled& c, std::span<const float> x, std::vector<float>& y, State& s) {
    nonzero_inputs(x, scratch(s).nonzero);
    linear_active(c, scratch(s).nonzero, [&](std::size_t, std::uint32_t i) { return x[i]; }, y, s);
  }

  // Adds the weight column of every active input (ascending), `value(k, i)` being the k-th active
  // input's value: from a float map, or straight from a sparse frame's counts.
  // Integer sums of a quantized event Linear over its active inputs (ascending), `value(k, i)`
  // being the k-th active input's count, into int16 lanes with exact int32 spills. Rows are
  // row_stride long (zero padded), so every add is whole vectors.
  template <class Value>
  static void accumulate_quantized(const Compiled& c, std::span<const std::uint32_t> active, const Value& value,
                                   Int16Blocks& blocks) {
    const std::size_t stride = c.row_stride;
    const std::int8_t* w = c.wi.data();
    for (std::size_t k = 0; k < kPrefetchAhead; ++k) prefetch_column(w, stride, active, k);
    for (std::size_t k = 0; k < active.size(); ++k) {
      prefetch_column(w, stride, active, k + kPrefetchAhead);
      const auto i = active[k];
      const auto n = static_cast<std::int32_t>(value(k, i));
      const std::int8_t* col = w + static_cast<std::size_t>(i) * stride;
      if (!Int16Blocks::fits(n)) {
        std::int32_t* acc = blocks.wide();
        for (std::size_t o = 0; o < stride; ++o) acc[o] += col[o] * n;
        continue;
      }
      std::int16_t* acc = blocks.narrow(n);
      if (n == 1)
        for (std::size_t o = 0; o < stride; ++o) acc[o] = static_cast<std::int16_t>(acc[o] + col[o]);
      else
        for (std::size_t o = 0; o < stride; ++o) acc[o] = static_cast<std::int16_t>(acc[o] + col[o] * n);
    }
  }

  // Adds the weight column of every active input (ascending), `value(k, i)` being the k-th active
  // input's value: from a float map, or straight from a sparse frame's counts.
  template <class Value>
  static void linear_active(const Compiled& c, std::span<const std::uint32_t> active, const Value& value, std::vector<float>& y,
                            State& s) {
    const auto out = static_cast<std::size_t>(c.cout);
    if (c.quantized) {
      Int16Blocks blocks(scratch(s).narrow_sums, scratch(s).wide_sums, c.row_stride);
      accumulate_quantized(c, active, value, blocks);
      blocks.finish(c.scale, y, out);
    } else {
      const float* w = c.wf.data();
      for (std::size_t k = 0; k < kPrefetchAhead; ++k) prefetch_column(w, out, active, k);
      y.assign(out, 0.0f);
      float* acc = y.data();
      for (std::size_t k = 0; k < active.size(); ++k) {  // ascending inputs: the dense engine's order
        prefetch_column(w, out, active, k + kPrefetchAhead);
        const float n = static_cast<float>(value(k, active[k]));
        const float* col = w + static_cast<std::size_t>(active[k]) * out;
        for (std::size_t o = 0; o < out; ++o) acc[o] += col[o] * n;
      }
    }
    add_bias(c, y, 1, false);
  }

  // A fused quantized Linear `c` and its LIF `n` (see Compiled::fused_lif): the same integer sums
  // and the same float LIF as linear_active + lif_event, but the currents stay in scratch and the
  // spikes leave as the ascending list of spiking neurons (what the next Linear iterates over),
  // so nothing rescans a spike map.
  template <class Value>
  static void linear_lif(const Compiled& c, const Compiled& n, std::span<const std::uint32_t> active, const Value& value,
                         std::vector<float>& v, std::vector<std::uint32_t>& spikes, State& s) {
    const auto out = static_cast<std::size_t>(c.cout);
    Int16Blocks blocks(scratch(s).narrow_sums, scratch(s).wide_sums, c.row_stride);
    accumulate_quantized(c, active, value, blocks);
    blocks.finish(c.scale, scratch(s).currents, out);
    lif_to_list(n, scratch(s).currents.data(), v.data(), out, spikes);
  }

  // The same for inputs given as counts (a sparse frame step) or, without counts, as spikes:
  // the int16 register kernel when this build has it (detail::linear_currents), else the loop.
  static void linear_lif_counts(const Compiled& c, const Compiled& n, std::span<const std::uint32_t> active, const std::uint16_t* counts,
                         std::vector<float>& v, std::vector<std::uint32_t>& spikes, State& s) {
    if (scratch(s).currents.size() < c.row_stride) scratch(s).currents.resize(c.row_stride);
    if (detail::linear_currents(c.wi.data(), c.row_stride, static_cast<std::size_t>(c.cout), active.data(), active.size(), counts,
                                c.max_magnitude, c.scale, scratch(s).currents.data())) {
      lif_to_list(n, scratch(s).currents.data(), v.data(), static_cast<std::size_t>(c.cout), spikes);
      return;
    }
    if (counts) linear_lif(c, n, active, [counts](std::size_t k, std::uint32_t) { return counts[k]; }, v, spikes, s);
    else linear_lif(c, n, active, [](std::size_t, std::uint32_t) { return 1; }, v, spikes, s);
  }

  // Reference LIF (v = v * decay * (1 - s) + I, s = v > threshold from the previous v) on `count`
  // neurons; the spiking ones are listed, ascending.
  static void lif_to_list(const Compiled& n, const float* current, float* v, std::size_t count, std::vector<std::uint32_t>& spikes) {
    spikes.resize(count + 16);  // room for a whole vector of indices past the last
    std::uint32_t* list = spikes.data();
    std::size_t found = 0, o = 0;
#if defined(__AVX512F__)
    const __m512 decay = _mm512_set1_ps(n.decay), th = _mm512_set1_ps(n.threshold);
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i sixteen = _mm512_set1_epi32(16);
    for (; o + 16 <= count; o += 16) {
      const __m512 old = _mm512_loadu_ps(v + o);
      const __m512 keep = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(old, th, _CMP_GT_OQ), one, zero);  // 1 - s
      const __m512 now = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(old, decay), keep), _mm512_loadu_ps(current + o));
      _mm512_storeu_ps(v + o, now);
      const __mmask16 fired = _mm512_cmp_ps_mask(now, th, _CMP_GT_OQ);
      _mm512_mask_compressstoreu_epi32(list + found, fired, index);
      found += static_cast<std::size_t>(__builtin_popcount(fired));
      index = _mm512_add_epi32(index, sixteen);
    }
#endif
    for (; o < count; ++o) {
      const float previous = v[o] > n.threshold ? 1.0f : 0.0f;
      v[o] = v[o] * n.decay * (1.0f - previous) + current[o];
      list[found] = static_cast<std::uint32_t>(o);
      found += v[o] > n.threshold;
    }
    spikes.resize(found);
  }

  // A spike list as the 0/1 map it stands for.
  static void list_to_floats(std::span<const std::uint32_t> list, std::size_t count, std::vector<float>& y) {
    y.assign(count, 0.0f);
    for (const auto i : list) y[i] = 1.0f;
  }

  // Nonzero inputs of a [C,H,W] map in (c, y, x) order — the order the dense engine sums in, so
  // float results agree bit for bit. `cl` says the map is stored channels-last ([H][W][C]).
  static void gather_active(const Compiled& c, std::span<const float> x, bool cl, State& s) {
    const std::size_t C = static_cast<std::size_t>(c.in_shape[0]);
    const std::size_t HW = static_cast<std::size_t>(c.in_shape[1]) * c.in_shape[2];
    scratch(s).active.clear();
    if (!cl) {
      for (std::size_t i = 0; i < x.size(); ++i)
        if (x[i] != 0.0f) scratch(s).active.emplace_back(static_cast<std::uint32_t>(i), x[i]);
      return;
    }
    // Counting sort by channel: one pass to count, one to place.
    scratch(s).channel_cursor.assign(C + 1, 0);
    std::size_t total = 0;
    for (std::size_t p = 0; p < HW; ++p)
      for (std::size_t ch = 0; ch < C; ++ch)
        if (x[p * C + ch] != 0.0f) ++scratch(s).channel_cursor[ch + 1], ++total;
    for (std::size_t ch = 0; ch < C; ++ch) scratch(s).channel_cursor[ch + 1] += scratch(s).channel_cursor[ch];
    scratch(s).active.resize(total);
    for (std::size_t p = 0; p < HW; ++p)
      for (std::size_t ch = 0; ch < C; ++ch)
        if (const float v = x[p * C + ch]; v != 0.0f) scratch(s).active[scratch(s).channel_cursor[ch]++] = {static_cast<std::uint32_t>(ch * HW + p), v};
  }

  // Scatters each active input through the kernel into channels-last accumulators [oy][ox][o],
  // whose out-channel run is contiguous (vectorised) in the transposed weights [c][ky][kx][o].
  static void conv_scatter_int(const Compiled& c, std::span<const std::pair<std::uint32_t, float>> active, Int16Blocks& blocks) {
    for (const auto& entry : active) {
      const auto n = static_cast<std::int32_t>(entry.second);
      if (Int16Blocks::fits(n)) conv_scatter(c, std::span(&entry, 1), blocks.narrow(n), c.wi.data());
      else conv_scatter(c, std::span(&entry, 1), blocks.wide(), c.wi.data());
    }
  }

  template <class Acc, class W>
  static void conv_scatter(const Compiled& c, std::span<const std::pair<std::uint32_t, float>> active, Acc* acc, const W* wt) {
    const int Wd = c.in_shape[2], OW = c.out_shape[2];
    const auto co = static_cast<std::size_t>(c.cout);
    const auto plane = static_cast<std::uint32_t>(c.in_shape[1] * Wd);
    for (const auto& [index, value] : active) {
      const int ci = static_cast<int>(index / plane), y = static_cast<int>(index % plane) / Wd, xx = static_cast<int>(index % plane) % Wd;
      const auto n = static_cast<Acc>(value);
      for (const auto& [ky, oy] : c.row_taps[static_cast<std::size_t>(y)])
        for (const auto& [kx, ox] : c.col_taps[static_cast<std::size_t>(xx)]) {
          const W* w = wt + ((static_cast<std::size_t>(ci) * c.kh + ky) * c.kw + kx) * co;
          Acc* a = acc + (static_cast<std::size_t>(oy) * OW + ox) * co;
          if (n == Acc{1})
            for (std::size_t o = 0; o < co; ++o) a[o] = static_cast<Acc>(a[o] + w[o]);
          else
            for (std::size_t o = 0; o < co; ++o) a[o] = static_cast<Acc>(a[o] + w[o] * n);
        }
    }
  }

  // Output stays channels-last: LIF and max-pool are layout-agnostic, flatten converts once.
  static void conv_event(const Compiled& c, std::span<const float> x, bool x_cl, std::vector<float>& y, State& s) {
    gather_active(c, x, x_cl, s);
    conv_active(c, y, s);
  }

  // Scatters the inputs listed in the scratch's `active` ((c, y, x) order) through the kernel.
  static void conv_active(const Compiled& c, std::vector<float>& y, State& s) {
    const std::size_t n = static_cast<std::size_t>(c.out_shape[1]) * c.out_shape[2] * static_cast<std::size_t>(c.cout);
    if (c.quantized) {
      Int16Blocks blocks(scratch(s).narrow_sums, scratch(s).wide_sums, n);
      conv_scatter_int(c, scratch(s).active, blocks);
      blocks.finish(c.scale, y);
    } else {
      y.assign(n, 0.0f);
      conv_scatter(c, scratch(s).active, y.data(), c.wf.data());
    }
    add_bias(c, y, static_cast<std::size_t>(c.out_shape[1]) * c.out_shape[2], true);
  }

  // [C][H][W] <-> [H][W][C]
  static void to_channels_last(const Shape& shape, std::span<const float> x, std::vector<float>& y) {
    const std::size_t C = static_cast<std::size_t>(shape[0]), HW = static_cast<std::size_t>(shape[1]) * shape[2];
    y.resize(C * HW);
    for (std::size_t ch = 0; ch < C; ++ch)
      for (std::size_t p = 0; p < HW; ++p) y[p * C + ch] = x[ch * HW + p];
  }
  static void to_channels_first(const Shape& shape, std::span<const float> x, std::vector<float>& y) {
    const std::size_t C = static_cast<std::size_t>(shape[0]), HW = static_cast<std::size_t>(shape[1]) * shape[2];
    y.resize(C * HW);
    for (std::size_t ch = 0; ch < C; ++ch)
      for (std::size_t p = 0; p < HW; ++p) y[ch * HW + p] = x[p * C + ch];
  }

  static void maxpool_channels_last(const Compiled& c, std::span<const float> x, std::vector<float>& y) {
    const auto C = static_cast<std::size_t>(c.in_shape[0]);
    y.resize(C * c.window.out_positions());
    geometry::max_pool_channels_last(c.window, C, x.data(), y.data());
  }

  // ---- shared, elementwise ----------------------------------------------------------------------
  // Reference order: v = v * decay * (1 - s) + I ; s = v > threshold (strictly).
  static void lif(const Compiled& c, std::span<const float> current, std::vector<float>& v, std::vector<float>& spikes) {
    for (std::size_t i = 0; i < current.size(); ++i) {
      v[i] = v[i] * c.decay * (1.0f - spikes[i]) + current[i];
      spikes[i] = v[i] > c.threshold ? 1.0f : 0.0f;
    }
  }

  // Event engine: the same arithmetic, with the previous spike taken from v when it can be.
  static void lif_event(const Compiled& c, std::span<const float> current, std::vector<float>& v, std::vector<float>& spikes) {
    if (!c.derived_spikes) return lif(c, current, v, spikes);
    spikes.resize(current.size());
    for (std::size_t i = 0; i < current.size(); ++i) {
      const float s = v[i] > c.threshold ? 1.0f : 0.0f;
      v[i] = v[i] * c.decay * (1.0f - s) + current[i];
      spikes[i] = v[i] > c.threshold ? 1.0f : 0.0f;
    }
  }

  // ---- fused event stages ------------------------------------------------------------------------
  // Bitmap (and counts) of the nonzero values of a float map entering fused conv `c`.
  static const std::uint32_t* bits_from_floats(const Compiled& c, std::span<const float> x, bool cl, State& s) {
    const auto C = static_cast<std::size_t>(c.cin), HW = static_cast<std::size_t>(c.in_shape[1]) * c.in_shape[2];
    const std::size_t words = words_for(c.cin);
    std::uint32_t* bits = scratch(s).bitmaps.data() + c.bits_in;
    std::fill(bits, bits + HW * words, 0U);
    if (scratch(s).input_counts.size() < C * HW) scratch(s).input_counts.resize(C * HW);
    std::int32_t* counts = scratch(s).input_counts.data();  // read only where a bit is set
    const auto mark = [&](std::size_t ch, std::size_t p, float value) {
      bits[p * words + ch / 32] |= 1U << (ch % 32);
      counts[p * C + ch] = static_cast<std::int32_t>(value);
    };
    if (cl) {
      for (std::size_t p = 0; p < HW; ++p)
        for (std::size_t ch = 0; ch < C; ++ch)
          if (const float v = x[p * C + ch]; v != 0.0f) mark(ch, p, v);
    } else {
      for (std::size_t ch = 0; ch < C; ++ch)
        for (std::size_t p = 0; p < HW; ++p)
          if (const float v = x[ch * HW + p]; v != 0.0f) mark(ch, p, v);
    }
    return bits;
  }

  // The same bitmap and counts straight from a sparse frame step (canonical [C,H,W] indices).
  static const std::uint32_t* bits_from_sparse(const Compiled& c, const SparseStep& in, State& s) {
    const auto C = static_cast<std::size_t>(c.cin), HW = static_cast<std::size_t>(c.in_shape[1]) * c.in_shape[2];
    const std::size_t words = words_for(c.cin);
    std::uint32_t* bits = scratch(s).bitmaps.data() + c.bits_in;
    std::fill(bits, bits + HW * words, 0U);
    if (scratch(s).input_counts.size() < C * HW) scratch(s).input_counts.resize(C * HW);
    std::int32_t* counts = scratch(s).input_counts.data();
    for (std::size_t k = 0; k < in.index.size(); ++k) {
      const std::size_t ch = in.index[k] / HW, p = in.index[k] % HW;
      bits[p * words + ch / 32] |= 1U << (ch % 32);
      counts[p * C + ch] = in.count[k];
    }
    return bits;
  }

  // Runs conv layer i, its LIF and (with `pool`) the max-pool after it; returns the output bitmap.
  // The input is the previous stage's bitmap, a float map, or (`sparse`) a frame's active cells.
  const std::uint32_t* run_fused(std::size_t i, bool pool, const std::uint32_t* in_bits, std::span<const float> x, bool x_cl,
                                 State& s, const SparseStep* sparse = nullptr) const {
    const Compiled& c = layers[i];
    const Compiled& n = layers[i + 1];
    const std::int32_t* counts = nullptr;
    if (!in_bits) {  // else the previous stage's map is in the bitmaps, already large enough
      if (scratch(s).bitmaps.size() < bits_words) scratch(s).bitmaps.resize(bits_words);
      in_bits = sparse ? bits_from_sparse(c, *sparse, s) : bits_from_floats(c, x, x_cl, s);
      counts = scratch(s).input_counts.data();
    }
    const detail::ConvLif k{c.cin, c.cout, c.in_shape[1], c.in_shape[2], c.out_shape[1], c.out_shape[2], c.kh, c.kw,
                            c.wi.data(), &c.tap_major, &c.offset_row_taps, &c.offset_col_taps, &c.row_taps, &c.col_taps,
                            c.max_magnitude, c.scale, n.decay, n.threshold};
    std::uint32_t* out = scratch(s).bitmaps.data() + c.bits_out;
    detail::conv_lif(k, in_bits, counts, s.v[i + 1].data(), out, scratch(s).conv);
    if (!pool) return out;
    const Compiled& p = layers[i + 2];
    std::uint32_t* pooled = scratch(s).bitmaps.data() + c.bits_pool;
    geometry::max_pool_bits(p.window, words_for(c.cout), out, pooled);
    return pooled;
  }

  // Sum / average pooling with zero padding, summed in (ky, kx) order.
  static void pool2d(const Compiled& c, std::span<const float> x, std::vector<float>& y) {
    const int C = c.in_shape[0], H = c.in_shape[1], W = c.in_shape[2], OH = c.out_shape[1], OW = c.out_shape[2];
    y.assign(static_cast<std::size_t>(C) * OH * OW, 0.0f);
    const auto area = static_cast<float>(c.pkh * c.pkw);
    for (int ch = 0; ch < C; ++ch)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          float sum = 0.0f;
          for (int ky = 0; ky < c.pkh; ++ky)
            for (int kx = 0; kx < c.pkw; ++kx) {
              const int iy = oy * c.psh - c.pph + ky, ix = ox * c.psw - c.ppw + kx;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) sum += x[(static_cast<std::size_t>(ch) * H + iy) * W + ix];
            }
          y[(static_cast<std::size_t>(ch) * OH + oy) * OW + ox] = c.average ? sum / area : sum;
        }
  }

  static void scale(const Compiled& c, std::span<const float> x, std::vector<float>& y) {
    y.resize(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) y[k] = x[k] * c.factors[k];
  }

  // One forward-Euler step of a Neuron layer (see Compiled); `out` holds the previous step's output
  // on entry, which is what the reset and the recurrent weights read.
  void neuron(const Compiled& c, std::span<const float> x, std::size_t i, State& s) const {
    auto& out = s.out[i];
    auto& v = s.v[i];
    std::span<const float> current = x;
    if (!c.recurrent.empty()) {
      const Compiled& r = c.recurrent[0];
      if (kind == EngineKind::Event) linear_event(r, out, scratch(s).recurrent_current, s);
      else linear_dense(r, out, scratch(s).recurrent_current);
      for (std::size_t k = 0; k < x.size(); ++k) scratch(s).recurrent_current[k] = x[k] + scratch(s).recurrent_current[k];
      current = scratch(s).recurrent_current;
    }
    const bool cuba = c.model == NeuronModel::CubaLif;
    auto& syn = s.syn[i];
    for (std::size_t k = 0; k < current.size(); ++k) {
      float in = current[k];
      if (cuba) in = syn[k] = c.syn_decay[k] * syn[k] + c.syn_gain[k] * in;
      float previous = v[k];
      if (c.spiking && out[k] != 0.0f) previous = c.reset == ResetMode::Zero ? c.n_reset[k] : previous - c.n_threshold[k];
      v[k] = c.n_decay[k] * previous + c.n_gain[k] * in + c.n_leak[k];
      out[k] = c.spiking ? (v[k] > c.n_threshold[k] ? 1.0f : 0.0f) : v[k];
    }
  }

  static void maxpool(const Compiled& c, std::span<const float> x, std::vector<float>& y) {
    const int C = c.in_shape[0], H = c.in_shape[1], W = c.in_shape[2], OH = c.out_shape[1], OW = c.out_shape[2];
    y.assign(static_cast<std::size_t>(C) * OH * OW, 0.0f);
    for (int ch = 0; ch < C; ++ch)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          float m = x[(static_cast<std::size_t>(ch) * H + oy * c.psh) * W + ox * c.psw];
          for (int ky = 0; ky < c.pkh; ++ky)
            for (int kx = 0; kx < c.pkw; ++kx)
              m = std::max(m, x[(static_cast<std::size_t>(ch) * H + oy * c.psh + ky) * W + ox * c.psw + kx]);
          y[(static_cast<std::size_t>(ch) * OH + oy) * OW + ox] = m;
        }
  }
  // Layers [first, last) for one step on activation x (channels-last if x_cl), or, with `sparse`,
  // on a frame step's active cells consumed directly by layer `first` (Linear or Conv2d, event
  // engine: see sparse_entry) with no dense map and no scan.
  std::span<const float> forward(State& s, std::size_t first, std::size_t last, std::span<const float> x, bool x_cl,
                                 const SparseStep* sparse) const {
    const auto& L = layers;
    const Impl& im = *this;
    // After a fused stage the activation is the spike bitmap `bits` of layer `bits_layer`; it is
    // written out as floats only when a layer that reads floats follows, or at the end.
    const std::uint32_t* bits = nullptr;
    std::size_t bits_layer = 0;
    const auto materialize = [&] {
      auto& y = s.out[bits_layer];
      const Shape& shape = L[bits_layer].out_shape;
      y.resize(numel(shape));
      detail::bits_to_floats(bits, static_cast<std::size_t>(shape[1]) * static_cast<std::size_t>(shape[2]), shape[0], y.data());
      x = y;
      x_cl = true;
      bits = nullptr;
    };
    // After a fused Linear + LIF the activation is also (or only, `x_stale`) the spike list of
    // layer `list_layer`; the float map is written only when a layer that reads floats follows.
    const std::vector<std::uint32_t>* list = nullptr;
    std::size_t list_layer = 0;
    bool x_stale = false;
    const auto materialize_list = [&] {
      auto& y = s.out[list_layer];
      list_to_floats(*list, numel(L[list_layer].out_shape), y);
      x = y;
      x_cl = false;
      x_stale = false;
    };
    for (std::size_t i = first; i < last; ++i) {
      const Compiled& c = L[i];
      const SparseStep* in_sparse = i == first ? sparse : nullptr;
      if (bits && c.op == Op::Flatten && i + 2 < last && L[i + 1].fused_lif) {
        // A conv stage's spike bitmap flattened into a fused Linear: list its spikes in [C,H,W]
        // numbering straight from the bits (no float map, no transpose, no scan).
        auto& flat = scratch(s).spike_lists[i];
        detail::bits_to_list(bits, static_cast<std::size_t>(L[bits_layer].out_shape[1]) * L[bits_layer].out_shape[2],
                             L[bits_layer].out_shape[0], flat);
        bits = nullptr;
        list = &flat;
        continue;
      }
      if (bits && !(c.fused && i + 1 < last)) materialize();
      if (c.fused_lif && i + 1 < last) {
        auto& spikes = scratch(s).spike_lists[i + 1];
        if (in_sparse)
          Impl::linear_lif_counts(c, L[i + 1], in_sparse->index, in_sparse->count.data(), s.v[i + 1], spikes, s);
        else if (list)
          Impl::linear_lif_counts(c, L[i + 1], *list, nullptr, s.v[i + 1], spikes, s);
        else {
          if (x_cl) {  // a Linear reads [C,H,W] order
            Impl::to_channels_first(c.in_shape, x, scratch(s).channels_first);
            x = scratch(s).channels_first;
            x_cl = false;
          }
          nonzero_inputs(x, scratch(s).nonzero);
          Impl::linear_lif(c, L[i + 1], scratch(s).nonzero, [&](std::size_t, std::uint32_t k) { return x[k]; }, s.v[i + 1], spikes, s);
        }
        list = &spikes;
        list_layer = i + 1;
        x_stale = true;
        ++i;
        continue;
      }
      if (list && c.op == Op::Linear && im.kind == EngineKind::Event) {  // reads the spike list, not the map
        Impl::linear_active(c, *list, [](std::size_t, std::uint32_t) { return 1; }, s.out[i], s);
        list = nullptr;
        x = s.out[i];
        x_cl = false;
        x_stale = false;
        continue;
      }
      if (x_stale) materialize_list();
      list = nullptr;
      if (c.fused && i + 1 < last) {
        const bool pool = c.fused_pool && i + 2 < last;
        bits = im.run_fused(i, pool, bits, x, x_cl, s, in_sparse);
        bits_layer = i + (pool ? 2 : 1);
        i = bits_layer;
        continue;
      }
      if (bits) materialize();
      if (x_cl && channels_first_only(c.op)) {
        Impl::to_channels_first(c.in_shape, x, scratch(s).channels_first);
        x = scratch(s).channels_first;
        x_cl = false;
      }
      auto& y = s.out[i];
      const bool event = im.kind == EngineKind::Event;
      if (in_sparse && c.op == Op::Linear) {
        Impl::linear_active(c, in_sparse->index, [&](std::size_t k, std::uint32_t) { return in_sparse->count[k]; }, y, s);
      } else if (in_sparse && c.op == Op::Conv2d) {
        scratch(s).active.clear();
        for (std::size_t k = 0; k < in_sparse->index.size(); ++k)
          scratch(s).active.emplace_back(in_sparse->index[k], static_cast<float>(in_sparse->count[k]));
        Impl::conv_active(c, y, s);
      } else switch (c.op) {
        case Op::Linear: event ? Impl::linear_event(c, x, y, s) : Impl::linear_dense(c, x, y); break;
        case Op::Conv2d: event ? Impl::conv_event(c, x, x_cl, y, s) : Impl::conv_dense(c, x, y); break;
        case Op::Lif: event ? Impl::lif_event(c, x, s.v[i], y) : Impl::lif(c, x, s.v[i], y); break;
        case Op::MaxPool2d: x_cl ? Impl::maxpool_channels_last(c, x, y) : Impl::maxpool(c, x, y); break;
        case Op::Flatten:
          if (x_cl) Impl::to_channels_first(c.in_shape, x, y);
          else y.assign(x.begin(), x.end());
          break;
        case Op::Pool2d: Impl::pool2d(c, x, y); break;
        case Op::Scale: Impl::scale(c, x, y); break;
        case Op::Neuron: im.neuron(c, x, i, s); break;
      }
      x = y;
      x_cl = im.out_cl[i];
    }
    if (bits) materialize();
    if (x_stale) materialize_list();
    if (x_cl) {
      Impl::to_channels_first(L[last - 1].out_shape, x, scratch(s).output_channels_first);
      return scratch(s).output_channels_first;
    }
    return x;
  }
};

Engine::Engine(const Network& net, EngineKind kind) : impl_(std::make_unique<Impl>(net, kind)) {}
Engine::Engine(Network&& net, EngineKind kind) : impl_(std::make_unique<Impl>(std::move(net), kind)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
const Network& Engine::network() const { return impl_->net; }
EngineKind Engine::kind() const { return impl_->kind; }

std::unique_ptr<Engine::State> Engine::new_state() const {
  auto s = std::make_unique<State>();
  s->out.resize(impl_->layers.size());
  s->v.resize(impl_->layers.size());
  s->syn.resize(impl_->layers.size());
  s->scratch_->spike_lists.resize(impl_->layers.size());
  s->scratch_->bitmaps.resize(impl_->bits_words);
  reset(*s);
  return s;
}

void Engine::reset(State& s) const {
  for (std::size_t i = 0; i < impl_->layers.size(); ++i) {
    const Compiled& c = impl_->layers[i];
    // Only a LIF layer's spikes are read before they are written (unless derived from v).
    // (and a Neuron layer's, for its reset and recurrent weights).
    if ((c.op == Op::Lif && !c.derived_spikes) || c.op == Op::Neuron) s.out[i].assign(numel(c.out_shape), 0.0f);
    else s.out[i].resize(numel(c.out_shape));
    if (c.op == Op::Lif || c.op == Op::Neuron) s.v[i].assign(numel(c.out_shape), 0.0f);
    if (c.op == Op::Neuron && c.model == NeuronModel::CubaLif) s.syn[i].assign(numel(c.out_shape), 0.0f);
  }
}

std::span<const float> Engine::step(State& s, std::size_t first, std::size_t last, std::span<const float> input) const {
  const Impl& im = *impl_;
  const auto& L = im.layers;
  if (first >= last || last > L.size()) throw std::out_of_range("Engine::step: bad layer range");
  if (input.size() != numel(L[first].in_shape))
    throw std::invalid_argument("Engine::step: input has " + std::to_string(input.size()) + " values, layer " +
                                std::to_string(first) + " expects " + std::to_string(numel(L[first].in_shape)));
  // Callers speak [C,H,W]; inside, the event engine's conv stage is channels-last.
  std::span<const float> x = input;
  bool x_cl = false;
  if (im.in_cl(first) && L[first].op != Op::Conv2d && !channels_first_only(L[first].op)) {
    auto& copy = Impl::scratch(s).input_channels_last;
    Impl::to_channels_last(L[first].in_shape, input, copy);
    x = copy;
    x_cl = true;
  }
  return im.forward(s, first, last, x, x_cl, nullptr);
}

std::vector<std::int32_t> Engine::run(State& s, std::span<const std::uint16_t> sample) const {
  const Network& net = impl_->net;
  const std::size_t step_size = numel(net.input_shape);
  // T comes from the sample (the frame file), not from the model.
  if (sample.empty() || sample.size() % step_size != 0)
    throw std::invalid_argument("sample has " + std::to_string(sample.size()) + " cells, the model expects T x " +
                                std::to_string(step_size) + " with T >= 1");
  const std::size_t steps = sample.size() / step_size;
  reset(s);
  std::vector<std::int32_t> counts(static_cast<std::size_t>(net.num_classes), 0);
  std::vector<float> frame(step_size);
  for (std::size_t t = 0; t < steps; ++t) {
    const auto in = sample.subspan(t * step_size, step_size);
    std::copy(in.begin(), in.end(), frame.begin());
    const auto spikes = step(s, 0, impl_->layers.size(), frame);
    for (std::size_t k = 0; k < counts.size(); ++k) counts[k] += spikes[k] != 0.0f;
  }
  return counts;
}

std::vector<std::int32_t> Engine::run(State& s, datasets::SparseSample sample, int steps) const {
  const Impl& im = *impl_;
  const Network& net = im.net;
  const std::size_t step_size = numel(net.input_shape);
  if (sample.index.size() != sample.count.size()) throw std::invalid_argument("sparse sample: indices and counts differ in length");
  reset(s);
  std::vector<std::int32_t> counts(static_cast<std::size_t>(net.num_classes), 0);
  const auto add_spikes = [&](std::span<const float> spikes) {
    for (std::size_t k = 0; k < counts.size(); ++k) counts[k] += spikes[k] != 0.0f;
  };
  std::size_t k = 0;  // next event; indices ascend, so each step's events are one run
  const int T = steps > 0 ? steps : net.time_steps;  // the frame file's T, as the dense run takes it
  for (int t = 0; t < T; ++t) {
    const std::size_t base = static_cast<std::size_t>(t) * step_size, end_index = base + step_size;
    const std::size_t begin = k;
    while (k < sample.size() && sample.index[k] < end_index) ++k;
    if (begin < k && sample.index[begin] < base) throw std::invalid_argument("sparse sample: indices must ascend");
    auto& cells = Impl::scratch(s).step_cells;
    cells.resize(k - begin);
    for (std::size_t e = begin; e < k; ++e) cells[e - begin] = static_cast<std::uint32_t>(sample.index[e] - base);
    if (im.sparse_entry != std::string::npos) {
      const SparseStep in{cells, sample.count.subspan(begin, k - begin)};
      add_spikes(im.forward(s, im.sparse_entry, im.layers.size(), {}, false, &in));
    } else {  // dense reference engine (or a first layer without weights): the plain map
      auto& frame = Impl::scratch(s).step_frame;
      frame.assign(step_size, 0.0f);
      for (std::size_t e = begin; e < k; ++e) frame[cells[e - begin]] = static_cast<float>(sample.count[e]);
      add_spikes(step(s, 0, im.layers.size(), frame));
    }
  }
  if (k != sample.size()) throw std::invalid_argument("sparse sample: an index lies outside T x C x H x W");
  return counts;
}

std::vector<std::int32_t> Engine::run(std::span<const std::uint16_t> sample) const {
  const auto s = new_state();
  return run(*s, sample);
}

EngineKind parse_engine(const std::string& name) {
  if (name == "event") return EngineKind::Event;
  if (name == "dense") return EngineKind::Dense;
  throw std::invalid_argument("unknown engine '" + name + "' (expected event or dense)");
}

int argmax(std::span<const std::int32_t> counts) {
  int best = 0;
  for (std::size_t k = 1; k < counts.size(); ++k)
    if (counts[k] > counts[static_cast<std::size_t>(best)]) best = static_cast<int>(k);
  return best;
}

double InferenceResult::accuracy() const {
  if (predictions.empty()) return 0.0;
  std::size_t ok = 0;
  for (std::size_t i = 0; i < predictions.size(); ++i) ok += predictions[i] == labels[i];
  return static_cast<double>(ok) / static_cast<double>(predictions.size());
}

std::vector<std::vector<std::int64_t>> InferenceResult::confusion() const {
  std::vector<std::vector<std::int64_t>> m(static_cast<std::size_t>(num_classes), std::vector<std::int64_t>(static_cast<std::size_t>(num_classes), 0));
  for (std::size_t i = 0; i < predictions.size(); ++i)
    if (labels[i] >= 0 && labels[i] < num_classes) ++m[static_cast<std::size_t>(labels[i])][static_cast<std::size_t>(predictions[i])];
  return m;
}

std::vector<double> InferenceResult::per_class_accuracy() const {
  const auto m = confusion();
  std::vector<double> acc(m.size(), 0.0);
  for (std::size_t k = 0; k < m.size(); ++k) {
    std::int64_t total = 0;
    for (const auto v : m[k]) total += v;
    acc[k] = total ? static_cast<double>(m[k][k]) / static_cast<double>(total) : 0.0;
  }
  return acc;
}

Shape frame_input_shape(const Network& net) {
  if (net.input_shape.size() == 3) return net.input_shape;
  return {static_cast<int>(numel(net.input_shape)), 1, 1};
}

void check_compatible(const Network& net, const datasets::FrameShape& shape, const std::string& source) {
  const std::string prefix = source.empty() ? std::string{} : source + ": ";
  const Shape frame = {shape.c, shape.h, shape.w};
  const Shape expected = frame_input_shape(net);
  if (frame != expected) {
    const std::string flat = net.input_shape.size() == 3 ? std::string{} : " (a flat input takes frames of shape " + to_string(expected) + ")";
    throw std::invalid_argument(prefix + "frames of shape " + to_string(frame) + " do not fit the model's input_shape " +
                                to_string(net.input_shape) + flat);
  }
  // Any T runs: the frame file sets the number of steps (net.time_steps is only the model's default).
  if (shape.t < 1) throw std::invalid_argument(prefix + "frames have T = " + std::to_string(shape.t) + " time bins (need at least 1)");
}

void check_compatible(const Network& net, const datasets::FrameSet& frames, const std::string& source) {
  check_compatible(net, frames.shape, source);
  check_labels(net, frames.labels, source);
}

void check_labels(const Network& net, std::span<const std::int32_t> labels, const std::string& source) {
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= net.num_classes)
      throw std::invalid_argument((source.empty() ? std::string{} : source + ": ") + "label " + std::to_string(labels[i]) +
                                  " of sample " + std::to_string(i) + " is not a class of the " + std::to_string(net.num_classes) +
                                  "-class model");
}

InferenceResult infer(const Engine& engine, const datasets::FrameSet& frames, const InferenceOptions& options) {
  const Network& net = engine.network();
  check_compatible(net, frames.shape);
  const std::size_t n = options.limit ? std::min(options.limit, frames.size()) : frames.size();
  InferenceResult r;
  r.num_classes = net.num_classes;
  r.spike_counts.assign(n * static_cast<std::size_t>(net.num_classes), 0);
  r.predictions.assign(n, 0);
  r.labels.assign(frames.labels.begin(), frames.labels.begin() + static_cast<std::ptrdiff_t>(n));
  const int threads = io::thread_count(options.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::enumerable_thread_specific<std::unique_ptr<Engine::State>> states([&] { return engine.new_state(); });
  std::atomic<std::size_t> done{0};
  std::mutex progress_mutex;
  const auto t0 = std::chrono::steady_clock::now();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 16), [&](const tbb::blocked_range<std::size_t>& range) {
    auto& state = states.local();
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      const auto counts = engine.run(*state, frames.sample(i));
      std::copy(counts.begin(), counts.end(), r.spike_counts.begin() + static_cast<std::ptrdiff_t>(i * counts.size()));
      r.predictions[i] = argmax(counts);
    }
    const std::size_t d = done += range.size();
    if (options.progress) {
      const std::lock_guard lock(progress_mutex);
      options.progress(d, n);
    }
  });
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

InferenceResult infer(const Engine& engine, datasets::FrameSource& source, const InferenceOptions& options, std::size_t batch) {
  const Network& net = engine.network();
  check_compatible(net, source.meta().shape, source.path().string());
  if (source.size() == 0) throw std::runtime_error(source.path().string() + ": holds no samples");  // as read_frames
  const std::size_t n = options.limit ? std::min(options.limit, source.size()) : source.size();
  const auto classes = static_cast<std::size_t>(net.num_classes);
  InferenceResult r;
  r.num_classes = net.num_classes;
  r.spike_counts.assign(n * classes, 0);
  r.predictions.assign(n, 0);
  r.labels.assign(n, 0);
  const int threads = io::thread_count(options.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::enumerable_thread_specific<std::unique_ptr<Engine::State>> states([&] { return engine.new_state(); });
  const auto t0 = std::chrono::steady_clock::now();
  datasets::for_each_batch(source, batch, n, [&](const datasets::SparseBatch& b) {
    for (std::size_t j = 0; j < b.size(); ++j)  // before any work on the batch, as check_compatible does for a whole set
      if (b.labels[j] < 0 || b.labels[j] >= net.num_classes)
        throw std::invalid_argument(source.path().string() + ": label " + std::to_string(b.labels[j]) + " of sample " +
                                    std::to_string(b.first + j) + " is not a class of the " + std::to_string(net.num_classes) +
                                    "-class model");
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, b.size(), 1), [&](const tbb::blocked_range<std::size_t>& range) {
      auto& state = states.local();
      for (std::size_t j = range.begin(); j != range.end(); ++j) {
        const std::size_t i = b.first + j;
        const auto counts = engine.run(*state, b.sample(j), b.shape.t);
        std::copy(counts.begin(), counts.end(), r.spike_counts.begin() + static_cast<std::ptrdiff_t>(i * classes));
        r.predictions[i] = argmax(counts);
        r.labels[i] = b.labels[j];
      }
    });
    if (options.progress) options.progress(b.first + b.size(), n);
  });
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

InferenceResult infer(const Network& net, const datasets::FrameSet& frames, const InferenceOptions& options) {
  return infer(Engine(net, options.engine), frames, options);
}

OutputTrace record_output(const Engine& engine, const datasets::FrameSet& frames, const InferenceOptions& options) {
  const Network& net = engine.network();
  check_compatible(net, frames.shape);
  const std::size_t last = net.layers.size() - 1;
  if (!std::holds_alternative<Lif>(net.layers[last]) && !std::holds_alternative<Neuron>(net.layers[last]))
    throw std::invalid_argument("record: the output layer " + std::to_string(last) + " (" + kind_name(net.layers[last]) +
                                ") has no membrane");
  OutputTrace tr;
  tr.samples = options.limit ? std::min(options.limit, frames.size()) : frames.size();
  tr.time_steps = frames.shape.t;
  tr.outputs = net.num_classes;
  const std::size_t K = static_cast<std::size_t>(tr.outputs), T = static_cast<std::size_t>(tr.time_steps);
  tr.spikes.assign(tr.samples * T * K, 0);
  tr.membrane.assign(tr.samples * T * K, 0.0f);
  const std::size_t step_size = numel(net.input_shape);
  const int threads = io::thread_count(options.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::enumerable_thread_specific<std::unique_ptr<Engine::State>> states([&] { return engine.new_state(); });
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, tr.samples, 4), [&](const tbb::blocked_range<std::size_t>& range) {
    auto& state = *states.local();
    std::vector<float> frame(step_size);
    for (std::size_t n = range.begin(); n != range.end(); ++n) {
      engine.reset(state);
      const auto sample = frames.sample(n);
      for (std::size_t t = 0; t < T; ++t) {
        const auto in = sample.subspan(t * step_size, step_size);
        std::copy(in.begin(), in.end(), frame.begin());
        const auto out = engine.step(state, 0, net.layers.size(), frame);
        // Both engines keep the output layer's v[t] in State::v. (A conv stage fused by the event
        // engine keeps it channels-last; for an output of shape [K] or [K,1,1] the layouts coincide.)
        const auto& v = state.v[last];
        const std::size_t at = (n * T + t) * K;
        for (std::size_t k = 0; k < K; ++k) {
          tr.spikes[at + k] = out[k] != 0.0f ? 1 : 0;
          tr.membrane[at + k] = v[k];
        }
      }
    }
  });
  return tr;
}

}  // namespace snngx::snn
