// Network specs (spec.hpp): the YAML examples in configs/ build the networks they describe, and
// every bad entry is one error naming the file and the entry.
#include <gtest/gtest.h>

#include <filesystem>

#include "snngx/snn/spec.hpp"

namespace snngx::snn {
namespace {

std::filesystem::path config(const std::string& name) { return std::filesystem::path(SNNGX_SOURCE_DIR) / "configs" / name; }

std::string error_of(const std::string& text) {
  try {
    (void)parse_network_spec(text, "net.yaml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(NetworkSpec, ShdRsnnSpecIsTheShdRsnnArchitecture) {
  EXPECT_EQ(load_network_spec(config("shd-rsnn.net.yaml")), make_shd_rsnn());
}

TEST(NetworkSpec, ExampleSpecsBuildValidNetworks) {
  const Network cnn = load_network_spec(config("nmnist-cnn.net.yaml"));
  EXPECT_EQ(cnn.input_shape, (Shape{2, 34, 34}));
  EXPECT_EQ(cnn.num_classes, 10);
  ASSERT_EQ(cnn.layers.size(), 11U);
  const auto& conv = std::get<Conv2d>(cnn.layers[0]);
  EXPECT_EQ(conv.kernel, (std::array<int, 2>{5, 5}));
  EXPECT_EQ(conv.stride, (std::array<int, 2>{2, 2}));
  EXPECT_EQ(conv.bias.size(), 8U);
  const auto& neuron = std::get<Neuron>(cnn.layers[1]);
  EXPECT_EQ(neuron.model, NeuronModel::If);
  EXPECT_EQ(neuron.reset, ResetMode::Subtract);
  EXPECT_EQ(neuron.v_threshold.size(), 8U * 16 * 16);  // (34 + 2 - 5) / 2 + 1 = 16
  EXPECT_EQ(std::get<Pool2d>(cnn.layers[2]).mode, Pool2d::Mode::Sum);
  EXPECT_EQ(std::get<Linear>(cnn.layers[7]).in_features, 16 * 4 * 4);

  const Network braille = load_network_spec(config("braille-rsnn.net.yaml"));
  const auto& rec = std::get<Neuron>(braille.layers[1]);
  EXPECT_EQ(rec.model, NeuronModel::CubaLif);
  ASSERT_TRUE(rec.recurrent.has_value());
  EXPECT_EQ(rec.recurrent->shape, (std::vector<int>{40, 40}));
  EXPECT_FLOAT_EQ(rec.tau_syn[0], 2e-4f);
  EXPECT_EQ(braille.num_weighted(), 3U);  // linear, recurrent, linear
}

TEST(NetworkSpec, LayerOptionsOverrideTheNeuronDefaults) {
  const Network net = parse_network_spec(R"(
input: [4]
neuron: {tau: 0.05, threshold: 2}
layers:
  - linear: {out: 3, bias: true}
  - li: {tau: 0.01}
)",
                                         "x.yaml");
  const auto& li = std::get<Neuron>(net.layers[1]);
  EXPECT_EQ(li.model, NeuronModel::Li);
  EXPECT_FLOAT_EQ(li.tau[0], 0.01f);
  EXPECT_TRUE(li.v_threshold.empty());  // LI does not spike: no threshold stored
  EXPECT_EQ(std::get<Linear>(net.layers[0]).bias, std::vector<float>(3, 0.0f));
  EXPECT_EQ(net.arch, "custom");
}

TEST(NetworkSpec, BadEntriesNameTheFileAndTheEntry) {
  const std::string head = "input: [4]\nlayers:\n";
  EXPECT_EQ(error_of(head + "  - linear: {out: 3}\n  - lif: {tua: 0.1}\n"),
            "net.yaml: layers[1] (lif): unknown key 'tua' (line 4) (expected dt, r, recurrent, recurrent_bias, reset, tau, "
            "tau_syn, threshold, v_leak, v_reset, w_in)");
  EXPECT_EQ(error_of(head + "  - linear: {out: 3}\n  - lof\n"),
            "net.yaml: layers[1] (lof): unknown layer kind 'lof' (expected linear, conv2d, flatten, maxpool2d, sumpool2d, "
            "avgpool2d, lif, if, cubalif, li, integrator, threshold, stbp-lif)");
  EXPECT_EQ(error_of(head + "  - linear: {bias: true}\n  - lif\n"), "net.yaml: layers[0] (linear): 'out' (number of outputs) missing");
  EXPECT_EQ(error_of("input: [2, 8, 8]\nlayers:\n  - linear: {out: 3}\n  - lif\n"),
            "net.yaml: layers[0] (linear): its input [2,8,8] is not flat (add a flatten layer before it)");
  EXPECT_EQ(error_of(head + "  - linear: {out: 3}\n  - lif: {tau: -1}\n"), "net.yaml: layers[1] (lif): 'tau' must be positive");
  EXPECT_EQ(error_of(head + "  - linear: {out: 3}\n  - lif: {reset: half}\n"),
            "net.yaml: layers[1] (lif): 'reset' must be zero or subtract, not 'half'");
  EXPECT_EQ(error_of(head + "  - linear: {out: 3}\n  - li: {recurrent: true}\n"),
            "net.yaml: layers[1] (li): recurrent weights need a spiking neuron (lif, if, cubalif, threshold)");
  EXPECT_EQ(error_of(head + "  - linear: {out: 2.5}\n  - lif\n"), "net.yaml: layers[0] (linear): 'out' must be a whole number >= 1");
  EXPECT_EQ(error_of("input: [4]\nclasses: 5\nlayers:\n  - linear: {out: 3}\n  - lif\n"),
            "net.yaml: 'classes' is 5 but the last layer has 3 outputs");
  EXPECT_EQ(error_of("layers:\n  - lif\n"), "net.yaml: 'input' (the input shape, [F] or [C, H, W]) missing");
  EXPECT_EQ(error_of("input: [4]\nlayers: []\n"), "net.yaml: 'layers' must be a non-empty list");
  EXPECT_EQ(error_of("input: [4]\nlayer:\n  - lif\n").substr(0, 31), "net.yaml: unknown key 'layer' (");
  EXPECT_EQ(error_of(head + "  - linear: {out: 3}\n"), "net.yaml: the network must end with a lif or neuron layer");
  EXPECT_EQ(error_of("input: [4\nlayers: x\n").substr(0, 31), "net.yaml: not valid YAML (line ");
}

TEST(NetworkSpec, MissingFileIsNamed) {
  try {
    (void)load_network_spec("/nonexistent/net.yaml");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/net.yaml: cannot open");
  }
}

}  // namespace
}  // namespace snngx::snn
