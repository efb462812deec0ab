#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "checks.hpp"
#include "commands.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/nir.hpp"
#include "snngx/snn/quantize.hpp"
#include "snngx/snn/spec.hpp"

namespace snngx::app {
namespace {

// One value when all neurons share it, else the range.
std::string spread(const std::vector<float>& v) {
  if (v.empty()) return "-";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *lo == *hi ? fmt::format("{:g}", *lo) : fmt::format("{:g}..{:g}", *lo, *hi);
}

std::string neuron_details(const snn::Neuron& n) {
  std::string d = fmt::format("{} dt {:g}s", snn::to_string(n.model), n.dt);
  for (const auto& name : snn::neuron_parameter_names(n.model)) d += fmt::format(" {} {}", name, spread(snn::neuron_parameter(n, name)));
  if (snn::spiking(n.model)) d += " reset " + snn::to_string(n.reset);
  if (n.recurrent) d += fmt::format(", recurrent {}x{}{}", n.recurrent->shape[0], n.recurrent->shape[1], n.recurrent_bias.empty() ? "" : " + bias");
  return d;
}

void print_info(const std::string& path) {
  const snn::Network net = snn::load_model(path);
  const auto shapes = net.layer_output_shapes();
  fmt::print("{}\n  arch {}  state {}  T {}  input {}  classes {}\n", path, net.arch, snn::to_string(net.state),
             net.time_steps, snn::to_string(net.input_shape), net.num_classes);
  if (!net.key_fingerprint.empty()) fmt::print("  key fingerprint {}\n", net.key_fingerprint);
  fmt::print("  {:>3}  {:<10} {:<22} {:>11} {:>12}  {}\n", "#", "kind", "output", "params", "weight bits", "details");
  std::size_t weighted = 0, total_params = 0, total_bits = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const auto& layer = net.layers[i];
    std::string details;
    std::size_t params = 0, bits = 0;
    if (const auto* L = std::get_if<snn::Linear>(&layer)) {
      details = fmt::format("{} -> {}{}", L->in_features, L->out_features, L->bias.empty() ? "" : " + bias");
    } else if (const auto* C = std::get_if<snn::Conv2d>(&layer)) {
      details = fmt::format("{} -> {}, {}x{} stride {}x{} pad {}x{}{}{}", C->in_channels, C->out_channels, C->kernel[0],
                            C->kernel[1], C->stride[0], C->stride[1], C->padding[0], C->padding[1], C->bias.empty() ? "" : " + bias",
                            C->one_d ? " (conv1d)" : "");
    } else if (const auto* N = std::get_if<snn::Lif>(&layer)) {
      details = fmt::format("decay {} threshold {}", N->decay, N->threshold);
    } else if (const auto* P = std::get_if<snn::MaxPool2d>(&layer)) {
      details = fmt::format("{}x{} stride {}", P->kernel[0], P->kernel[1], P->stride[0]);
    } else if (const auto* Q = std::get_if<snn::Pool2d>(&layer)) {
      details = fmt::format("{}x{} stride {}x{} pad {}x{}", Q->kernel[0], Q->kernel[1], Q->stride[0], Q->stride[1], Q->padding[0], Q->padding[1]);
    } else if (const auto* S = std::get_if<snn::Scale>(&layer)) {
      details = "factors " + spread(S->factors);
    } else if (const auto* n = std::get_if<snn::Neuron>(&layer)) {
      details = neuron_details(*n);
    }
    const auto* neuron = std::get_if<snn::Neuron>(&layer);
    if (std::holds_alternative<snn::Linear>(layer) || std::holds_alternative<snn::Conv2d>(layer) || (neuron && neuron->recurrent)) {
      const auto& w = net.weights(weighted);
      params = w.count();
      if (w.quant) {
        bits = snn::weight_bit_count(net, weighted);
        details += fmt::format("  [layer index {}; q={} e={} rule={}]", weighted, w.quant->bits, w.quant->exponent,
                               snn::to_string(w.quant->rule));
      } else {
        details += fmt::format("  [layer index {}]", weighted);
      }
      ++weighted;
    }
    total_params += params;
    total_bits += bits;
    fmt::print("  {:>3}  {:<10} {:<22} {:>11} {:>12}  {}\n", i, snn::kind_name(layer), snn::to_string(shapes[i]),
               params ? std::to_string(params) : "", bits ? std::to_string(bits) : "", details);
  }
  fmt::print("  total parameters {}  total weight bits {}\n", total_params, total_bits);
}

struct InitOptions {
  std::string arch, spec, output;
  std::uint64_t seed = 0;
};
struct QuantizeOptions {
  std::string input, output, rule = "max_abs";
  int bits = 8;
};

void add_init(CLI::App& model) {
  auto o = std::make_shared<InitOptions>();
  auto* cmd = model.add_subcommand("init", "Create a network (a named architecture or a YAML spec) with PyTorch's default random initialisation");
  auto* arch = cmd->add_option("--arch", o->arch, "nmnist-mlp | dvsgesture-csnn | shd-rsnn")
                   ->check(CLI::IsMember({"nmnist-mlp", "dvsgesture-csnn", "shd-rsnn"}));
  cmd->add_option("--spec", o->spec, "a network described in YAML (docs/formats.md, configs/*.net.yaml)")
      ->check(CLI::ExistingFile)->excludes(arch);
  cmd->add_option("--seed", o->seed, "random seed")->default_val(0)->check(at_least(0));
  cmd->add_option("-o,--output", o->output, "output model file")->required();
  cmd->callback([o] {
    if (o->arch.empty() == o->spec.empty()) throw std::invalid_argument("model init: give --arch or --spec");
    check_outputs({{"-o", o->output}}, {{"--spec", o->spec}});
    snn::Network net = o->spec.empty() ? snn::make_arch(o->arch) : snn::load_network_spec(o->spec);
    snn::init_weights(net, o->seed);
    snn::save_model(o->output, net);
    fmt::print("wrote {} ({}, {} parameters, seed {})\n", o->output, net.arch, net.parameter_count(), o->seed);
  });
}

void add_quantize(CLI::App& model) {
  auto o = std::make_shared<QuantizeOptions>();
  auto* cmd = model.add_subcommand("quantize", "Post-training sign-magnitude quantization (per layer)");
  cmd->add_option("model", o->input, "float model file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--bits", o->bits, "bits per weight including the sign")->default_val(8)->check(CLI::Range(2, 8));
  cmd->add_option("--rule", o->rule, "max_abs (default) | reference (signed max, magnitude wraps)")
      ->default_val("max_abs")->check(CLI::IsMember({"max_abs", "reference"}));
  cmd->add_option("-o,--output", o->output, "output model file")->required();
  cmd->callback([o] {
    check_outputs({{"-o", o->output}}, {{"model", o->input}});
    const snn::Network q = snn::quantize(snn::load_model(o->input), o->bits, snn::parse_quant_rule(o->rule));
    snn::save_model(o->output, q);
    fmt::print("wrote {} ({} bits, rule {}, {} weight bits)\n", o->output, o->bits, o->rule, snn::weight_bit_count(q));
  });
}

struct ImportOptions {
  std::string input, output, rule = "max_abs";
  std::optional<double> dt;     // default: the file's snngx metadata, else 1e-4 s
  std::optional<int> time_steps;  // default: the file's snngx metadata, else 15
  std::optional<int> bits;
  std::string reset;  // empty: the file's snngx metadata, else NIR's reset to v_reset
};

void add_import(CLI::App& model) {
  auto o = std::make_shared<ImportOptions>();
  auto* cmd = model.add_subcommand("import", "Import a NIR graph (*.nir from snnTorch, Norse, Sinabs, ...) as a model file");
  cmd->add_option("nir", o->input, "NIR file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--dt", o->dt, "forward-Euler time step in seconds (docs/formats.md); default: what snngx wrote into the file, else 1e-4")
      ->check(positive());
  cmd->add_option("--time-steps", o->time_steps,
                  "the model's default T (tools run the T of the frame file they are given); default: what snngx wrote into the file, else 15")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--reset", o->reset,
                  "reset of every neuron: zero (NIR's v := v_reset) | subtract (v := v - v_threshold; NIR cannot say it: Sinabs' IAF, "
                  "snnTorch's reset_mechanism=subtract); default: what snngx wrote into the file, else zero")
      ->check(CLI::IsMember({"zero", "subtract"}));
  cmd->add_option("--bits", o->bits, "also quantize to this many bits per weight (2..8)")->check(CLI::Range(2, 8));
  cmd->add_option("--rule", o->rule, "quantization rule with --bits: max_abs | reference")
      ->default_val("max_abs")->check(CLI::IsMember({"max_abs", "reference"}));
  cmd->add_option("-o,--output", o->output, "output model file")->required();
  cmd->callback([o] {
    check_outputs({{"-o", o->output}}, {{"nir", o->input}});
    const auto reset = o->reset.empty() ? std::nullopt : std::optional<snn::ResetMode>(snn::parse_reset_mode(o->reset));
    snn::Network net = snn::nir::import_file(o->input, {.dt = o->dt, .time_steps = o->time_steps, .reset = reset});
    if (o->bits) net = snn::quantize(net, *o->bits, snn::parse_quant_rule(o->rule));
    snn::save_model(o->output, net);
    std::string dt;
    for (const auto& layer : net.layers)
      if (const auto* n = std::get_if<snn::Neuron>(&layer); n && dt.empty()) dt = fmt::format(", dt {:g} s", n->dt);
    fmt::print("wrote {} ({} layers, {} weighted, {} parameters, input {}, {} outputs{}{})\n", o->output, net.layers.size(), net.num_weighted(),
               net.parameter_count(), snn::to_string(net.input_shape), net.num_classes, dt,
               o->bits ? fmt::format(", {} bits", *o->bits) : std::string());
  });
}

void add_export(CLI::App& model) {
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* cmd = model.add_subcommand("export", "Export a model file as a NIR graph (*.nir)");
  cmd->add_option("model", *in, "model file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", *out, "output NIR file")->required();
  cmd->callback([in, out] {
    check_outputs({{"-o", *out}}, {{"model", *in}});
    const snn::Network net = snn::load_model(*in);
    if (net.state == snn::ModelState::Encrypted)
      throw std::invalid_argument(*in + ": the model is encrypted; its weights would be exported scrambled");
    try {
      snn::nir::export_file(*out, net);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(*in + ": " + e.what());
    }
    fmt::print("wrote {} (NIR {}, {} nodes)\n", *out, snn::nir::kWrittenVersion, snn::nir::from_network(net).graph.nodes.size());
  });
}

void add_info(CLI::App& model) {
  auto path = std::make_shared<std::string>();
  auto* cmd = model.add_subcommand("info", "Layers, shapes, parameters, weight bits and state of a model file");
  cmd->add_option("model", *path, "model file")->required()->check(CLI::ExistingFile);
  cmd->callback([path] { print_info(*path); });
}

}  // namespace

void add_model_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Create, quantize, inspect, import and export model files (*.snn.h5, NIR)");
  model->require_subcommand(1);
  add_init(*model);
  add_quantize(*model);
  add_info(*model);
  add_import(*model);
  add_export(*model);
}

}  // namespace snngx::app
