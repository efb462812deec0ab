// Forward + BPTT backward of a chunk of samples (see train.hpp for the semantics).
//
// Every activation is a column-major matrix [channels, samples*T*H*W]: column (n*H*W + p) with
// n = b*T + t holds all channels of pixel p of step t of sample b, so a Conv2d is one matrix
// product with im2col columns, a Linear one product, and the LIF recurrence a scan over t that
// is vectorised over the channels.
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::snn {
namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using IndexMat = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic>;

struct Act {
  Mat m;            // [c, N * h * w]
  int c = 0, h = 1, w = 1;
  [[nodiscard]] int plane() const { return h * w; }
};

enum class Op { Linear, Conv2d, Lif, MaxPool2d, Flatten };

struct Step {
  Op op{};
  int in_c = 0, in_h = 1, in_w = 1, out_c = 0, out_h = 1, out_w = 1;
  int kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;  // conv / pool
  float decay = 0.0f, threshold = 0.0f;                // lif
  int weighted = -1;                                   // index among weighted layers
  // Linear: [out, in] as in PyTorch. Conv2d: [out, (ky, kx, c)] so that an im2col column is
  // made of contiguous per-pixel channel vectors.
  RowMat weight;
};

std::vector<Step> compile(const Network& net) {
  validate(net);
  const auto shapes = net.layer_output_shapes();
  auto dims3 = [](const Shape& s, int& c, int& h, int& w) {
    c = s[0];
    h = s.size() == 3 ? s[1] : 1;
    w = s.size() == 3 ? s[2] : 1;
  };
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
      s.kh = C->kernel[0], s.kw = C->kernel[1], s.sh = C->stride[0], s.sw = C->stride[1];
      s.ph = C->padding[0], s.pw = C->padding[1];
      const int cin = C->in_channels, kk = s.kh * s.kw;
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
      s.kh = P->kernel[0], s.kw = P->kernel[1], s.sh = P->stride[0], s.sw = P->stride[1];
    } else {
      s.op = Op::Flatten;
    }
    steps.push_back(std::move(s));
    in = shapes[i];
  }
  return steps;
}

// ---- Conv2d as a matrix product -------------------------------------------------------------
Mat im2col(const Step& s, const Act& x, int n_frames) {
  const int kk = s.kh * s.kw, C = s.in_c, H = s.in_h, W = s.in_w, OH = s.out_h, OW = s.out_w;
  Mat cols = Mat::Zero(static_cast<Eigen::Index>(kk) * C, static_cast<Eigen::Index>(n_frames) * OH * OW);
  for (int n = 0; n < n_frames; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const Eigen::Index col = (static_cast<Eigen::Index>(n) * OH + oy) * OW + ox;
        for (int ky = 0; ky < s.kh; ++ky) {
          const int iy = oy * s.sh - s.ph + ky;
          if (iy < 0 || iy >= H) continue;
          for (int kx = 0; kx < s.kw; ++kx) {
            const int ix = ox * s.sw - s.pw + kx;
            if (ix < 0 || ix >= W) continue;
            const Eigen::Index src = (static_cast<Eigen::Index>(n) * H + iy) * W + ix;
            cols.col(col).segment(static_cast<Eigen::Index>(ky * s.kw + kx) * C, C) = x.m.col(src);
          }
        }
      }
  return cols;
}

Mat col2im(const Step& s, const Mat& dcols, int n_frames) {
  const int C = s.in_c, H = s.in_h, W = s.in_w, OH = s.out_h, OW = s.out_w;
  Mat dx = Mat::Zero(C, static_cast<Eigen::Index>(n_frames) * H * W);
  for (int n = 0; n < n_frames; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const Eigen::Index col = (static_cast<Eigen::Index>(n) * OH + oy) * OW + ox;
        for (int ky = 0; ky < s.kh; ++ky) {
          const int iy = oy * s.sh - s.ph + ky;
          if (iy < 0 || iy >= H) continue;
          for (int kx = 0; kx < s.kw; ++kx) {
            const int ix = ox * s.sw - s.pw + kx;
            if (ix < 0 || ix >= W) continue;
            const Eigen::Index dst = (static_cast<Eigen::Index>(n) * H + iy) * W + ix;
            dx.col(dst) += dcols.col(col).segment(static_cast<Eigen::Index>(ky * s.kw + kx) * C, C);
          }
        }
      }
  return dx;
}

// ---- LIF -----------------------------------------------------------------------------------
float spike_of(float v, float threshold, SpikeFunction fn) {
  if (fn == SpikeFunction::Heaviside) return v > threshold ? 1.0f : 0.0f;
  return std::clamp((v - threshold) / kSurrogateAlpha + 0.5f, 0.0f, 1.0f);
}

// Same arithmetic, in the same order, as the inference engine: v = v * decay * (1 - s) + I.
void lif_forward(const Step& s, const Mat& current, Mat& v, Mat& spikes, int batch, int T, SpikeFunction fn) {
  const Eigen::Index rows = current.rows();
  const int P = s.out_h * s.out_w;
  v.resize(rows, current.cols());
  spikes.resize(rows, current.cols());
  for (int b = 0; b < batch; ++b)
    for (int p = 0; p < P; ++p)
      for (int t = 0; t < T; ++t) {
        const Eigen::Index col = (static_cast<Eigen::Index>(b) * T + t) * P + p;
        const float* I = current.col(col).data();
        float* vc = v.col(col).data();
        float* sc = spikes.col(col).data();
        if (t == 0) {
          for (Eigen::Index r = 0; r < rows; ++r) {
            vc[r] = I[r];  // v[-1] = 0
            sc[r] = spike_of(vc[r], s.threshold, fn);
          }
        } else {
          const float* vp = v.col(col - P).data();
          const float* sp = spikes.col(col - P).data();
          for (Eigen::Index r = 0; r < rows; ++r) {
            vc[r] = vp[r] * s.decay * (1.0f - sp[r]) + I[r];
            sc[r] = spike_of(vc[r], s.threshold, fn);
          }
        }
      }
}

// Reverse-time scan. With v[t+1] = v[t] * d * (1 - s[t]) + I[t+1] and s[t] = S(v[t]):
//   dL/ds[t] = g[t] - d * v[t] * dL/dv[t+1]          (the reset term; dropped when Detached)
//   dL/dv[t] = dL/ds[t] * S'(v[t]) + d * (1 - s[t]) * dL/dv[t+1]
// and dL/dI[t] = dL/dv[t].
Mat lif_backward(const Step& s, const Mat& v, const Mat& spikes, const Mat& grad_spikes, int batch, int T,
                 ResetGradient reset) {
  const Eigen::Index rows = v.rows();
  const int P = s.out_h * s.out_w;
  const float sg = 1.0f / kSurrogateAlpha, half = kSurrogateAlpha / 2.0f;
  Mat grad_v(rows, v.cols());
  for (int b = 0; b < batch; ++b)
    for (int p = 0; p < P; ++p)
      for (int t = T - 1; t >= 0; --t) {
        const Eigen::Index col = (static_cast<Eigen::Index>(b) * T + t) * P + p;
        const float* vc = v.col(col).data();
        const float* sc = spikes.col(col).data();
        const float* g = grad_spikes.col(col).data();
        float* out = grad_v.col(col).data();
        if (t == T - 1) {
          for (Eigen::Index r = 0; r < rows; ++r) out[r] = std::fabs(vc[r] - s.threshold) < half ? g[r] * sg : 0.0f;
          continue;
        }
        const float* next = grad_v.col(col + P).data();
        const bool gated = reset == ResetGradient::Gated;
        for (Eigen::Index r = 0; r < rows; ++r) {
          const float gs = gated ? g[r] - s.decay * vc[r] * next[r] : g[r];
          const float through_spike = std::fabs(vc[r] - s.threshold) < half ? gs * sg : 0.0f;
          out[r] = through_spike + s.decay * (1.0f - sc[r]) * next[r];
        }
      }
  return grad_v;
}

// ---- max-pool --------------------------------------------------------------------------------
Act maxpool_forward(const Step& s, const Act& x, int n_frames, IndexMat& argmax) {
  const int C = s.in_c, H = s.in_h, W = s.in_w, OH = s.out_h, OW = s.out_w;
  Act y{Mat(C, static_cast<Eigen::Index>(n_frames) * OH * OW), C, OH, OW};
  argmax.resize(C, y.m.cols());
  for (int n = 0; n < n_frames; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const Eigen::Index col = (static_cast<Eigen::Index>(n) * OH + oy) * OW + ox;
        for (int ky = 0; ky < s.kh; ++ky)
          for (int kx = 0; kx < s.kw; ++kx) {
            const auto src = static_cast<std::int32_t>((static_cast<Eigen::Index>(n) * H + oy * s.sh + ky) * W + ox * s.sw + kx);
            const bool first = ky == 0 && kx == 0;
            for (int c = 0; c < C; ++c) {
              const float val = x.m(c, src);
              if (first || val > y.m(c, col)) {  // strict: ties keep the first maximum
                y.m(c, col) = val;
                argmax(c, col) = src;
              }
            }
          }
      }
  return y;
}

Mat maxpool_backward(const Step& s, const Mat& grad_y, const IndexMat& argmax, int n_frames) {
  Mat dx = Mat::Zero(s.in_c, static_cast<Eigen::Index>(n_frames) * s.in_h * s.in_w);
  for (Eigen::Index col = 0; col < grad_y.cols(); ++col)
    for (Eigen::Index c = 0; c < grad_y.rows(); ++c) dx(c, argmax(c, col)) += grad_y(c, col);
  return dx;
}

// ---- flatten: [C, N*HW] -> [C*HW, N] --------------------------------------------------------
Act flatten_forward(const Act& x, int n_frames) {
  const int C = x.c, P = x.plane();
  Act y{Mat(static_cast<Eigen::Index>(C) * P, n_frames), C * P, 1, 1};
  for (int n = 0; n < n_frames; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p) y.m(static_cast<Eigen::Index>(c) * P + p, n) = x.m(c, static_cast<Eigen::Index>(n) * P + p);
  return y;
}

Mat flatten_backward(const Step& s, const Mat& grad_y, int n_frames) {
  const int C = s.in_c, P = s.in_h * s.in_w;
  Mat dx(C, static_cast<Eigen::Index>(n_frames) * P);
  for (int n = 0; n < n_frames; ++n)
    for (int c = 0; c < C; ++c)
      for (int p = 0; p < P; ++p) dx(c, static_cast<Eigen::Index>(n) * P + p) = grad_y(static_cast<Eigen::Index>(c) * P + p, n);
  return dx;
}

// ---- one chunk --------------------------------------------------------------------------------
struct ChunkResult {
  double loss = 0.0;
  std::vector<RowMat> grads;  // per weighted layer, in the Step's weight layout
  std::vector<std::int32_t> counts, predictions;
};

Act load_input(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> idx) {
  const int T = net.time_steps;
  const Shape& in = net.input_shape;
  Act x;
  x.c = in[0];
  x.h = in.size() == 3 ? in[1] : 1;
  x.w = in.size() == 3 ? in[2] : 1;
  if (in.size() != 3) x.c = static_cast<int>(numel(in));
  const int P = x.plane();
  const auto n_frames = static_cast<Eigen::Index>(idx.size()) * T;
  x.m.resize(x.c, n_frames * P);
  for (std::size_t b = 0; b < idx.size(); ++b) {
    const auto sample = data.sample(idx[b]);
    for (int t = 0; t < T; ++t) {
      const std::uint16_t* frame = sample.data() + static_cast<std::size_t>(t) * x.c * P;
      const Eigen::Index base = (static_cast<Eigen::Index>(b) * T + t) * P;
      for (int c = 0; c < x.c; ++c)
        for (int p = 0; p < P; ++p) x.m(c, base + p) = static_cast<float>(frame[static_cast<std::size_t>(c) * P + p]);
    }
  }
  return x;
}

ChunkResult run_chunk(const Network& net, const std::vector<Step>& steps, const datasets::FrameSet& data,
                      std::span<const std::size_t> idx, std::size_t batch_total, const GradientOptions& o) {
  const int T = net.time_steps, B = static_cast<int>(idx.size()), NT = B * T, K = net.num_classes;
  // Forward, keeping every activation (acts[i] enters layer i), LIF membranes and pool routes.
  std::vector<Act> acts;
  acts.reserve(steps.size() + 1);
  acts.push_back(load_input(net, data, idx));
  std::vector<Mat> membranes(steps.size());
  std::vector<IndexMat> routes(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const Act& x = acts.back();
    Act y{Mat(), s.out_c, s.out_h, s.out_w};
    switch (s.op) {
      case Op::Linear: y.m.noalias() = s.weight * x.m; break;
      case Op::Conv2d: y.m.noalias() = s.weight * im2col(s, x, NT); break;
      case Op::Lif: lif_forward(s, x.m, membranes[i], y.m, B, T, o.spike); break;
      case Op::MaxPool2d: y = maxpool_forward(s, x, NT, routes[i]); break;
      case Op::Flatten: y = flatten_forward(x, NT); break;
    }
    acts.push_back(std::move(y));
  }

  // Loss on the output rates.
  ChunkResult r;
  const Mat& out = acts.back().m;  // [K, B*T]
  Mat grad(K, NT);
  r.counts.resize(static_cast<std::size_t>(B) * K);
  r.predictions.resize(static_cast<std::size_t>(B));
  for (int b = 0; b < B; ++b) {
    const int label = data.labels[idx[static_cast<std::size_t>(b)]];
    if (label < 0 || label >= K)
      throw std::invalid_argument("sample " + std::to_string(idx[static_cast<std::size_t>(b)]) + " has label " +
                                  std::to_string(label) + " outside 0.." + std::to_string(K - 1));
    Eigen::VectorXd rate = out.middleCols(static_cast<Eigen::Index>(b) * T, T).rowwise().sum().cast<double>() / T;
    for (int k = 0; k < K; ++k)
      r.counts[static_cast<std::size_t>(b) * K + k] = static_cast<std::int32_t>(std::lround(rate(k) * T));
    r.predictions[static_cast<std::size_t>(b)] =
        argmax(std::span<const std::int32_t>(r.counts.data() + static_cast<std::size_t>(b) * K, static_cast<std::size_t>(K)));
    Eigen::VectorXd d_rate(K);
    if (o.loss == Loss::Mse) {
      const double scale = 1.0 / (static_cast<double>(batch_total) * K);
      for (int k = 0; k < K; ++k) {
        const double e = rate(k) - (k == label ? 1.0 : 0.0);
        r.loss += e * e * scale;
        d_rate(k) = 2.0 * e * scale;
      }
    } else {
      const double mx = rate.maxCoeff();
      Eigen::VectorXd p = (rate.array() - mx).exp();
      const double z = p.sum();
      p /= z;
      r.loss += -std::log(p(label)) / static_cast<double>(batch_total);
      for (int k = 0; k < K; ++k) d_rate(k) = (p(k) - (k == label ? 1.0 : 0.0)) / static_cast<double>(batch_total);
    }
    for (int t = 0; t < T; ++t) grad.col(static_cast<Eigen::Index>(b) * T + t) = (d_rate / T).cast<float>();
  }

  // Backward.
  std::size_t first_weighted = steps.size();
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].weighted >= 0) {
      first_weighted = i;
      break;
    }
  r.grads.resize(static_cast<std::size_t>(std::count_if(steps.begin(), steps.end(), [](const Step& s) { return s.weighted >= 0; })));
  for (std::size_t i = steps.size(); i-- > first_weighted;) {
    const Step& s = steps[i];
    const Act& x = acts[i];
    const bool need_input_grad = i > first_weighted;
    Mat g_in;
    switch (s.op) {
      case Op::Linear:
        r.grads[static_cast<std::size_t>(s.weighted)].noalias() = grad * x.m.transpose();
        if (need_input_grad) g_in.noalias() = s.weight.transpose() * grad;
        break;
      case Op::Conv2d: {
        const Mat cols = im2col(s, x, NT);
        r.grads[static_cast<std::size_t>(s.weighted)].noalias() = grad * cols.transpose();
        if (need_input_grad) {
          const Mat dcols = s.weight.transpose() * grad;
          g_in = col2im(s, dcols, NT);
        }
        break;
      }
      case Op::Lif: g_in = lif_backward(s, membranes[i], acts[i + 1].m, grad, B, T, o.reset); break;
      case Op::MaxPool2d: g_in = maxpool_backward(s, grad, routes[i], NT); break;
      case Op::Flatten: g_in = flatten_backward(s, grad, NT); break;
    }
    grad = std::move(g_in);
    acts[i + 1].m.resize(0, 0);  // release memory early
  }
  return r;
}

std::size_t auto_chunk(const std::vector<Step>& steps, int T) {
  // Bytes kept per sample: every activation, membranes, and the largest im2col buffer twice.
  double floats = 0.0, cols = 0.0;
  for (const Step& s : steps) {
    const double out = static_cast<double>(s.out_c) * s.out_h * s.out_w * T;
    floats += s.op == Op::Lif ? 2.0 * out : out;
    if (s.op == Op::Conv2d) cols = std::max(cols, static_cast<double>(s.kh * s.kw * s.in_c) * s.out_h * s.out_w * T);
  }
  const double per_sample = 4.0 * (floats + 2.0 * cols);
  const double budget = 256.0 * 1024 * 1024;
  return static_cast<std::size_t>(std::clamp(budget / per_sample, 1.0, 16.0));
}

}  // namespace

Loss parse_loss(const std::string& name) {
  if (name == "mse") return Loss::Mse;
  if (name == "ce") return Loss::CrossEntropy;
  throw std::invalid_argument("unknown loss '" + name + "' (expected mse or ce)");
}
std::string to_string(Loss loss) { return loss == Loss::Mse ? "mse" : "ce"; }

Gradients compute_gradients(const Network& net, const datasets::FrameSet& data, std::span<const std::size_t> indices,
                            const GradientOptions& options) {
  check_compatible(net, data.shape);
  if (indices.empty()) throw std::invalid_argument("compute_gradients: empty batch");
  for (const auto i : indices)
    if (i >= data.size()) throw std::out_of_range("compute_gradients: sample index " + std::to_string(i) + " out of range");
  const auto steps = compile(net);
  const std::size_t chunk = options.chunk ? options.chunk : auto_chunk(steps, net.time_steps);
  const std::size_t n_chunks = (indices.size() + chunk - 1) / chunk;
  std::vector<ChunkResult> parts(n_chunks);
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::parallel_for(std::size_t{0}, n_chunks, [&](std::size_t c) {
    const std::size_t first = c * chunk, count = std::min(chunk, indices.size() - first);
    parts[c] = run_chunk(net, steps, data, indices.subspan(first, count), indices.size(), options);
  });

  // Fixed-order reduction: chunk 0 + chunk 1 + ... whatever thread computed them.
  Gradients g;
  std::vector<RowMat> sum = std::move(parts[0].grads);
  for (std::size_t c = 1; c < n_chunks; ++c)
    for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += parts[c].grads[k];
  for (std::size_t c = 0; c < n_chunks; ++c) {
    g.loss += parts[c].loss;
    g.spike_counts.insert(g.spike_counts.end(), parts[c].counts.begin(), parts[c].counts.end());
    g.predictions.insert(g.predictions.end(), parts[c].predictions.begin(), parts[c].predictions.end());
  }
  // Back to PyTorch layouts.
  for (const Step& s : steps) {
    if (s.weighted < 0) continue;
    const RowMat& d = sum[static_cast<std::size_t>(s.weighted)];
    std::vector<float> flat(static_cast<std::size_t>(d.size()));
    if (s.op == Op::Linear) {
      std::copy(d.data(), d.data() + d.size(), flat.begin());
    } else {
      const int cin = s.in_c, kk = s.kh * s.kw;
      for (Eigen::Index o = 0; o < d.rows(); ++o)
        for (int c = 0; c < cin; ++c)
          for (int k = 0; k < kk; ++k)
            flat[(static_cast<std::size_t>(o) * cin + c) * kk + k] = d(o, static_cast<Eigen::Index>(k) * cin + c);
    }
    g.weight.push_back(std::move(flat));
  }
  return g;
}

}  // namespace snngx::snn
