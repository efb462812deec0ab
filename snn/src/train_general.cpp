// Forward + BPTT of any network (biases, Neuron layers with recurrence and CubaLIF synapses,
// sum/avg pooling, scale, and the reference kinds), one sample at a time. The reference networks
// keep their faster batched path (train_gradients.cpp); this one is plain loops over the same
// float32 arithmetic as the inference engine, so its spike counts equal infer()'s.
//
// Neuron layer (docs/formats.md), per neuron and step, with s the output spike:
//   x[t]  = input[t] + (R . out[t-1] + b_r)          recurrent layers
//   i[t]  = a_s i[t-1] + g_s x[t]                     CubaLIF; u = i, else u = x
//   p[t]  = reset(v[t-1], s[t-1])                     zero: v(1-s) + v_reset s; subtract: v - th s
//   v[t]  = d p[t] + g u[t] + l,  out[t] = S(v[t] - th) (spiking) or v[t]
// Backward, reverse t, with dp[t+1] = dL/dp[t+1] carried from the later step:
//   dL/dout[t] = G[t] + R^T dx[t+1]  (+ dp[t+1] dp/ds: v_reset - v[t] or -th, when Gated)
//   dv[t]      = dL/dout[t] S'(v[t] - th) + dp[t+1] dp/dv   (dp/dv: 1 - s[t] zero, 1 subtract)
//   dp[t] = d dv[t];  du = g dv[t];  di[t] = du + a_s di[t+1];  dx[t] = g_s di[t] (CubaLIF) or du
//   dR += dx[t] out[t-1]^T, db_r += dx[t]
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <variant>

#include "snngx/io/threads.hpp"
#include "snngx/snn/geometry.hpp"
#include "snngx/snn/inference.hpp"
#include "neuron_coefficients.hpp"
#include "train_spike.hpp"

namespace snngx::snn::detail {
namespace {

struct Dims {
  int c = 1, h = 1, w = 1;
  [[nodiscard]] std::size_t n() const { return static_cast<std::size_t>(c) * h * w; }
};
Dims dims_of(const Shape& s) {
  if (s.size() == 3) return {s[0], s[1], s[2]};
  return {static_cast<int>(numel(s)), 1, 1};
}


// One layer as the general path runs it.
struct Plan {
  const Layer* layer = nullptr;
  Dims in, out;
  int weighted = -1;                    // index among weighted layers (Linear, Conv2d, recurrent Neuron)
  std::vector<float> wt;                // Linear / recurrent weights transposed: wt[i * out + o] = W[o, i]
  const std::vector<float>* bias = nullptr;  // Linear / Conv2d bias or recurrent bias (may be empty)
  NeuronCoefficients neuron;
  [[nodiscard]] bool spiking_layer() const {
    return std::holds_alternative<Lif>(*layer) || (std::holds_alternative<Neuron>(*layer) && neuron.spiking);
  }
};

std::vector<Plan> make_plans(const Network& net) {
  const auto shapes = net.layer_output_shapes();
  std::vector<Plan> plans(net.layers.size());
  Shape in = net.input_shape;
  int weighted = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    Plan& p = plans[i];
    p.layer = &net.layers[i];
    p.in = dims_of(in);
    p.out = dims_of(shapes[i]);
    const auto transpose = [&p](const Weights& w) {
      const int rows = w.shape[0], cols = w.shape[1];
      p.wt.resize(w.values.size());
      for (int o = 0; o < rows; ++o)
        for (int j = 0; j < cols; ++j) p.wt[static_cast<std::size_t>(j) * rows + o] = w.values[static_cast<std::size_t>(o) * cols + j];
    };
    if (const auto* L = std::get_if<Linear>(p.layer)) {
      p.weighted = weighted++;
      p.bias = &L->bias;
      transpose(L->weight);
    } else if (const auto* C = std::get_if<Conv2d>(p.layer)) {
      p.weighted = weighted++;
      p.bias = &C->bias;
    } else if (const auto* N = std::get_if<Neuron>(p.layer)) {
      p.neuron = neuron_coefficients(*N, p.out.n());
      if (N->recurrent) {
        p.weighted = weighted++;
        p.bias = &N->recurrent_bias;
        transpose(*N->recurrent);
      }
    }
    in = shapes[i];
  }
  return plans;
}

// Buffers of one sample (reused): act[i] is the input of layer i over all T steps, act[L] the output.
struct Workspace {
  std::vector<std::vector<float>> act, v, syn, grad;
  std::vector<std::vector<std::int32_t>> route;
  std::vector<float> dnext, dsyn, dcur_next, gout, tmp;
};

// Per-chunk sums, added in chunk order afterwards.
struct Partial {
  double loss = 0.0;
  std::vector<std::vector<float>> dw, db;  // dw in the Plan's layout (transposed for Linear/recurrent)
  std::vector<std::int32_t> counts, predictions;
  std::vector<double> spikes;  // per spiking layer
};

// ---- forward of one step --------------------------------------------------------------------
void linear_forward(const Plan& p, const float* x, float* y) {
  const std::size_t in = p.in.n(), out = p.out.n();
  std::fill(y, y + out, 0.0f);
  for (std::size_t j = 0; j < in; ++j) {
    if (x[j] == 0.0f) continue;  // adding w * 0 changes no sum: the event engine skips them too
    const float xj = x[j];
    const float* w = p.wt.data() + j * out;
    for (std::size_t o = 0; o < out; ++o) y[o] += w[o] * xj;
  }
  if (!p.bias->empty())
    for (std::size_t o = 0; o < out; ++o) y[o] += (*p.bias)[o];
}

// The window of a conv / pooling layer on this plan's input (snngx/snn/geometry.hpp).
template <class L>
geometry::Window window_of(const Plan& p, const L& layer) {
  return geometry::window(layer, Shape{p.in.c, p.in.h, p.in.w});
}

void conv_forward(const Plan& p, const Conv2d& c, const float* x, float* y) {
  const int H = p.in.h, W = p.in.w, OH = p.out.h, OW = p.out.w, kh = c.kernel[0], kw = c.kernel[1];
  const geometry::Window win = window_of(p, c);
  const auto& w = c.weight.values;
  for (int o = 0; o < c.out_channels; ++o)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        float sum = 0.0f;
        for (int ci = 0; ci < c.in_channels; ++ci)
          win.receptive_field(oy, ox, [&](int ky, int kx, int iy, int ix) {
            sum += w[((static_cast<std::size_t>(o) * c.in_channels + ci) * kh + ky) * kw + kx] *
                   x[(static_cast<std::size_t>(ci) * H + iy) * W + ix];
          });
        y[(static_cast<std::size_t>(o) * OH + oy) * OW + ox] = sum;
      }
  if (!c.bias.empty())
    for (int o = 0; o < c.out_channels; ++o)
      for (int q = 0; q < OH * OW; ++q) y[static_cast<std::size_t>(o) * OH * OW + q] += c.bias[static_cast<std::size_t>(o)];
}

// The in-input taps of output (oy, ox) of a pooling window, as positions iy * W + ix (padding skipped).
template <class F>
void for_window(const geometry::Window& win, int oy, int ox, F&& f) {
  win.receptive_field(oy, ox, [&](int, int, int iy, int ix) { f(iy * win.x.in + ix); });
}

void maxpool_forward(const Plan& p, const MaxPool2d& m, const float* x, float* y, std::int32_t* route) {
  const std::size_t plane = static_cast<std::size_t>(p.in.h) * p.in.w;
  const geometry::Window win = window_of(p, m);
  for (int c = 0; c < p.out.c; ++c)
    for (int oy = 0; oy < p.out.h; ++oy)
      for (int ox = 0; ox < p.out.w; ++ox) {
        const std::size_t o = (static_cast<std::size_t>(c) * p.out.h + oy) * p.out.w + ox;
        bool first = true;
        for_window(win, oy, ox, [&](int q) {
          const auto src = static_cast<std::int32_t>(c * plane + static_cast<std::size_t>(q));
          if (first || x[src] > y[o]) y[o] = x[src], route[o] = src;  // ties keep the first maximum
          first = false;
        });
      }
}

void pool_forward(const Plan& p, const Pool2d& m, const float* x, float* y) {
  const std::size_t plane = static_cast<std::size_t>(p.in.h) * p.in.w;
  const geometry::Window win = window_of(p, m);
  const auto area = static_cast<float>(m.kernel[0] * m.kernel[1]);
  for (int c = 0; c < p.out.c; ++c)
    for (int oy = 0; oy < p.out.h; ++oy)
      for (int ox = 0; ox < p.out.w; ++ox) {
        float sum = 0.0f;
        for_window(win, oy, ox, [&](int q) {
          sum += x[c * plane + static_cast<std::size_t>(q)];
        });
        y[(static_cast<std::size_t>(c) * p.out.h + oy) * p.out.w + ox] = m.mode == Pool2d::Mode::Average ? sum / area : sum;
      }
}

// The reference LIF: v = v * decay * (1 - s) + I (inference order).
void lif_forward(const Lif& l, std::size_t n, const float* I, const float* v_prev, const float* s_prev, float* v, float* s,
                 SpikeFunction fn) {
  for (std::size_t k = 0; k < n; ++k) {
    v[k] = v_prev ? v_prev[k] * l.decay * (1.0f - s_prev[k]) + I[k] : I[k];
    s[k] = spike_of(v[k], l.threshold, fn);
  }
}

// One forward-Euler step of a Neuron layer. `prev` = the previous step's (v, syn, out) or null at t = 0.
void neuron_forward(const Plan& p, std::size_t n, const float* x, const float* v_prev, const float* syn_prev,
                    const float* out_prev, float* v, float* syn, float* out, std::vector<float>& current, SpikeFunction fn) {
  const NeuronCoefficients& c = p.neuron;
  current.assign(x, x + n);
  if (p.weighted >= 0 && out_prev) {  // recurrent weights read out[t-1]; out[-1] = 0 adds only the bias
    std::vector<float> rec(n);
    linear_forward(p, out_prev, rec.data());
    for (std::size_t k = 0; k < n; ++k) current[k] = x[k] + rec[k];
  } else if (p.weighted >= 0 && !p.bias->empty()) {
    for (std::size_t k = 0; k < n; ++k) current[k] = x[k] + (0.0f + (*p.bias)[k]);
  }
  for (std::size_t k = 0; k < n; ++k) {
    float in = current[k];
    if (c.cuba) in = syn[k] = c.syn_decay[k] * (syn_prev ? syn_prev[k] : 0.0f) + c.syn_gain[k] * in;
    float previous = v_prev ? v_prev[k] : 0.0f;
    if (c.spiking && out_prev) {
      const float s = out_prev[k];
      if (fn == SpikeFunction::Heaviside) {
        if (s != 0.0f) previous = c.reset == ResetMode::Zero ? c.v_reset[k] : previous - c.threshold[k];
      } else {  // differentiable form of the same reset (equal to it for s in {0, 1})
        previous = c.reset == ResetMode::Zero ? previous * (1.0f - s) + c.v_reset[k] * s : previous - c.threshold[k] * s;
      }
    }
    v[k] = c.decay[k] * previous + c.gain[k] * in + c.leak[k];
    out[k] = c.spiking ? spike_of(v[k], c.threshold[k], fn) : v[k];
  }
}

// ---- backward over all steps of one layer ---------------------------------------------------
void linear_backward(const Plan& p, const float* x, const float* g, float* dx, std::vector<float>& dw, std::vector<float>& db) {
  const std::size_t in = p.in.n(), out = p.out.n();
  if (!db.empty())
    for (std::size_t o = 0; o < out; ++o) db[o] += g[o];
  for (std::size_t j = 0; j < in; ++j) {
    const float* w = p.wt.data() + j * out;
    if (x[j] != 0.0f) {
      float* d = dw.data() + j * out;
      for (std::size_t o = 0; o < out; ++o) d[o] += g[o] * x[j];
    }
    if (dx) {
      float sum = 0.0f;
      for (std::size_t o = 0; o < out; ++o) sum += w[o] * g[o];
      dx[j] = sum;
    }
  }
}

void conv_backward(const Plan& p, const Conv2d& c, const float* x, const float* g, float* dx, std::vector<float>& dw,
                   std::vector<float>& db) {
  const int H = p.in.h, W = p.in.w, OH = p.out.h, OW = p.out.w, kh = c.kernel[0], kw = c.kernel[1];
  const geometry::Window win = window_of(p, c);
  const auto& w = c.weight.values;
  if (dx) std::fill(dx, dx + p.in.n(), 0.0f);
  for (int o = 0; o < c.out_channels; ++o)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const float go = g[(static_cast<std::size_t>(o) * OH + oy) * OW + ox];
        if (go == 0.0f) continue;
        if (!db.empty()) db[static_cast<std::size_t>(o)] += go;
        for (int ci = 0; ci < c.in_channels; ++ci)
          win.receptive_field(oy, ox, [&](int ky, int kx, int iy, int ix) {
            const std::size_t wk = ((static_cast<std::size_t>(o) * c.in_channels + ci) * kh + ky) * kw + kx;
            const std::size_t xk = (static_cast<std::size_t>(ci) * H + iy) * W + ix;
            dw[wk] += go * x[xk];
            if (dx) dx[xk] += go * w[wk];
          });
      }
}

void pool_backward(const Plan& p, const Pool2d& m, const float* g, float* dx) {
  const std::size_t plane = static_cast<std::size_t>(p.in.h) * p.in.w;
  const geometry::Window win = window_of(p, m);
  const float scale = m.mode == Pool2d::Mode::Average ? 1.0f / static_cast<float>(m.kernel[0] * m.kernel[1]) : 1.0f;
  std::fill(dx, dx + p.in.n(), 0.0f);
  for (int c = 0; c < p.out.c; ++c)
    for (int oy = 0; oy < p.out.h; ++oy)
      for (int ox = 0; ox < p.out.w; ++ox) {
        const float go = g[(static_cast<std::size_t>(c) * p.out.h + oy) * p.out.w + ox] * scale;
        for_window(win, oy, ox, [&](int q) {
          dx[c * plane + static_cast<std::size_t>(q)] += go;
        });
      }
}

// Reference LIF, as lif_backward of the batched path: dL/ds[t] = g - d v[t] dv[t+1] (Gated),
// dv[t] = dL/ds[t] S'(v[t]) + d (1 - s[t]) dv[t+1].
void lif_layer_backward(const Lif& l, std::size_t n, int T, const float* v, const float* s, const float* G, float* dI,
                        const GradientOptions& o) {
  for (int t = T - 1; t >= 0; --t) {
    const std::size_t at = static_cast<std::size_t>(t) * n;
    for (std::size_t k = 0; k < n; ++k) {
      const float sg = surrogate_derivative(o.surrogate, v[at + k] - l.threshold);
      if (t == T - 1) {
        dI[at + k] = G[at + k] * sg;
        continue;
      }
      const float next = dI[at + n + k];
      const float gs = o.reset == ResetGradient::Gated ? G[at + k] - l.decay * v[at + k] * next : G[at + k];
      dI[at + k] = gs * sg + l.decay * (1.0f - s[at + k]) * next;
    }
  }
}

void neuron_layer_backward(const Plan& p, std::size_t n, int T, const float* v, const float* out, const float* G, float* dx,
                           std::vector<float>* dw, std::vector<float>* db, const GradientOptions& o, Workspace& ws) {
  const NeuronCoefficients& c = p.neuron;
  const bool recurrent = p.weighted >= 0, gated = o.reset == ResetGradient::Gated;
  ws.dnext.assign(n, 0.0f);  // dL/dp[t+1]
  ws.dsyn.assign(n, 0.0f);   // dL/di[t+1]
  ws.gout.resize(n);
  for (int t = T - 1; t >= 0; --t) {
    const std::size_t at = static_cast<std::size_t>(t) * n;
    std::copy(G + at, G + at + n, ws.gout.begin());
    if (recurrent && t < T - 1) {  // out[t] feeds x[t+1] through R: add R^T dx[t+1]
      const float* dxn = dx + at + n;
      for (std::size_t j = 0; j < n; ++j) {
        const float* w = p.wt.data() + j * n;  // W[:, j]
        float sum = 0.0f;
        for (std::size_t k = 0; k < n; ++k) sum += w[k] * dxn[k];
        ws.gout[j] += sum;
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      const float vt = v[at + k], dpn = ws.dnext[k];
      float dv;
      if (c.spiking) {
        const float s = out[at + k];
        float ds = ws.gout[k];
        if (gated) ds += dpn * (c.reset == ResetMode::Zero ? c.v_reset[k] - vt : -c.threshold[k]);
        dv = ds * surrogate_derivative(o.surrogate, vt - c.threshold[k]) + dpn * (c.reset == ResetMode::Zero ? 1.0f - s : 1.0f);
      } else {
        dv = ws.gout[k] + dpn;
      }
      ws.dnext[k] = c.decay[k] * dv;
      float du = c.gain[k] * dv;
      if (c.cuba) {
        ws.dsyn[k] = du + c.syn_decay[k] * ws.dsyn[k];
        du = c.syn_gain[k] * ws.dsyn[k];
      }
      dx[at + k] = du;
    }
    if (recurrent) {
      if (!db->empty())
        for (std::size_t k = 0; k < n; ++k) (*db)[k] += dx[at + k];
      if (t > 0) {
        const float* prev = out + at - n;
        for (std::size_t j = 0; j < n; ++j) {
          if (prev[j] == 0.0f) continue;
          float* d = dw->data() + j * n;
          for (std::size_t k = 0; k < n; ++k) d[k] += dx[at + k] * prev[j];
        }
      }
    }
  }
}

// ---- one sample -----------------------------------------------------------------------------
void run_sample(const Network& net, const std::vector<Plan>& plans, std::span<const std::uint16_t> frames, int label, int T,
                std::size_t batch_total, const GradientOptions& o, Workspace& ws, Partial& r, std::size_t first_weighted) {
  const std::size_t L = plans.size();
  ws.act.resize(L + 1);
  ws.v.resize(L);
  ws.syn.resize(L);
  ws.route.resize(L);
  ws.grad.resize(L + 1);
  std::size_t spiking_index = 0;
  const std::size_t n0 = plans[0].in.n();
  ws.act[0].resize(static_cast<std::size_t>(T) * n0);
  for (std::size_t k = 0; k < ws.act[0].size(); ++k) ws.act[0][k] = static_cast<float>(frames[k]);
  for (std::size_t i = 0; i < L; ++i) {
    const Plan& p = plans[i];
    const std::size_t ni = p.in.n(), no = p.out.n();
    ws.act[i + 1].resize(static_cast<std::size_t>(T) * no);
    const bool has_state = std::holds_alternative<Lif>(*p.layer) || std::holds_alternative<Neuron>(*p.layer);
    if (has_state) ws.v[i].resize(static_cast<std::size_t>(T) * no);
    if (p.neuron.cuba) ws.syn[i].resize(static_cast<std::size_t>(T) * no);
    if (std::holds_alternative<MaxPool2d>(*p.layer)) ws.route[i].resize(static_cast<std::size_t>(T) * no);
    for (int t = 0; t < T; ++t) {
      const std::size_t ti = static_cast<std::size_t>(t) * ni, to = static_cast<std::size_t>(t) * no;
      const float* x = ws.act[i].data() + ti;
      float* y = ws.act[i + 1].data() + to;
      std::visit(
          [&]([[maybe_unused]] const auto& l) {
            using K = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<K, Linear>) linear_forward(p, x, y);
            else if constexpr (std::is_same_v<K, Conv2d>) conv_forward(p, l, x, y);
            else if constexpr (std::is_same_v<K, Flatten>) std::copy(x, x + ni, y);
            else if constexpr (std::is_same_v<K, MaxPool2d>) maxpool_forward(p, l, x, y, ws.route[i].data() + to);
            else if constexpr (std::is_same_v<K, Pool2d>) pool_forward(p, l, x, y);
            else if constexpr (std::is_same_v<K, Scale>) {
              for (std::size_t k = 0; k < ni; ++k) y[k] = x[k] * l.factors[k];
            } else if constexpr (std::is_same_v<K, Lif>) {
              lif_forward(l, no, x, t ? ws.v[i].data() + to - no : nullptr, t ? y - no : nullptr, ws.v[i].data() + to, y, o.spike);
            } else if constexpr (std::is_same_v<K, Neuron>) {
              neuron_forward(p, no, x, t ? ws.v[i].data() + to - no : nullptr,
                             t && p.neuron.cuba ? ws.syn[i].data() + to - no : nullptr, t ? y - no : nullptr,
                             ws.v[i].data() + to, p.neuron.cuba ? ws.syn[i].data() + to : nullptr, y, ws.tmp, o.spike);
            }
          },
          *p.layer);
    }
    if (p.spiking_layer()) {
      double sum = 0.0;
      for (const float s : ws.act[i + 1]) sum += s;
      if (r.spikes.size() <= spiking_index) r.spikes.resize(spiking_index + 1, 0.0);
      r.spikes[spiking_index++] += sum;
    }
  }

  // Loss on the output rates (mean over T of the output: spikes, or the membrane of LI / I).
  const int K = net.num_classes;
  const std::vector<float>& y = ws.act[L];
  const bool out_spiking = plans.back().spiking_layer();
  std::vector<double> rate(static_cast<std::size_t>(K), 0.0);
  std::vector<std::int32_t> counts(static_cast<std::size_t>(K), 0);
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < K; ++k) {
      const float yk = y[static_cast<std::size_t>(t) * K + k];
      rate[static_cast<std::size_t>(k)] += yk;
      if (!out_spiking) counts[static_cast<std::size_t>(k)] += yk != 0.0f;  // what infer() counts
    }
  for (int k = 0; k < K; ++k) {
    if (out_spiking) counts[static_cast<std::size_t>(k)] = static_cast<std::int32_t>(std::lround(rate[static_cast<std::size_t>(k)]));
    rate[static_cast<std::size_t>(k)] /= T;
  }
  r.counts.insert(r.counts.end(), counts.begin(), counts.end());
  r.predictions.push_back(argmax(counts));
  std::vector<double> d_rate(static_cast<std::size_t>(K));
  if (o.loss == Loss::Mse) {
    const double scale = 1.0 / (static_cast<double>(batch_total) * K);
    for (int k = 0; k < K; ++k) {
      const double e = rate[static_cast<std::size_t>(k)] - (k == label ? 1.0 : 0.0);
      r.loss += e * e * scale;
      d_rate[static_cast<std::size_t>(k)] = 2.0 * e * scale;
    }
  } else {
    const double top = *std::max_element(rate.begin(), rate.end());
    double z = 0.0;
    for (const double q : rate) z += std::exp(q - top);
    r.loss += -(rate[static_cast<std::size_t>(label)] - top - std::log(z)) / static_cast<double>(batch_total);
    for (int k = 0; k < K; ++k)
      d_rate[static_cast<std::size_t>(k)] =
          (std::exp(rate[static_cast<std::size_t>(k)] - top) / z - (k == label ? 1.0 : 0.0)) / static_cast<double>(batch_total);
  }
  ws.grad[L].resize(y.size());
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < K; ++k)
      ws.grad[L][static_cast<std::size_t>(t) * K + k] = static_cast<float>(d_rate[static_cast<std::size_t>(k)] / T);

  // Backward, layer by layer from the output, every step of a layer before the layer below it.
  for (std::size_t i = L; i-- > first_weighted;) {
    const Plan& p = plans[i];
    const std::size_t ni = p.in.n(), no = p.out.n();
    const bool need_dx = i > first_weighted;
    const float* G = ws.grad[i + 1].data();
    auto& dx = ws.grad[i];
    dx.assign(static_cast<std::size_t>(T) * ni, 0.0f);
    std::vector<float>* dw = p.weighted >= 0 ? &r.dw[static_cast<std::size_t>(p.weighted)] : nullptr;
    std::vector<float>* db = p.weighted >= 0 ? &r.db[static_cast<std::size_t>(p.weighted)] : nullptr;
    std::visit(
        [&]([[maybe_unused]] const auto& l) {
          using K2 = std::decay_t<decltype(l)>;
          if constexpr (std::is_same_v<K2, Lif>) {
            lif_layer_backward(l, no, T, ws.v[i].data(), ws.act[i + 1].data(), G, dx.data(), o);
          } else if constexpr (std::is_same_v<K2, Neuron>) {
            neuron_layer_backward(p, no, T, ws.v[i].data(), ws.act[i + 1].data(), G, dx.data(), dw, db, o, ws);
          } else {
            for (int t = 0; t < T; ++t) {
            const std::size_t ti = static_cast<std::size_t>(t) * ni, to = static_cast<std::size_t>(t) * no;
            [[maybe_unused]] const float* x = ws.act[i].data() + ti;
            float* d = dx.data() + ti;
            if constexpr (std::is_same_v<K2, Linear>) linear_backward(p, x, G + to, need_dx ? d : nullptr, *dw, *db);
            else if constexpr (std::is_same_v<K2, Conv2d>) conv_backward(p, l, x, G + to, need_dx ? d : nullptr, *dw, *db);
            else if constexpr (std::is_same_v<K2, Flatten>) std::copy(G + to, G + to + no, d);
            else if constexpr (std::is_same_v<K2, MaxPool2d>) {
              for (std::size_t k = 0; k < no; ++k) d[ws.route[i][to + k]] += G[to + k];
            } else if constexpr (std::is_same_v<K2, Pool2d>) pool_backward(p, l, G + to, d);
            else if constexpr (std::is_same_v<K2, Scale>) {
              for (std::size_t k = 0; k < ni; ++k) d[k] = G[to + k] * l.factors[k];
            }
            }
          }
        },
        *p.layer);
  }
}

}  // namespace

void general_gradients(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> indices,
                       const GradientOptions& o, Gradients& out) {
  const std::vector<Plan> plans = make_plans(net);
  const int T = data.shape.t;
  std::size_t first_weighted = plans.size();
  std::vector<std::size_t> dw_size, db_size;
  for (std::size_t i = 0; i < plans.size(); ++i)
    if (plans[i].weighted >= 0) {
      first_weighted = std::min(first_weighted, i);
      dw_size.push_back(net.weights(static_cast<std::size_t>(plans[i].weighted)).count());
      db_size.push_back(plans[i].bias->size());
    }
  // Fixed chunks (not tied to the thread count): the summation order is part of the arithmetic.
  const std::size_t chunk = o.chunk ? o.chunk : 4;
  const std::size_t n_chunks = (indices.size() + chunk - 1) / chunk;
  std::vector<Partial> parts(n_chunks);
  tbb::enumerable_thread_specific<Workspace> workspaces;
  const int threads = io::thread_count(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::parallel_for(std::size_t{0}, n_chunks, [&](std::size_t c) {
    Partial& r = parts[c];
    for (std::size_t k = 0; k < dw_size.size(); ++k) {
      r.dw.emplace_back(dw_size[k], 0.0f);
      r.db.emplace_back(db_size[k], 0.0f);
    }
    Workspace& ws = workspaces.local();
    const std::size_t first = c * chunk, count = std::min(chunk, indices.size() - first);
    for (std::size_t b = first; b < first + count; ++b) {
      const std::size_t sample = indices[b];
      const int label = data.labels[sample];
      if (label < 0 || label >= net.num_classes)
        throw std::invalid_argument("sample " + std::to_string(sample) + " has label " + std::to_string(label) + " outside 0.." +
                                    std::to_string(net.num_classes - 1));
      run_sample(net, plans, data.sample(sample), label, T, indices.size(), o, ws, r, first_weighted);
    }
  });

  out.loss = 0.0;
  out.spike_counts.clear();
  out.predictions.clear();
  out.lif_spikes.assign(parts[0].spikes.size(), 0.0);
  for (std::size_t c = 0; c < n_chunks; ++c) {
    out.loss += parts[c].loss;
    out.spike_counts.insert(out.spike_counts.end(), parts[c].counts.begin(), parts[c].counts.end());
    out.predictions.insert(out.predictions.end(), parts[c].predictions.begin(), parts[c].predictions.end());
    for (std::size_t k = 0; k < out.lif_spikes.size(); ++k) out.lif_spikes[k] += parts[c].spikes[k];
    if (c > 0)
      for (std::size_t k = 0; k < dw_size.size(); ++k) {
        for (std::size_t j = 0; j < dw_size[k]; ++j) parts[0].dw[k][j] += parts[c].dw[k][j];
        for (std::size_t j = 0; j < db_size[k]; ++j) parts[0].db[k][j] += parts[c].db[k][j];
      }
  }
  out.lif_neurons.clear();
  for (const Plan& p : plans)
    if (p.spiking_layer()) out.lif_neurons.push_back(p.out.n());
  // Back to PyTorch layouts (Linear and recurrent weights were accumulated transposed).
  out.weight.assign(dw_size.size(), {});
  out.bias.assign(dw_size.size(), {});
  for (const Plan& p : plans) {
    if (p.weighted < 0) continue;
    const auto k = static_cast<std::size_t>(p.weighted);
    const auto& d = parts[0].dw[k];
    auto& w = out.weight[k];
    if (std::holds_alternative<Conv2d>(*p.layer)) {
      w = d;
    } else {
      const auto& shape = net.weights(k).shape;
      const std::size_t rows = static_cast<std::size_t>(shape[0]), cols = static_cast<std::size_t>(shape[1]);
      w.resize(d.size());
      for (std::size_t j = 0; j < cols; ++j)
        for (std::size_t r = 0; r < rows; ++r) w[r * cols + j] = d[j * rows + r];
    }
    out.bias[k] = parts[0].db[k];
  }
}

}  // namespace snngx::snn::detail
