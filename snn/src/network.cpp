#include "snngx/snn/network.hpp"
#include "snngx/snn/geometry.hpp"

#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <utility>

namespace snngx::snn {
namespace {
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument(what); }

std::string layer_name(std::size_t i, const Layer& l) {
  return "layer " + std::to_string(i) + " (" + kind_name(l) + ")";
}

void check_finite(const std::string& name, const std::string& what, const std::vector<float>& values) {
  for (const float v : values)
    if (!std::isfinite(v)) bad(name + ": " + what + " contains NaN or Inf");
}
}  // namespace

std::string to_string(QuantRule rule) { return rule == QuantRule::MaxAbs ? "max_abs" : "reference"; }
QuantRule parse_quant_rule(const std::string& name) {
  if (name == "max_abs") return QuantRule::MaxAbs;
  if (name == "reference") return QuantRule::Reference;
  bad("unknown quantization rule '" + name + "' (expected max_abs or reference)");
}
std::string to_string(ModelState s) {
  switch (s) {
    case ModelState::Float: return "float";
    case ModelState::Quantized: return "quantized";
    case ModelState::Encrypted: return "encrypted";
  }
  return "?";
}
ModelState parse_model_state(const std::string& name) {
  if (name == "float") return ModelState::Float;
  if (name == "quantized") return ModelState::Quantized;
  if (name == "encrypted") return ModelState::Encrypted;
  bad("unknown model state '" + name + "' (expected float, quantized or encrypted)");
}

std::string kind_name(const Layer& layer) {
  return std::visit(Overloaded{[](const Linear&) { return std::string("linear"); },
                               [](const Conv2d&) { return std::string("conv2d"); },
                               [](const Lif&) { return std::string("lif"); },
                               [](const MaxPool2d&) { return std::string("maxpool2d"); },
                               [](const Flatten&) { return std::string("flatten"); },
                               [](const Pool2d& p) {
                                 return std::string(p.mode == Pool2d::Mode::Sum ? "sumpool2d" : "avgpool2d");
                               },
                               [](const Scale&) { return std::string("scale"); },
                               [](const Neuron&) { return std::string("neuron"); }},
                    layer);
}

namespace {
constexpr std::array<std::pair<NeuronModel, const char*>, 6> kNeuronModels{{{NeuronModel::If, "if"},
                                                                             {NeuronModel::Lif, "lif"},
                                                                             {NeuronModel::CubaLif, "cubalif"},
                                                                             {NeuronModel::Li, "li"},
                                                                             {NeuronModel::Integrator, "integrator"},
                                                                             {NeuronModel::Threshold, "threshold"}}};

/// Which per-neuron parameters a model reads (the others must be empty).
struct NeuronParam {
  const char* name;
  std::vector<float> Neuron::*field;
};
constexpr std::array<NeuronParam, 7> kNeuronParams{{{"tau", &Neuron::tau},
                                                    {"tau_syn", &Neuron::tau_syn},
                                                    {"r", &Neuron::r},
                                                    {"v_leak", &Neuron::v_leak},
                                                    {"v_threshold", &Neuron::v_threshold},
                                                    {"v_reset", &Neuron::v_reset},
                                                    {"w_in", &Neuron::w_in}}};
bool uses_param(NeuronModel m, const std::string& p) {
  switch (m) {
    case NeuronModel::If: return p == "r" || p == "v_threshold" || p == "v_reset";
    case NeuronModel::Lif: return p == "tau" || p == "r" || p == "v_leak" || p == "v_threshold" || p == "v_reset";
    case NeuronModel::CubaLif: return true;
    case NeuronModel::Li: return p == "tau" || p == "r" || p == "v_leak";
    case NeuronModel::Integrator: return p == "r";
    case NeuronModel::Threshold: return p == "v_threshold";
  }
  return false;
}
}  // namespace

std::string to_string(NeuronModel model) {
  for (const auto& [m, name] : kNeuronModels)
    if (m == model) return name;
  return "?";
}
NeuronModel parse_neuron_model(const std::string& name) {
  for (const auto& [m, n] : kNeuronModels)
    if (name == n) return m;
  bad("unknown neuron model '" + name + "' (expected if, lif, cubalif, li, integrator or threshold)");
}
bool spiking(NeuronModel model) { return model != NeuronModel::Li && model != NeuronModel::Integrator; }
std::string to_string(ResetMode mode) { return mode == ResetMode::Zero ? "zero" : "subtract"; }
ResetMode parse_reset_mode(const std::string& name) {
  if (name == "zero") return ResetMode::Zero;
  if (name == "subtract") return ResetMode::Subtract;
  bad("unknown reset mode '" + name + "' (expected zero or subtract)");
}

std::vector<std::string> neuron_parameter_names(NeuronModel model) {
  std::vector<std::string> out;
  for (const auto& p : kNeuronParams)
    if (uses_param(model, p.name)) out.emplace_back(p.name);
  return out;
}
std::vector<float>& neuron_parameter(Neuron& n, const std::string& name) {
  for (const auto& p : kNeuronParams)
    if (name == p.name) return n.*(p.field);
  bad("unknown neuron parameter '" + name + "'");
}
const std::vector<float>& neuron_parameter(const Neuron& n, const std::string& name) {
  return neuron_parameter(const_cast<Neuron&>(n), name);
}

std::size_t numel(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1},
                         [](std::size_t a, int b) { return a * static_cast<std::size_t>(b); });
}
std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<std::size_t> Network::weighted_layers() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < layers.size(); ++i)
    if (std::holds_alternative<Linear>(layers[i]) || std::holds_alternative<Conv2d>(layers[i])) out.push_back(i);
    else if (const auto* n = std::get_if<Neuron>(&layers[i]); n && n->recurrent) out.push_back(i);
  return out;
}

const Weights& Network::weights(std::size_t weighted_index) const {
  const auto idx = weighted_layers();
  if (weighted_index >= idx.size())
    throw std::out_of_range("weighted layer " + std::to_string(weighted_index) + " does not exist (the model has " +
                            std::to_string(idx.size()) + ")");
  const Layer& l = layers[idx[weighted_index]];
  if (const auto* lin = std::get_if<Linear>(&l)) return lin->weight;
  if (const auto* n = std::get_if<Neuron>(&l)) return *n->recurrent;
  return std::get<Conv2d>(l).weight;
}
Weights& Network::weights(std::size_t weighted_index) {
  return const_cast<Weights&>(std::as_const(*this).weights(weighted_index));
}

const std::vector<float>& Network::bias(std::size_t weighted_index) const {
  const auto idx = weighted_layers();
  if (weighted_index >= idx.size())
    throw std::out_of_range("weighted layer " + std::to_string(weighted_index) + " does not exist (the model has " +
                            std::to_string(idx.size()) + ")");
  const Layer& l = layers[idx[weighted_index]];
  if (const auto* lin = std::get_if<Linear>(&l)) return lin->bias;
  if (const auto* n = std::get_if<Neuron>(&l)) return n->recurrent_bias;
  return std::get<Conv2d>(l).bias;
}
std::vector<float>& Network::bias(std::size_t weighted_index) {
  return const_cast<std::vector<float>&>(std::as_const(*this).bias(weighted_index));
}

bool Network::quantized() const {
  const auto idx = weighted_layers();
  if (idx.empty()) return false;
  for (std::size_t k = 0; k < idx.size(); ++k)
    if (!weights(k).quant) return false;
  return true;
}

std::size_t Network::parameter_count() const {
  std::size_t n = 0;
  for (std::size_t k = 0; k < num_weighted(); ++k) n += weights(k).count();
  return n;
}

std::vector<Shape> Network::layer_output_shapes() const {
  std::vector<Shape> out;
  Shape cur = input_shape;
  if (cur.empty() || numel(cur) == 0) bad("input_shape " + to_string(cur) + " is empty");
  for (int d : cur)
    if (d <= 0) bad("input_shape " + to_string(cur) + " has a non-positive dimension");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const std::string name = layer_name(i, l);
    std::visit(
        Overloaded{
            [&](const Linear& L) {
              if (cur.size() != 1) bad(name + ": input " + to_string(cur) + " is not flat (add a flatten layer)");
              if (cur[0] != L.in_features)
                bad(name + ": in_features " + std::to_string(L.in_features) + " but input has " + std::to_string(cur[0]));
              if (L.out_features <= 0) bad(name + ": out_features must be positive");
              cur = {L.out_features};
            },
            [&](const Conv2d& C) {
              if (cur.size() != 3) bad(name + ": input " + to_string(cur) + " is not [C,H,W]");
              if (cur[0] != C.in_channels)
                bad(name + ": in_channels " + std::to_string(C.in_channels) + " but input has " + std::to_string(cur[0]));
              for (int d = 0; d < 2; ++d)
                if (C.kernel[d] <= 0 || C.stride[d] <= 0 || C.padding[d] < 0) bad(name + ": bad kernel/stride/padding");
              const geometry::Window g = geometry::window(C, cur);
              const int oh = g.out_height(), ow = g.out_width();
              if (oh <= 0 || ow <= 0 || C.out_channels <= 0) bad(name + ": output would be empty");
              cur = {C.out_channels, oh, ow};
            },
            [&](const Lif& N) {
              if (!std::isfinite(N.decay) || !std::isfinite(N.threshold)) bad(name + ": decay/threshold must be finite");
            },
            [&](const MaxPool2d& P) {
              if (cur.size() != 3) bad(name + ": input " + to_string(cur) + " is not [C,H,W]");
              if (P.kernel[0] <= 0 || P.kernel[1] <= 0 || P.stride[0] <= 0 || P.stride[1] <= 0)
                bad(name + ": kernel and stride must be positive");
              const geometry::Window g = geometry::window(P, cur);
              const int oh = g.out_height(), ow = g.out_width();
              if (oh <= 0 || ow <= 0) bad(name + ": output would be empty");
              cur = {cur[0], oh, ow};
            },
            [&](const Flatten&) { cur = {static_cast<int>(numel(cur))}; },
            [&](const Pool2d& P) {
              if (cur.size() != 3) bad(name + ": input " + to_string(cur) + " is not [C,H,W]");
              for (int d = 0; d < 2; ++d)
                if (P.kernel[d] <= 0 || P.stride[d] <= 0 || P.padding[d] < 0) bad(name + ": bad kernel/stride/padding");
              const geometry::Window g = geometry::window(P, cur);
              const int oh = g.out_height(), ow = g.out_width();
              if (oh <= 0 || ow <= 0) bad(name + ": output would be empty");
              cur = {cur[0], oh, ow};
            },
            [&](const Scale& S) {
              if (S.factors.size() != numel(cur))
                bad(name + ": " + std::to_string(S.factors.size()) + " factors for input " + to_string(cur));
            },
            [&](const Neuron& N) {
              const std::size_t n = numel(cur);
              for (const auto& p : kNeuronParams) {
                const auto& v = N.*(p.field);
                if (!uses_param(N.model, p.name)) {
                  if (!v.empty()) bad(name + ": parameter " + p.name + " is not used by " + to_string(N.model) + " neurons");
                  continue;
                }
                if (v.size() != n)
                  bad(name + ": parameter " + p.name + " has " + std::to_string(v.size()) + " values for input " + to_string(cur));
              }
            }},
        l);
    out.push_back(cur);
  }
  return out;
}

namespace {
void check_neuron(const std::string& name, const Neuron& n) {
  if (!(n.dt > 0.0) || !std::isfinite(n.dt)) bad(name + ": dt must be a positive number of seconds");
  for (const auto& p : kNeuronParams) check_finite(name, std::string("parameter ") + p.name, n.*(p.field));
  for (const auto* taus : {&n.tau, &n.tau_syn})
    for (const float t : *taus)
      if (!(t > 0.0f)) bad(name + ": time constants must be positive");
}
}  // namespace

Neuron make_neuron(NeuronModel model, std::size_t n, const NeuronParams& p) {
  Neuron neuron;
  neuron.model = model;
  neuron.reset = p.reset;
  neuron.dt = p.dt;
  const std::pair<const char*, float> values[] = {{"tau", p.tau},       {"tau_syn", p.tau_syn},         {"r", p.r},
                                                  {"v_leak", p.v_leak}, {"v_threshold", p.v_threshold}, {"v_reset", p.v_reset},
                                                  {"w_in", p.w_in}};
  for (const auto& name : neuron_parameter_names(model))
    for (const auto& [param, value] : values)
      if (name == param) neuron_parameter(neuron, name).assign(n, value);
  return neuron;
}

bool reference_kinds_only(const Network& net) {
  for (const Layer& l : net.layers) {
    if (const auto* L = std::get_if<Linear>(&l); L && !L->bias.empty()) return false;
    if (const auto* C = std::get_if<Conv2d>(&l); C && !C->bias.empty()) return false;
    if (std::holds_alternative<Neuron>(l) || std::holds_alternative<Pool2d>(l) || std::holds_alternative<Scale>(l)) return false;
  }
  return true;
}

void require_reference_kinds(const Network& net, const std::string& who) {
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const auto* L = std::get_if<Linear>(&l);
    const auto* C = std::get_if<Conv2d>(&l);
    const bool biased = (L && !L->bias.empty()) || (C && !C->bias.empty());
    if (biased || std::holds_alternative<Neuron>(l) || std::holds_alternative<Pool2d>(l) || std::holds_alternative<Scale>(l))
      bad(who + " supports linear, conv2d, lif, maxpool2d and flatten layers without bias; " + layer_name(i, l) +
          (biased ? ": its bias" : "") + " is not supported yet");
  }
}

void validate(const Network& net) {
  if (net.time_steps <= 0) bad("time_steps must be positive");
  const auto shapes = net.layer_output_shapes();
  if (net.layers.empty() || !(std::holds_alternative<Lif>(net.layers.back()) || std::holds_alternative<Neuron>(net.layers.back())))
    bad("the network must end with a lif or neuron layer");
  if (shapes.back().size() != 1 || shapes.back()[0] != net.num_classes)
    bad("the last layer has output " + to_string(shapes.back()) + " but num_classes is " + std::to_string(net.num_classes));
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const Weights* w = nullptr;
    const std::vector<float>* bias = nullptr;
    std::vector<int> expect;
    const std::string name = layer_name(i, l);
    if (const auto* L = std::get_if<Linear>(&l)) {
      w = &L->weight;
      bias = &L->bias;
      expect = {L->out_features, L->in_features};
    } else if (const auto* C = std::get_if<Conv2d>(&l)) {
      w = &C->weight;
      bias = &C->bias;
      expect = {C->out_channels, C->in_channels, C->kernel[0], C->kernel[1]};
    } else if (const auto* N = std::get_if<Neuron>(&l)) {
      check_neuron(name, *N);
      const int n = static_cast<int>(numel(shapes[i]));
      if (N->recurrent) {
        w = &*N->recurrent;
        bias = &N->recurrent_bias;
        expect = {n, n};
      } else if (!N->recurrent_bias.empty()) {
        bad(name + ": recurrent_bias without recurrent weights");
      }
    } else if (const auto* S = std::get_if<Scale>(&l)) {
      check_finite(name, "scale factors", S->factors);
    }
    if (!w) continue;
    if (!bias->empty() && static_cast<int>(bias->size()) != expect[0])
      bad(name + ": bias has " + std::to_string(bias->size()) + " values, expected " + std::to_string(expect[0]));
    check_finite(name, "bias", *bias);
    if (w->shape != expect) bad(name + ": weight shape " + to_string(w->shape) + ", expected " + to_string(expect));
    if (w->values.size() != numel(expect)) bad(name + ": weight has " + std::to_string(w->values.size()) + " values");
    for (const float v : w->values)
      if (!std::isfinite(v)) bad(name + ": weight contains NaN or Inf");
    if (w->quant) {
      if (w->quant->bits < 2 || w->quant->bits > 8) bad(name + ": bits must be in 2..8");
      if (w->quant->weight_bits.size() != w->values.size()) bad(name + ": weight_bits size differs from weight");
    }
  }
}

Network make_nmnist_mlp() {
  Network n;
  n.arch = "nmnist-mlp";
  n.time_steps = 15;
  n.input_shape = {2, 34, 34};
  n.num_classes = 10;
  const Lif lif{};
  n.layers = {Flatten{}, Linear{2312, 512, {}}, lif, Linear{512, 10, {}}, lif};
  for (std::size_t k = 0; k < n.num_weighted(); ++k) {
    auto& w = n.weights(k);
    const auto& L = std::get<Linear>(n.layers[n.weighted_layers()[k]]);
    w.shape = {L.out_features, L.in_features};
    w.values.assign(numel(w.shape), 0.0f);
  }
  return n;
}

Network make_dvsgesture_csnn() {
  Network n;
  n.arch = "dvsgesture-csnn";
  n.time_steps = 15;
  n.input_shape = {2, 32, 32};
  n.num_classes = 11;
  const Lif lif{};
  auto conv = [](int in, int out) { return Conv2d{in, out, {3, 3}, {1, 1}, {1, 1}, {}}; };
  n.layers = {conv(2, 64),    lif, MaxPool2d{}, conv(64, 128), lif, MaxPool2d{}, conv(128, 128), lif, MaxPool2d{},
              conv(128, 256), lif, Flatten{},   Linear{4096, 1024, {}}, lif, Linear{1024, 11, {}}, lif};
  for (const std::size_t i : n.weighted_layers()) {
    if (auto* C = std::get_if<Conv2d>(&n.layers[i])) {
      C->weight.shape = {C->out_channels, C->in_channels, C->kernel[0], C->kernel[1]};
      C->weight.values.assign(numel(C->weight.shape), 0.0f);
    } else {
      auto& L = std::get<Linear>(n.layers[i]);
      L.weight.shape = {L.out_features, L.in_features};
      L.weight.values.assign(numel(L.weight.shape), 0.0f);
    }
  }
  return n;
}

Network make_shd_rsnn() {
  // Cramer et al. 2020 (SHD) / Zenke & Vogels 2021: 700 channels -> 128 recurrent LIF -> 20, trained
  // by BPTT with a fast-sigmoid surrogate. Here the readout is a spiking LIF layer (snngx predicts
  // by spike counts) and a time step is one frame of ~10 ms (100 bins over SHD's ~1 s): dt = 10 ms,
  // tau_mem = 20 ms (decay 1/2), r = tau/dt so that one unit of input current adds 1 to v.
  Network n;
  n.arch = "shd-rsnn";
  n.time_steps = 100;
  n.input_shape = {1, 1, 700};
  n.num_classes = 20;
  const NeuronParams lif{.reset = ResetMode::Zero, .dt = 1e-2, .tau = 2e-2f, .r = 2.0f, .v_threshold = 1.0f};
  Neuron hidden = make_neuron(NeuronModel::Lif, 128, lif);
  hidden.recurrent = Weights{{128, 128}, std::vector<float>(128 * 128, 0.0f), {}};
  n.layers = {Flatten{}, Linear{700, 128, Weights{{128, 700}, std::vector<float>(128 * 700, 0.0f), {}}}, hidden,
              Linear{128, 20, Weights{{20, 128}, std::vector<float>(20 * 128, 0.0f), {}}}, make_neuron(NeuronModel::Lif, 20, lif)};
  return n;
}

Network make_arch(const std::string& arch) {
  if (arch == "nmnist-mlp") return make_nmnist_mlp();
  if (arch == "dvsgesture-csnn") return make_dvsgesture_csnn();
  if (arch == "shd-rsnn") return make_shd_rsnn();
  bad("unknown architecture '" + arch + "' (expected nmnist-mlp, dvsgesture-csnn or shd-rsnn)");
}

void init_weights(Network& net, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t k = 0; k < net.num_weighted(); ++k) {
    Weights& w = net.weights(k);
    std::size_t fan_in = 1;
    for (std::size_t d = 1; d < w.shape.size(); ++d) fan_in *= static_cast<std::size_t>(w.shape[d]);
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (float& v : w.values) {
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
      v = static_cast<float>((2.0 * u - 1.0) * bound);
    }
    w.quant.reset();
  }
  net.state = ModelState::Float;
}

}  // namespace snngx::snn
