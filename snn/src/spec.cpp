// Network specs (YAML): see spec.hpp and docs/formats.md.
#include "snngx/snn/spec.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace snngx::snn {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

std::string line_of(const YAML::Node& n) {
  const auto mark = n.Mark();
  return mark.line >= 0 ? " (line " + std::to_string(mark.line + 1) + ")" : "";
}

// One mapping of options, each key read at most once and every key checked against the allowed set.
class Options {
 public:
  Options(const YAML::Node& node, std::string entry, std::set<std::string> allowed)
      : node_(node), entry_(std::move(entry)) {
    if (!node_ || node_.IsNull()) return;
    if (!node_.IsMap()) fail(entry_ + ": expected a mapping of options" + line_of(node_));
    for (const auto& kv : node_) {
      const auto key = kv.first.as<std::string>();
      if (!allowed.contains(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(entry_ + ": unknown key '" + key + "'" + line_of(kv.first) + " (expected " + (list.empty() ? "none" : list) + ")");
      }
    }
  }
  [[nodiscard]] bool has(const std::string& key) const { return node_ && node_.IsMap() && node_[key]; }
  [[nodiscard]] double number(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    try {
      const double v = node_[key].as<double>();
      if (!std::isfinite(v)) fail(entry_ + ": '" + key + "' must be a finite number");
      return v;
    } catch (const YAML::Exception&) {
      fail(entry_ + ": '" + key + "' must be a number" + line_of(node_[key]));
    }
  }
  [[nodiscard]] double positive(const std::string& key, double fallback) const {
    const double v = number(key, fallback);
    if (!(v > 0.0)) fail(entry_ + ": '" + key + "' must be positive");
    return v;
  }
  [[nodiscard]] int count(const std::string& key, int fallback, int minimum = 1) const {
    const double v = number(key, fallback);
    if (v != std::floor(v) || v < minimum || v > 1e8)
      fail(entry_ + ": '" + key + "' must be a whole number >= " + std::to_string(minimum));
    return static_cast<int>(v);
  }
  [[nodiscard]] bool flag(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    try {
      return node_[key].as<bool>();
    } catch (const YAML::Exception&) {
      fail(entry_ + ": '" + key + "' must be true or false" + line_of(node_[key]));
    }
  }
  [[nodiscard]] std::string text(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!node_[key].IsScalar()) fail(entry_ + ": '" + key + "' must be a word" + line_of(node_[key]));
    return node_[key].as<std::string>();
  }
  // A pair [h, w] or one number for both.
  [[nodiscard]] std::array<int, 2> pair(const std::string& key, std::array<int, 2> fallback, int minimum) const {
    if (!has(key)) return fallback;
    const YAML::Node v = node_[key];
    std::array<int, 2> out{};
    const auto whole = [&](const YAML::Node& x) {
      double d = 0;
      try {
        d = x.as<double>();
      } catch (const YAML::Exception&) {
        fail(entry_ + ": '" + key + "' must be a number or [h, w]" + line_of(x));
      }
      if (d != std::floor(d) || d < minimum || d > 1e6)
        fail(entry_ + ": '" + key + "' values must be whole numbers >= " + std::to_string(minimum));
      return static_cast<int>(d);
    };
    if (v.IsSequence()) {
      if (v.size() != 2) fail(entry_ + ": '" + key + "' must have 2 values [h, w]" + line_of(v));
      out = {whole(v[0]), whole(v[1])};
    } else {
      out[0] = out[1] = whole(v);
    }
    return out;
  }

 private:
  YAML::Node node_;
  std::string entry_;
};

const std::set<std::string> kNeuronKeys = {"dt", "tau", "tau_syn", "r", "v_leak", "threshold", "v_reset", "w_in", "reset"};

NeuronParams neuron_params(const Options& o, const NeuronParams& base, const std::string& entry) {
  NeuronParams p = base;
  p.dt = o.positive("dt", base.dt);
  p.tau = static_cast<float>(o.positive("tau", base.tau));
  p.tau_syn = static_cast<float>(o.positive("tau_syn", base.tau_syn));
  p.r = static_cast<float>(o.number("r", base.r));
  p.v_leak = static_cast<float>(o.number("v_leak", base.v_leak));
  p.v_threshold = static_cast<float>(o.number("threshold", base.v_threshold));
  p.v_reset = static_cast<float>(o.number("v_reset", base.v_reset));
  p.w_in = static_cast<float>(o.number("w_in", base.w_in));
  if (o.has("reset")) {
    const std::string r = o.text("reset", "zero");
    if (r != "zero" && r != "subtract") fail(entry + ": 'reset' must be zero or subtract, not '" + r + "'");
    p.reset = parse_reset_mode(r);
  }
  return p;
}

Weights zero_weights(std::vector<int> shape) {
  Weights w;
  w.shape = std::move(shape);
  w.values.assign(numel(w.shape), 0.0f);
  return w;
}

const std::set<std::string> kNeuronKinds = {"lif", "if", "cubalif", "li", "integrator", "threshold"};

// Builds the layer of one entry; `in` is the shape entering it.
Layer make_layer(const std::string& kind, const YAML::Node& body, const Shape& in, const NeuronParams& defaults,
                 const std::string& entry) {
  const auto flat = [&] {
    if (in.size() != 1) fail(entry + ": its input " + to_string(in) + " is not flat (add a flatten layer before it)");
    return in[0];
  };
  const auto image = [&] {
    if (in.size() != 3) fail(entry + ": its input " + to_string(in) + " is not [C, H, W]");
  };
  if (kind == "linear") {
    const Options o(body, entry, {"out", "bias"});
    if (!o.has("out")) fail(entry + ": 'out' (number of outputs) missing");
    const int n_in = flat(), out = o.count("out", 1);
    Linear l{n_in, out, zero_weights({out, n_in})};
    if (o.flag("bias", false)) l.bias.assign(static_cast<std::size_t>(out), 0.0f);
    return l;
  }
  if (kind == "conv2d") {
    const Options o(body, entry, {"out", "kernel", "stride", "padding", "bias"});
    image();
    if (!o.has("out")) fail(entry + ": 'out' (output channels) missing");
    if (!o.has("kernel")) fail(entry + ": 'kernel' missing");
    Conv2d c{in[0], o.count("out", 1), o.pair("kernel", {3, 3}, 1), o.pair("stride", {1, 1}, 1), o.pair("padding", {0, 0}, 0), {}};
    c.weight = zero_weights({c.out_channels, c.in_channels, c.kernel[0], c.kernel[1]});
    if (o.flag("bias", false)) c.bias.assign(static_cast<std::size_t>(c.out_channels), 0.0f);
    return c;
  }
  if (kind == "flatten") {
    const Options o(body, entry, {});
    return Flatten{};
  }
  if (kind == "maxpool2d") {
    const Options o(body, entry, {"kernel", "stride"});
    image();
    const auto k = o.pair("kernel", {2, 2}, 1);
    return MaxPool2d{k, o.pair("stride", k, 1)};
  }
  if (kind == "sumpool2d" || kind == "avgpool2d") {
    const Options o(body, entry, {"kernel", "stride", "padding"});
    image();
    const auto k = o.pair("kernel", {2, 2}, 1);
    return Pool2d{kind == "sumpool2d" ? Pool2d::Mode::Sum : Pool2d::Mode::Average, k, o.pair("stride", k, 1), o.pair("padding", {0, 0}, 0)};
  }
  if (kind == "stbp-lif") {  // the reference networks' LIF: v = v * decay * (1 - s) + I
    const Options o(body, entry, {"decay", "threshold"});
    return Lif{static_cast<float>(o.number("decay", 0.3)), static_cast<float>(o.number("threshold", 0.3))};
  }
  if (kNeuronKinds.contains(kind)) {
    auto keys = kNeuronKeys;
    keys.insert({"recurrent", "recurrent_bias"});
    const Options o(body, entry, keys);
    const NeuronParams p = neuron_params(o, defaults, entry);
    const std::size_t n = numel(in);
    Neuron neuron = make_neuron(parse_neuron_model(kind), n, p);
    if (o.flag("recurrent", false)) {
      if (!spiking(neuron.model)) fail(entry + ": recurrent weights need a spiking neuron (lif, if, cubalif, threshold)");
      neuron.recurrent = zero_weights({static_cast<int>(n), static_cast<int>(n)});
      if (o.flag("recurrent_bias", false)) neuron.recurrent_bias.assign(n, 0.0f);
    } else if (o.has("recurrent_bias")) {
      fail(entry + ": 'recurrent_bias' needs 'recurrent: true'");
    }
    return neuron;
  }
  fail(entry + ": unknown layer kind '" + kind +
       "' (expected linear, conv2d, flatten, maxpool2d, sumpool2d, avgpool2d, lif, if, cubalif, li, integrator, threshold, stbp-lif)");
}

Shape parse_input(const YAML::Node& n, const std::string& where) {
  if (!n) fail(where + ": 'input' (the input shape, [F] or [C, H, W]) missing");
  if (!n.IsSequence() || (n.size() != 1 && n.size() != 3)) fail(where + ": 'input' must be [F] or [C, H, W]" + line_of(n));
  Shape s;
  for (const auto& d : n) {
    int v = 0;
    try {
      v = d.as<int>();
    } catch (const YAML::Exception&) {
      fail(where + ": 'input' must hold whole numbers" + line_of(d));
    }
    if (v <= 0) fail(where + ": 'input' sizes must be positive");
    s.push_back(v);
  }
  return s;
}

}  // namespace

Network parse_network_spec(const std::string& text, const std::string& where) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(where + ": not valid YAML (line " + std::to_string(e.mark.line + 1) + ": " + e.msg + ")");
  }
  if (!root.IsMap()) fail(where + ": expected a mapping with 'input' and 'layers'");
  const Options top(root, where, {"name", "input", "time_steps", "classes", "neuron", "layers"});
  Network net;
  net.arch = top.text("name", "custom");
  if (net.arch.empty()) fail(where + ": 'name' must not be empty");
  net.time_steps = top.count("time_steps", 15);
  net.input_shape = parse_input(root["input"], where);
  const Options neuron_defaults(root["neuron"], where + ": neuron", kNeuronKeys);
  const NeuronParams defaults = neuron_params(neuron_defaults, NeuronParams{}, where + ": neuron");
  const YAML::Node layers = root["layers"];
  if (!layers || !layers.IsSequence() || layers.size() == 0) fail(where + ": 'layers' must be a non-empty list");
  Shape cur = net.input_shape;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const YAML::Node item = layers[i];
    std::string kind;
    YAML::Node body;
    if (item.IsScalar()) {
      kind = item.as<std::string>();
    } else if (item.IsMap() && item.size() == 1) {
      kind = item.begin()->first.as<std::string>();
      body = item.begin()->second;
    } else {
      fail(where + ": layers[" + std::to_string(i) + "]" + line_of(item) + ": expected '- kind: {options}' with one kind");
    }
    const std::string entry = where + ": layers[" + std::to_string(i) + "] (" + kind + ")";
    net.layers.push_back(make_layer(kind, body, cur, defaults, entry));
    try {
      cur = net.layer_output_shapes().back();
    } catch (const std::exception& e) {
      fail(entry + ": " + e.what());
    }
  }
  if (cur.size() != 1) fail(where + ": the last layer's output " + to_string(cur) + " is not flat (one value per class)");
  net.num_classes = cur[0];
  if (top.has("classes") && top.count("classes", 1) != net.num_classes)
    fail(where + ": 'classes' is " + std::to_string(top.count("classes", 1)) + " but the last layer has " +
         std::to_string(net.num_classes) + " outputs");
  try {
    validate(net);
  } catch (const std::exception& e) {
    fail(where + ": " + e.what());
  }
  return net;
}

Network load_network_spec(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) fail(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_network_spec(text.str(), path.string());
}

}  // namespace snngx::snn
