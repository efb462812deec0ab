#include <fmt/core.h>

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

}  // namespace

void add_model_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Create, quantize and inspect model files (*.snn.h5)");
  model->require_subcommand(1);

  auto* init = model->add_subcommand("init", "Create a reference network with PyTorch's default random initialisation");
  static std::string arch, out;
  static std::uint64_t seed = 0;
  init->add_option("--arch", arch, "nmnist-mlp | dvsgesture-csnn")->required()->check(CLI::IsMember({"nmnist-mlp", "dvsgesture-csnn"}));
  init->add_option("--seed", seed, "random seed")->default_val(0);
  init->add_option("-o,--output", out, "output model file")->required();
  init->callback([] {
    snn::Network net = snn::make_arch(arch);
    snn::init_weights(net, seed);
    snn::save_model(out, net);
    fmt::print("wrote {} ({}, {} parameters, seed {})\n", out, arch, net.parameter_count(), seed);
  });

  auto* quant = model->add_subcommand("quantize", "Post-training sign-magnitude quantization (per layer)");
  static std::string qin, qout, rule = "max_abs";
  static int bits = 8;
  quant->add_option("model", qin, "float model file")->required()->check(CLI::ExistingFile);
  quant->add_option("--bits", bits, "bits per weight including the sign")->default_val(8)->check(CLI::Range(2, 8));
  quant->add_option("--rule", rule, "max_abs (default) | reference (signed max, magnitude wraps)")
      ->default_val("max_abs")->check(CLI::IsMember({"max_abs", "reference"}));
  quant->add_option("-o,--output", qout, "output model file")->required();
  quant->callback([] {
    const snn::Network net = snn::load_model(qin);
    const snn::Network q = snn::quantize(net, bits, snn::parse_quant_rule(rule));
    snn::save_model(qout, q);
    fmt::print("wrote {} ({} bits, rule {}, {} weight bits)\n", qout, bits, rule, snn::weight_bit_count(q));
  });

  auto* info = model->add_subcommand("info", "Layers, shapes, parameters, weight bits and state of a model file");
  static std::string ipath;
  info->add_option("model", ipath, "model file")->required()->check(CLI::ExistingFile);
  info->callback([] { print_info(ipath); });
}

}  // namespace snngx::app
