// Forward + BPTT backward of a chunk of samples (see train.hpp for the semantics).
//
// Every activation is a column-major matrix [channels, samples*T*H*W]: column (n*H*W + p) with
// n = b*T + t holds all channels of pixel p of step t of sample b. Linear and Conv2d visit only
// nonzero inputs (spikes and event counts are sparse), with weights stored so that the weights
// one input touches are a contiguous column; the LIF recurrence is a scan over t vectorised over
// the channels; input gradients are computed only where a surrogate window is open.
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "snngx/io/threads.hpp"
#include "snngx/io/memory.hpp"
#include "snngx/snn/geometry.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/train.hpp"
#include "train_spike.hpp"

namespace snngx::snn {
namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using IndexMat = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic>;

struct Act {
  Mat m;            // [c, N * h * w]
  int c = 0, h = 1, w = 1;
  // needed(c, col) != 0 where dL/d(this activation) can matter: a LIF spike whose membrane lies in
  // the surrogate window (elsewhere S'(v) = 0 multiplies it away). Empty = everywhere.
  Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic> needed;
  [[nodiscard]] int plane() const { return h * w; }
};

enum class Op { Linear, Conv2d, Lif, MaxPool2d, Flatten };

struct Step {
  Op op{};
  int in_c = 0, in_h = 1, in_w = 1, out_c = 0, out_h = 1, out_w = 1;
  geometry::Window window;                              // conv / pool
  float decay = 0.0f, threshold = 0.0f;                // lif
  int weighted = -1;                                   // index among weighted layers
  // Column-major [out, K]: column k holds the weights one input touches, contiguous. Linear:
  // k = input feature. Conv2d: k = (ky * kw + kx) * in_c + c.
  Mat weight;
};

std::vector<Step> compile(const Network& net) {
  validate(net);
  const auto shapes = net.layer_output_shapes();
  auto dims3 = [](const Shape& s, int& c, int& h, int& w) {
    c = s[0];
    h = s.size() == 3 ? s[1] : 1;
    w = s.size() == 3 ? s[2] : 1;
  };
  // Biases, Neuron layers and sum/avg pooling go through the general path (train_general.cpp).
  require_reference_kinds(net, "the batched training path");
  std::vector<Step> steps;
  Shape in = net.input_shape;
  int weighted = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    Step s;
    dims3(in.size() == 3 ? in : Shape{static_cast<int>(numel(in))}, s.in_c, s.in_h, s.in_w);
    dims3(shapes[i], s.out_c, s.out_h, s.out_w);
    const Layer& l = net.layers[i];
    if (const auto* L = std::get_if<Linear>(&l)) {
      s.op = Op::Linear;
      s.weighted = weighted++;
      s.weight = Eigen::Map<const RowMat>(L->weight.values.data(), L->out_features, L->in_features);
    } else if (const auto* C = std::get_if<Conv2d>(&l)) {
      s.op = Op::Conv2d;
      s.weighted = weighted++;
      s.window = geometry::window(*C, in);
      const int cin = C->in_channels, kk = s.window.taps();
      s.weight.resize(C->out_channels, static_cast<Eigen::Index>(kk) * cin);
      const auto& w = C->weight.values;
      for (int o = 0; o < C->out_channels; ++o)
        for (int c = 0; c < cin; ++c)
          for (int k = 0; k < kk; ++k) s.weight(o, static_cast<Eigen::Index>(k) * cin + c) = w[(static_cast<std::size_t>(o) * cin + c) * kk + k];
    } else if (const auto* N = std::get_if<Lif>(&l)) {
      s.op = Op::Lif;
      s.decay = N->decay;
      s.threshold = N->threshold;
    } else if (const auto* P = std::get_if<MaxPool2d>(&l)) {
      s.op = Op::MaxPool2d;
      s.window = geometry::window(*P, in);
    } else {
      s.op = Op::Flatten;
    }
    steps.push_back(std::move(s));
    in = shapes[i];
  }
  return steps;
}

// Copies the network's weights into the steps' layout (no reallocation when shapes are unchanged).
void load_weights(std::vector<Step>& steps, const Network& net) {
  for (Step& s : steps) {
    if (s.weighted < 0) continue;
    const auto& w = net.weights(static_cast<std::size_t>(s.weighted)).values;
    if (s.op == Op::Linear) {
      s.weight = Eigen::Map<const RowMat>(w.data(), s.out_c, s.in_c);
    } else {
      const int cin = s.in_c, kk = s.window.taps();
      s.weight.resize(s.out_c, static_cast<Eigen::Index>(kk) * cin);
      for (int o = 0; o < s.out_c; ++o)
        for (int c = 0; c < cin; ++c)
          for (int k = 0; k < kk; ++k)
            s.weight(o, static_cast<Eigen::Index>(k) * cin + c) = w[(static_cast<std::size_t>(o) * cin + c) * kk + k];
    }
  }
}

// ---- Linear / Conv2d, event-driven ------------------------------------------------------------
// Inputs are event counts or binary spikes, mostly zero: every product visits only the nonzero
// inputs (as the inference engine's event kind does). For one nonzero input x at (k, col):
//   forward  out(:, col') += W(:, k) * x       backward  dW(:, k) += G(:, col') * x
// over the output columns col' it reaches; the input gradient is a dot product W(:, k) . G(:, col')
// computed only where `needed`.
struct Nonzeros {
  std::vector<std::int32_t> start;  // per column, into row/val
  std::vector<std::int32_t> row;
  std::vector<float> val;
};

void find_nonzeros(const Mat& x, Nonzeros& nz) {
  nz.start.clear();
  nz.row.clear();
  nz.val.clear();
  nz.start.push_back(0);
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const float* col = x.col(j).data();
    for (Eigen::Index r = 0; r < x.rows(); ++r)
      if (col[r] != 0.0f) {
        nz.row.push_back(static_cast<std::int32_t>(r));
        nz.val.push_back(col[r]);
      }
    nz.start.push_back(static_cast<std::int32_t>(nz.row.size()));
  }
}

// Calls f(k, out_col) for every (weight column, output column) an input at (c, in_col) reaches.
template <class F>
void conv_targets(const Step& s, Eigen::Index in_col, int c, F&& f) {
  const int H = s.in_h, W = s.in_w, OH = s.out_h, OW = s.out_w, KW = s.window.x.kernel;
  const Eigen::Index n = in_col / (static_cast<Eigen::Index>(H) * W);
  const int p = static_cast<int>(in_col % (static_cast<Eigen::Index>(H) * W)), iy = p / W, ix = p % W;
  s.window.outputs_reached(iy, ix, [&](int ky, int kx, int oy, int ox) {
    f(static_cast<Eigen::Index>(ky * KW + kx) * s.in_c + c, (n * OH + oy) * OW + ox);
  });
}

template <class F>
void for_each_nonzero(const Nonzeros& nz, F&& f) {
  for (std::size_t j = 0; j + 1 < nz.start.size(); ++j)
    for (auto e = static_cast<std::size_t>(nz.start[j]); e < static_cast<std::size_t>(nz.start[j + 1]); ++e)
      f(static_cast<Eigen::Index>(j), nz.row[e], nz.val[e]);
}

void weighted_forward(const Step& s, const Nonzeros& nz, int n_frames, Mat& y) {
  const Eigen::Index out_cols = static_cast<Eigen::Index>(n_frames) * s.out_h * s.out_w;
  y.setZero(s.out_c, out_cols);
  for_each_nonzero(nz, [&](Eigen::Index j, int r, float v) {
    if (s.op == Op::Linear) y.col(j) += s.weight.col(r) * v;
    else conv_targets(s, j, r, [&](Eigen::Index k, Eigen::Index oc) { y.col(oc) += s.weight.col(k) * v; });
  });
}

void weighted_weight_grad(const Step& s, const Mat& grad, const Nonzeros& nz, Mat& dw) {
  dw.setZero(s.weight.rows(), s.weight.cols());
  for_each_nonzero(nz, [&](Eigen::Index j, int r, float v) {
    if (s.op == Op::Linear) dw.col(r) += grad.col(j) * v;
    else conv_targets(s, j, r, [&](Eigen::Index k, Eigen::Index oc) { dw.col(k) += grad.col(oc) * v; });
  });
}

void weighted_input_grad(const Step& s, const Act& x, const Mat& grad, Mat& dx) {
  dx.setZero(x.m.rows(), x.m.cols());
  const bool all = x.needed.size() == 0;
  for (Eigen::Index j = 0; j < x.m.cols(); ++j)
    for (Eigen::Index r = 0; r < x.m.rows(); ++r) {
      if (!all && !x.needed(r, j)) continue;
      if (s.op == Op::Linear) {
        dx(r, j) = s.weight.col(r).dot(grad.col(j));
      } else {
        float sum = 0.0f;
        conv_targets(s, j, static_cast<int>(r), [&](Eigen::Index k, Eigen::Index oc) { sum += s.weight.col(k).dot(grad.col(oc)); });
        dx(r, j) = sum;
      }
    }
}

// ---- LIF -----------------------------------------------------------------------------------
using detail::kFastSigmoidSlope;
using detail::spike_of;

// Same arithmetic, in the same order, as the inference engine: v = v * decay * (1 - s) + I.
// With the rectangular surrogate, also marks where its window is open (the only places a spike's
// gradient matters); the fast sigmoid's support is everywhere, so nothing is marked.
void lif_forward(const Step& s, const Mat& current, Mat& v, Act& out, int batch, int T, SpikeFunction fn, Surrogate surrogate) {
  const Eigen::Index rows = current.rows();
  const int P = s.out_h * s.out_w;
  const float half = kSurrogateAlpha / 2.0f;
  const bool windowed = surrogate == Surrogate::Rectangular;
  v.resize(rows, current.cols());
  out.m.resize(rows, current.cols());
  out.needed.resize(windowed ? rows : 0, windowed ? current.cols() : 0);
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < T; ++t)
      for (int p = 0; p < P; ++p) {
        const Eigen::Index col = (static_cast<Eigen::Index>(b) * T + t) * P + p;
        const float* I = current.col(col).data();
        float* vc = v.col(col).data();
        float* sc = out.m.col(col).data();
        std::uint8_t* nc = windowed ? out.needed.col(col).data() : nullptr;
        if (t == 0) {
          for (Eigen::Index r = 0; r < rows; ++r) vc[r] = I[r];  // v[-1] = 0
        } else {
          const float* vp = v.col(col - P).data();
          const float* sp = out.m.col(col - P).data();
          for (Eigen::Index r = 0; r < rows; ++r) vc[r] = vp[r] * s.decay * (1.0f - sp[r]) + I[r];
        }
        for (Eigen::Index r = 0; r < rows; ++r) sc[r] = spike_of(vc[r], s.threshold, fn);
        if (windowed)
          for (Eigen::Index r = 0; r < rows; ++r) nc[r] = std::fabs(vc[r] - s.threshold) < half ? 1 : 0;
      }
}

// Reverse-time scan. With v[t+1] = v[t] * d * (1 - s[t]) + I[t+1] and s[t] = S(v[t]):
//   dL/ds[t] = g[t] - d * v[t] * dL/dv[t+1]          (the reset term; dropped when Detached)
//   dL/dv[t] = dL/ds[t] * S'(v[t]) + d * (1 - s[t]) * dL/dv[t+1]
// and dL/dI[t] = dL/dv[t].
void lif_backward(const Step& s, const Mat& v, const Act& out, const Mat& grad_spikes, int batch, int T,
                  ResetGradient reset, Surrogate surrogate, Mat& grad_v) {
  const Eigen::Index rows = v.rows();
  const int P = s.out_h * s.out_w;
  const bool gated = reset == ResetGradient::Gated;
  const float threshold = s.threshold;
  const auto sg = [surrogate, threshold](float vr) { return surrogate_derivative(surrogate, vr - threshold); };
  grad_v.resize(rows, v.cols());
  for (int b = 0; b < batch; ++b)
    for (int t = T - 1; t >= 0; --t)
      for (int p = 0; p < P; ++p) {
        const Eigen::Index col = (static_cast<Eigen::Index>(b) * T + t) * P + p;
        const float* vc = v.col(col).data();
        const float* sc = out.m.col(col).data();
        const float* g = grad_spikes.col(col).data();
        float* dv = grad_v.col(col).data();
        if (t == T - 1) {
          for (Eigen::Index r = 0; r < rows; ++r) dv[r] = g[r] * sg(vc[r]);
          continue;
        }
        const float* next = grad_v.col(col + P).data();
        for (Eigen::Index r = 0; r < rows; ++r) {
          const float gs = gated ? g[r] - s.decay * vc[r] * next[r] : g[r];
          dv[r] = gs * sg(vc[r]) + s.decay * (1.0f - sc[r]) * next[r];
        }
      }
}

// ---- max-pool (OR of spikes; the gradient goes to the first maximum of each window) ----------
void maxpool_forward(const Step& s, const Act& x, int n_frames, Act& y, IndexMat& argmax) {
  const int C = s.in_c, H = s.in_h, W = s.in_w, OH = s.out_h, OW = s.out_w;
  y.m.resize(C, static_cast<Eigen::Index>(n_frames) * OH * OW);
  argmax.resize(C, y.m.cols());
  for (int n = 0; n < n_frames; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const Eigen::Index col = (static_cast<Eigen::Index>(n) * OH + oy) * OW + ox;
        bool first = true;
        s.window.receptive_field(oy, ox, [&](int, int, int iy, int ix) {
          const auto src = static_cast<std::int32_t>((static_cast<Eigen::Index>(n) * H + iy) * W + ix);
          for (int c = 0; c < C; ++c) {
            const float val = x.m(c, src);
            if (first || val > y.m(c, col)) {  // strict: ties keep the first maximum
              y.m(c, col) = val;
              argmax(c, col) = src;
            }
          }
          first = false;
        });
      }
  if (x.needed.size() == 0) {
    y.needed.resize(0, 0);
    return;
  }
  y.needed.resize(C, y.m.cols());
  for (Eigen::Index col = 0; col < y.m.cols(); ++col)
    for (int c = 0; c < C; ++c) y.needed(c, col) = x.needed(c, argmax(c, col));
}

void maxpool_backward(const Step& s, const Mat& grad_y, const IndexMat& argmax, int n_frames, Mat& dx) {
  dx.setZero(s.in_c, static_cast<Eigen::Index>(n_frames) * s.in_h * s.in_w);
  for (Eigen::Index col = 0; col < grad_y.cols(); ++col)
    for (Eigen::Index c = 0; c < grad_y.rows(); ++c) dx(c, argmax(c, col)) += grad_y(c, col);
}

// ---- flatten: [C, N*HW] -> [C*HW, N] (PyTorch's view of [C,H,W]) ------------------------------
template <class M>
void flatten_matrix(const M& x, int C, int P, int n_frames, M& y) {
  y.resize(static_cast<Eigen::Index>(C) * P, n_frames);
  for (int n = 0; n < n_frames; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p) y(static_cast<Eigen::Index>(c) * P + p, n) = x(c, static_cast<Eigen::Index>(n) * P + p);
}

void flatten_forward(const Act& x, int n_frames, Act& y) {
  flatten_matrix(x.m, x.c, x.plane(), n_frames, y.m);
  if (x.needed.size() != 0) flatten_matrix(x.needed, x.c, x.plane(), n_frames, y.needed);
  else y.needed.resize(0, 0);
}

void flatten_backward(const Step& s, const Mat& grad_y, int n_frames, Mat& dx) {
  const int C = s.in_c, P = s.in_h * s.in_w;
  dx.resize(C, static_cast<Eigen::Index>(n_frames) * P);
  for (int n = 0; n < n_frames; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p) dx(c, static_cast<Eigen::Index>(n) * P + p) = grad_y(static_cast<Eigen::Index>(c) * P + p, n);
}

// ---- one chunk --------------------------------------------------------------------------------
// Buffers of one worker thread, reused from chunk to chunk.
struct Workspace {
  std::vector<Act> acts;          // acts[i] enters layer i; acts.back() is the output spikes
  std::vector<Mat> membranes;     // LIF layers
  std::vector<IndexMat> routes;   // max-pool layers
  std::vector<Nonzeros> inputs;   // nonzero inputs of weighted layers
  std::vector<Mat> grads;         // grads[i] = dL/d acts[i]
};

// Per-chunk results, summed in chunk order afterwards.
struct ChunkResult {
  double loss = 0.0;
  std::vector<Mat> weight_grads;  // per weighted layer, in the Step's weight layout
  std::vector<std::int32_t> counts, predictions;
  std::vector<double> lif_spikes;  // per LIF layer
};

void load_input(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> idx, Act& x) {
  const int T = data.shape.t;  // T comes from the frame file
  const Shape& in = net.input_shape;
  x.c = in.size() == 3 ? in[0] : static_cast<int>(numel(in));
  x.h = in.size() == 3 ? in[1] : 1;
  x.w = in.size() == 3 ? in[2] : 1;
  const int P = x.plane();
  x.m.resize(x.c, static_cast<Eigen::Index>(idx.size()) * T * P);
  x.needed.resize(0, 0);
  for (std::size_t b = 0; b < idx.size(); ++b) {
    const auto sample = data.sample(idx[b]);
    for (int t = 0; t < T; ++t) {
      const std::uint16_t* frame = sample.data() + static_cast<std::size_t>(t) * x.c * P;
      const Eigen::Index base = (static_cast<Eigen::Index>(b) * T + t) * P;
      for (int c = 0; c < x.c; ++c)
        for (int p = 0; p < P; ++p) x.m(c, base + p) = static_cast<float>(frame[static_cast<std::size_t>(c) * P + p]);
    }
  }
}

// Output loss for one chunk; writes dL/d(output spikes) into `grad`.
void output_loss(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> idx,
                 std::size_t batch_total, Loss loss, const Mat& out, Mat& grad, ChunkResult& r) {
  const int T = data.shape.t, B = static_cast<int>(idx.size()), K = net.num_classes;
  grad.resize(K, static_cast<Eigen::Index>(B) * T);
  r.loss = 0.0;
  r.counts.assign(static_cast<std::size_t>(B) * K, 0);
  r.predictions.assign(static_cast<std::size_t>(B), 0);
  for (int b = 0; b < B; ++b) {
    const std::size_t sample = idx[static_cast<std::size_t>(b)];
    const int label = data.labels[sample];
    if (label < 0 || label >= K)
      throw std::invalid_argument("sample " + std::to_string(sample) + " has label " + std::to_string(label) +
                                  " outside 0.." + std::to_string(K - 1));
    const Eigen::VectorXd rate = out.middleCols(static_cast<Eigen::Index>(b) * T, T).cast<double>().rowwise().sum() / T;
    auto* counts = r.counts.data() + static_cast<std::size_t>(b) * K;
    for (int k = 0; k < K; ++k) counts[k] = static_cast<std::int32_t>(std::lround(rate(k) * T));
    r.predictions[static_cast<std::size_t>(b)] = argmax(std::span<const std::int32_t>(counts, static_cast<std::size_t>(K)));
    Eigen::VectorXd d_rate(K);
    if (loss == Loss::Mse) {
      const double scale = 1.0 / (static_cast<double>(batch_total) * K);
      for (int k = 0; k < K; ++k) {
        const double e = rate(k) - (k == label ? 1.0 : 0.0);
        r.loss += e * e * scale;
        d_rate(k) = 2.0 * e * scale;
      }
    } else {
      Eigen::VectorXd p = (rate.array() - rate.maxCoeff()).exp();
      p /= p.sum();
      r.loss += -std::log(p(label)) / static_cast<double>(batch_total);
      for (int k = 0; k < K; ++k) d_rate(k) = (p(k) - (k == label ? 1.0 : 0.0)) / static_cast<double>(batch_total);
    }
    const Eigen::VectorXf d_spike = (d_rate / T).cast<float>();
    for (int t = 0; t < T; ++t) grad.col(static_cast<Eigen::Index>(b) * T + t) = d_spike;
  }
}

void run_chunk(const Network& net, const std::vector<Step>& steps, const datasets::FrameSet& data,
               std::span<const std::size_t> idx, std::size_t batch_total, const GradientOptions& o, Workspace& ws,
               ChunkResult& r) {
  const int T = data.shape.t, B = static_cast<int>(idx.size()), NT = B * T;
  const std::size_t L = steps.size();
  ws.acts.resize(L + 1);
  ws.membranes.resize(L);
  ws.routes.resize(L);
  ws.inputs.resize(L);
  ws.grads.resize(L + 1);
  load_input(net, data, idx, ws.acts[0]);
  r.lif_spikes.clear();
  for (std::size_t i = 0; i < L; ++i) {
    const Step& s = steps[i];
    const Act& x = ws.acts[i];
    Act& y = ws.acts[i + 1];
    y.c = s.out_c, y.h = s.out_h, y.w = s.out_w;
    switch (s.op) {
      case Op::Linear:
      case Op::Conv2d:
        find_nonzeros(x.m, ws.inputs[i]);
        weighted_forward(s, ws.inputs[i], NT, y.m);
        y.needed.resize(0, 0);
        break;
      case Op::Lif:
        lif_forward(s, x.m, ws.membranes[i], y, B, T, o.spike, o.surrogate);
        r.lif_spikes.push_back(static_cast<double>(y.m.sum()));
        break;
      case Op::MaxPool2d: maxpool_forward(s, x, NT, y, ws.routes[i]); break;
      case Op::Flatten: flatten_forward(x, NT, y); break;
    }
  }
  output_loss(net, data, idx, batch_total, o.loss, ws.acts[L].m, ws.grads[L], r);

  std::size_t first_weighted = L, n_weighted = 0;
  for (std::size_t i = 0; i < L; ++i)
    if (steps[i].weighted >= 0) {
      first_weighted = std::min(first_weighted, i);
      ++n_weighted;
    }
  r.weight_grads.resize(n_weighted);
  for (std::size_t i = L; i-- > first_weighted;) {
    const Step& s = steps[i];
    const Mat& grad = ws.grads[i + 1];
    Mat& g_in = ws.grads[i];
    switch (s.op) {
      case Op::Linear:
      case Op::Conv2d:
        weighted_weight_grad(s, grad, ws.inputs[i], r.weight_grads[static_cast<std::size_t>(s.weighted)]);
        if (i > first_weighted) weighted_input_grad(s, ws.acts[i], grad, g_in);
        break;
      case Op::Lif: lif_backward(s, ws.membranes[i], ws.acts[i + 1], grad, B, T, o.reset, o.surrogate, g_in); break;
      case Op::MaxPool2d: maxpool_backward(s, grad, ws.routes[i], NT, g_in); break;
      case Op::Flatten: flatten_backward(s, grad, NT, g_in); break;
    }
  }
}

std::size_t auto_chunk(const std::vector<Step>& steps, int T) {
  // Bytes kept per sample: every activation with its gradient (and membrane for LIF layers).
  double floats = 0.0;
  for (const Step& s : steps) {
    const double out = static_cast<double>(s.out_c) * s.out_h * s.out_w * T;
    floats += s.op == Op::Lif ? 3.5 * out : 2.0 * out;
  }
  const double budget = 128.0 * 1024 * 1024;
  return static_cast<std::size_t>(std::clamp(budget / (4.0 * floats), 1.0, 16.0));
}

}  // namespace

std::uint64_t gradient_memory_bytes(const Network& net, int steps_t, std::size_t batch, const GradientOptions& options) {
  if (steps_t <= 0 || batch == 0) return 0;
  if (!reference_kinds_only(net)) {
    // The general path (train_general.cpp) runs one sample per thread and keeps, per step, every
    // layer's output, membrane / synaptic state and gradient: at most 16 bytes per value.
    std::uint64_t per_step = 4 * numel(net.input_shape);
    for (const auto& shape : net.layer_output_shapes()) per_step += 16 * numel(shape);
    const auto busy = std::min<std::uint64_t>(static_cast<std::uint64_t>(io::thread_count(options.threads)), batch);
    return io::saturating_sum({io::saturating_product({busy, static_cast<std::uint64_t>(steps_t), per_step}),
                               io::saturating_product({busy + 2, net.parameter_count(), 4})});
  }
  const std::vector<Step> steps = compile(net);
  const auto T = static_cast<std::uint64_t>(steps_t);
  // Bytes per sample and time step; the first weighted layer's input gradient is never formed.
  std::uint64_t per_step = 4 * numel(net.input_shape);
  std::uint64_t weights = 0;
  bool after_weighted = false;
  for (const Step& s : steps) {
    const std::uint64_t out = static_cast<std::uint64_t>(s.out_c) * s.out_h * s.out_w;
    const std::uint64_t in = static_cast<std::uint64_t>(s.in_c) * s.in_h * s.in_w;
    const std::uint64_t grad = after_weighted || s.weighted >= 0 ? 4 * out : 0;
    switch (s.op) {
      case Op::Linear:
      case Op::Conv2d:
        per_step += 4 * out + grad + 8 * in;
        weights += static_cast<std::uint64_t>(s.weight.size());
        after_weighted = true;
        break;
      case Op::Lif: per_step += 4 * out + grad + 5 * out; break;
      case Op::MaxPool2d: per_step += 4 * out + grad + 5 * out; break;
      case Op::Flatten: per_step += 4 * out + grad; break;
    }
  }
  const std::size_t chunk = options.chunk ? options.chunk : auto_chunk(steps, steps_t);
  const std::uint64_t chunks = (batch + chunk - 1) / chunk;
  const auto threads = static_cast<std::uint64_t>(io::thread_count(options.threads));
  const std::uint64_t busy = std::min(threads, chunks);
  return io::saturating_sum({io::saturating_product({busy, std::min<std::uint64_t>(chunk, batch), T, per_step}),
                             io::saturating_product({chunks + 2, weights, 4})});
}

Loss parse_loss(const std::string& name) {
  if (name == "mse") return Loss::Mse;
  if (name == "ce") return Loss::CrossEntropy;
  throw std::invalid_argument("unknown loss '" + name + "' (expected mse or ce)");
}
std::string to_string(Loss loss) { return loss == Loss::Mse ? "mse" : "ce"; }

Surrogate parse_surrogate(const std::string& name) {
  if (name == "rectangular") return Surrogate::Rectangular;
  if (name == "fast-sigmoid") return Surrogate::FastSigmoid;
  throw std::invalid_argument("unknown surrogate '" + name + "' (expected rectangular or fast-sigmoid)");
}
std::string to_string(Surrogate surrogate) { return surrogate == Surrogate::Rectangular ? "rectangular" : "fast-sigmoid"; }

float surrogate_derivative(Surrogate surrogate, float x) {
  if (surrogate == Surrogate::Rectangular) return std::fabs(x) < kSurrogateAlpha / 2.0f ? 1.0f / kSurrogateAlpha : 0.0f;
  const float d = 1.0f + kFastSigmoidSlope * std::fabs(x);
  return 1.0f / (kSurrogateAlpha * d * d);
}

struct GradientComputer::Impl {
  GradientOptions options;
  std::vector<Shape> shapes;  // architecture the buffers were made for
  std::vector<Step> steps;
  tbb::enumerable_thread_specific<Workspace> workspaces;
  std::vector<ChunkResult> chunks;
  Gradients result;

  const Gradients& compute(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> indices) {
    check_compatible(net, data.shape);
    if (indices.empty()) throw std::invalid_argument("compute_gradients: empty batch");
    for (const auto i : indices)
      if (i >= data.size()) throw std::out_of_range("compute_gradients: sample index " + std::to_string(i) + " out of range");
    if (!reference_kinds_only(net)) {  // imported and user-defined networks: one sample at a time
      validate(net);
      detail::general_gradients(net, data, indices, options, result);
      return result;
    }
    const auto net_shapes = net.layer_output_shapes();
    if (steps.empty() || net_shapes != shapes) {
      steps = compile(net);
      shapes = net_shapes;
      workspaces.clear();
      chunks.clear();
    }
    load_weights(steps, net);
    const std::size_t chunk = options.chunk ? options.chunk : auto_chunk(steps, data.shape.t);
    const std::size_t n_chunks = (indices.size() + chunk - 1) / chunk;
    if (chunks.size() < n_chunks) chunks.resize(n_chunks);
    const int threads = io::thread_count(options.threads);
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    tbb::parallel_for(std::size_t{0}, n_chunks, [&](std::size_t c) {
      const std::size_t first = c * chunk, count = std::min(chunk, indices.size() - first);
      run_chunk(net, steps, data, indices.subspan(first, count), indices.size(), options, workspaces.local(), chunks[c]);
    });

    // Fixed-order reduction: chunk 0 + chunk 1 + ... whichever thread computed them.
    std::vector<Mat>& sum = chunks[0].weight_grads;
    for (std::size_t c = 1; c < n_chunks; ++c)
      for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += chunks[c].weight_grads[k];
    result.loss = 0.0;
    result.spike_counts.clear();
    result.predictions.clear();
    result.lif_spikes.assign(chunks[0].lif_spikes.size(), 0.0);
    for (std::size_t c = 0; c < n_chunks; ++c) {
      for (std::size_t k = 0; k < result.lif_spikes.size(); ++k) result.lif_spikes[k] += chunks[c].lif_spikes[k];
      result.loss += chunks[c].loss;
      result.spike_counts.insert(result.spike_counts.end(), chunks[c].counts.begin(), chunks[c].counts.end());
      result.predictions.insert(result.predictions.end(), chunks[c].predictions.begin(), chunks[c].predictions.end());
    }
    result.lif_neurons.clear();
    for (const Step& s : steps)
      if (s.op == Op::Lif) result.lif_neurons.push_back(static_cast<std::size_t>(s.out_c) * s.out_h * s.out_w);
    // Back to PyTorch layouts. The reference kinds have no biases.
    result.bias.assign(sum.size(), {});
    result.weight.resize(sum.size());
    for (const Step& s : steps) {
      if (s.weighted < 0) continue;
      const Mat& d = sum[static_cast<std::size_t>(s.weighted)];
      auto& flat = result.weight[static_cast<std::size_t>(s.weighted)];
      flat.resize(static_cast<std::size_t>(d.size()));
      if (s.op == Op::Linear) {
        Eigen::Map<RowMat>(flat.data(), d.rows(), d.cols()) = d;
      } else {
        const int cin = s.in_c, kk = s.window.taps();
        for (Eigen::Index o = 0; o < d.rows(); ++o)
          for (int c = 0; c < cin; ++c)
            for (int k = 0; k < kk; ++k)
              flat[(static_cast<std::size_t>(o) * cin + c) * kk + k] = d(o, static_cast<Eigen::Index>(k) * cin + c);
      }
    }
    return result;
  }
};

GradientComputer::GradientComputer(GradientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
GradientComputer::~GradientComputer() = default;
GradientComputer::GradientComputer(GradientComputer&&) noexcept = default;
GradientComputer& GradientComputer::operator=(GradientComputer&&) noexcept = default;

const Gradients& GradientComputer::compute(const Network& net, const datasets::FrameSet& data,
                                           std::span<const std::size_t> indices) {
  return impl_->compute(net, data, indices);
}

Gradients compute_gradients(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> indices,
                            const GradientOptions& options) {
  GradientComputer computer(options);
  return computer.compute(net, data, indices);
}

}  // namespace snngx::snn
