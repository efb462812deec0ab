#include <fmt/core.h>

#include <memory>

#include "checks.hpp"
#include "commands.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::app {
namespace {

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
      details = fmt::format("{} -> {}", L->in_features, L->out_features);
    } else if (const auto* C = std::get_if<snn::Conv2d>(&layer)) {
      details = fmt::format("{} -> {}, {}x{} stride {} pad {}", C->in_channels, C->out_channels, C->kernel[0],
                            C->kernel[1], C->stride[0], C->padding[0]);
    } else if (const auto* N = std::get_if<snn::Lif>(&layer)) {
      details = fmt::format("decay {} threshold {}", N->decay, N->threshold);
    } else if (const auto* P = std::get_if<snn::MaxPool2d>(&layer)) {
      details = fmt::format("{}x{} stride {}", P->kernel[0], P->kernel[1], P->stride[0]);
    }
    if (std::holds_alternative<snn::Linear>(layer) || std::holds_alternative<snn::Conv2d>(layer)) {
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
  std::string arch, output;
  std::uint64_t seed = 0;
};
struct QuantizeOptions {
  std::string input, output, rule = "max_abs";
  int bits = 8;
};

void add_init(CLI::App& model) {
  auto o = std::make_shared<InitOptions>();
  auto* cmd = model.add_subcommand("init", "Create a reference network with PyTorch's default random initialisation");
  cmd->add_option("--arch", o->arch, "nmnist-mlp | dvsgesture-csnn")->required()->check(CLI::IsMember({"nmnist-mlp", "dvsgesture-csnn"}));
  cmd->add_option("--seed", o->seed, "random seed")->default_val(0)->check(at_least(0));
  cmd->add_option("-o,--output", o->output, "output model file")->required();
  cmd->callback([o] {
    check_outputs({{"-o", o->output}});
    snn::Network net = snn::make_arch(o->arch);
    snn::init_weights(net, o->seed);
    snn::save_model(o->output, net);
    fmt::print("wrote {} ({}, {} parameters, seed {})\n", o->output, o->arch, net.parameter_count(), o->seed);
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

void add_info(CLI::App& model) {
  auto path = std::make_shared<std::string>();
  auto* cmd = model.add_subcommand("info", "Layers, shapes, parameters, weight bits and state of a model file");
  cmd->add_option("model", *path, "model file")->required()->check(CLI::ExistingFile);
  cmd->callback([path] { print_info(*path); });
}

}  // namespace

void add_model_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Create, quantize and inspect model files (*.snn.h5)");
  model->require_subcommand(1);
  add_init(*model);
  add_quantize(*model);
  add_info(*model);
}

}  // namespace snngx::app
