#include "snngx/snn/network.hpp"

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
                               [](const Flatten&) { return std::string("flatten"); }},
                    layer);
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
  return out;
}

const Weights& Network::weights(std::size_t weighted_index) const {
  const auto idx = weighted_layers();
  if (weighted_index >= idx.size())
    throw std::out_of_range("weighted layer " + std::to_string(weighted_index) + " does not exist (the model has " +
                            std::to_string(idx.size()) + ")");
  const Layer& l = layers[idx[weighted_index]];
  if (const auto* lin = std::get_if<Linear>(&l)) return lin->weight;
  return std::get<Conv2d>(l).weight;
}
Weights& Network::weights(std::size_t weighted_index) {
  return const_cast<Weights&>(std::as_const(*this).weights(weighted_index));
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
              const int oh = (cur[1] + 2 * C.padding[0] - C.kernel[0]) / C.stride[0] + 1;
              const int ow = (cur[2] + 2 * C.padding[1] - C.kernel[1]) / C.stride[1] + 1;
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
              const int oh = (cur[1] - P.kernel[0]) / P.stride[0] + 1;
              const int ow = (cur[2] - P.kernel[1]) / P.stride[1] + 1;
              if (oh <= 0 || ow <= 0) bad(name + ": output would be empty");
              cur = {cur[0], oh, ow};
            },
            [&](const Flatten&) { cur = {static_cast<int>(numel(cur))}; }},
        l);
    out.push_back(cur);
  }
  return out;
}

void validate(const Network& net) {
  if (net.time_steps <= 0) bad("time_steps must be positive");
  const auto shapes = net.layer_output_shapes();
  if (net.layers.empty() || !std::holds_alternative<Lif>(net.layers.back())) bad("the network must end with a lif layer");
  if (shapes.back().size() != 1 || shapes.back()[0] != net.num_classes)
    bad("the last layer has output " + to_string(shapes.back()) + " but num_classes is " + std::to_string(net.num_classes));
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const Weights* w = nullptr;
    std::vector<int> expect;
    if (const auto* L = std::get_if<Linear>(&l)) {
      w = &L->weight;
      expect = {L->out_features, L->in_features};
    } else if (const auto* C = std::get_if<Conv2d>(&l)) {
      w = &C->weight;
      expect = {C->out_channels, C->in_channels, C->kernel[0], C->kernel[1]};
    }
    if (!w) continue;
    const std::string name = layer_name(i, l);
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

Network make_arch(const std::string& arch) {
  if (arch == "nmnist-mlp") return make_nmnist_mlp();
  if (arch == "dvsgesture-csnn") return make_dvsgesture_csnn();
  bad("unknown architecture '" + arch + "' (expected nmnist-mlp or dvsgesture-csnn)");
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
