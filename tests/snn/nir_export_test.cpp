// NIR export of every network snngx runs (issue 18): the default architectures (reference LIF, max
// pooling), subtractive reset, dt and T come back identical through export -> import, with
// identical outputs; what other NIR tools see (the nodes without snngx metadata) means the same
// for max pooling of spikes; what cannot be mapped is refused naming the layer.
#include <gtest/gtest.h>

#include <random>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/nir.hpp"
#include "snngx/snn/spec.hpp"
#include "temp_dir.hpp"

namespace snngx::snn {
namespace {
namespace fs = std::filesystem;
using snngx::testing::TempDir;

using Trace = std::vector<std::vector<float>>;

Trace run_steps(const Network& net, EngineKind kind, const Trace& inputs) {
  const Engine engine(net, kind);
  const auto state = engine.new_state();
  Trace out;
  for (const auto& x : inputs) {
    const auto y = engine.step(*state, 0, net.layers.size(), x);
    out.emplace_back(y.begin(), y.end());
  }
  return out;
}

Trace random_counts(const Network& net, int steps, double density, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution on(density);
  Trace in(static_cast<std::size_t>(steps), std::vector<float>(numel(net.input_shape)));
  for (auto& step : in)
    for (float& v : step) v = on(rng) ? 1.0f : 0.0f;
  return in;
}

std::size_t count_nonzero(const Trace& t) {
  std::size_t n = 0;
  for (const auto& s : t)
    for (const float v : s) n += v != 0.0f;
  return n;
}

// Scales every weighted layer so that a few random inputs make the network spike.
Network trained_like(Network net, std::uint64_t seed, float gain) {
  init_weights(net, seed);
  for (std::size_t k = 0; k < net.num_weighted(); ++k)
    for (float& w : net.weights(k).values) w *= gain;
  return net;
}

Network round_trip(const Network& net, const fs::path& dir, const nir::ImportOptions& options = {}) {
  nir::export_file(dir / "net.nir", net);
  return nir::import_file(dir / "net.nir", options);
}

void expect_same_outputs(const Network& a, const Network& b, const Trace& inputs) {
  const auto out = run_steps(a, EngineKind::Event, inputs);
  EXPECT_EQ(out, run_steps(b, EngineKind::Event, inputs));
  EXPECT_GT(count_nonzero(out), 0u) << "outputs that never spike compare nothing";
}

class NirExportArch : public ::testing::TestWithParam<std::string> {};

TEST_P(NirExportArch, RoundTripGivesTheIdenticalNetworkAndOutputs) {
  const TempDir dir;
  const float gain = GetParam() == "nmnist-mlp" ? 3.0f : GetParam() == "shd-rsnn" ? 8.0f : 4.0f;
  const Network net = trained_like(make_arch(GetParam()), 5, gain);
  const Network back = round_trip(net, dir.path);
  EXPECT_EQ(back, net) << "arch, T, reference LIF decay, max pooling and dt must all come back";
  const int steps = GetParam() == "dvsgesture-csnn" ? 4 : 12;
  expect_same_outputs(net, back, random_counts(net, steps, 0.3, 11));
}

INSTANTIATE_TEST_SUITE_P(Archs, NirExportArch, ::testing::Values("nmnist-mlp", "dvsgesture-csnn", "shd-rsnn"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

// Reset by subtraction, dt = 1 s, max pooling of spikes, CubaLIF with recurrence and a reference
// LIF, all in one network described in YAML.
constexpr const char* kSubtractSpec = R"(
name: subtract-net
input: [2, 8, 8]
time_steps: 9
neuron: {dt: 1, r: 1, threshold: 1, reset: subtract}
layers:
  - conv2d: {out: 4, kernel: 3, padding: 1, bias: true}
  - if
  - maxpool2d: {kernel: 2}
  - flatten
  - linear: {out: 12}
  - lif: {tau: 4, r: 4, v_leak: 0.1}
  - linear: {out: 10}
  - cubalif: {tau: 3, tau_syn: 2, r: 3, w_in: 2, recurrent: true, reset: zero}
  - linear: {out: 5}
  - stbp-lif: {decay: 0.5, threshold: 0.4}
)";

TEST(NirExport, SubtractiveResetNetworkRoundTripsWithIdenticalOutputs) {
  const TempDir dir;
  const Network net = trained_like(parse_network_spec(kSubtractSpec, "subtract.yaml"), 3, 4.0f);
  ASSERT_EQ(std::get<Neuron>(net.layers[1]).reset, ResetMode::Subtract);
  const Network back = round_trip(net, dir.path);
  EXPECT_EQ(back, net);
  EXPECT_EQ(back.time_steps, 9);
  EXPECT_EQ(std::get<Neuron>(back.layers[1]).dt, 1.0);
  expect_same_outputs(net, back, random_counts(net, 9, 0.4, 2));
  // --dt given on import wins over the file's metadata.
  const Network at = round_trip(net, dir.path, {.dt = 0.5, .time_steps = 20});
  EXPECT_EQ(std::get<Neuron>(at.layers[1]).dt, 0.5);
  EXPECT_EQ(at.time_steps, 20);
}

TEST(NirExport, TheSinabsStyleCnnSpecRoundTrips) {
  const TempDir dir;
  const Network net = trained_like(load_network_spec(fs::path(SNNGX_SOURCE_DIR) / "configs" / "nmnist-cnn.net.yaml"), 4, 3.0f);
  const Network back = round_trip(net, dir.path);
  EXPECT_EQ(back, net);
  expect_same_outputs(net, back, random_counts(net, 6, 0.3, 4));
}

TEST(NirExport, SubtractiveResetKeepsTheRemainderAfterTheRoundTrip) {
  // IF, threshold 1, input 0.75 per step (dt = r = 1): v = 0.75, 1.5 (spike), 1.25 (spike), 1.0,
  // 1.75 (spike) with subtraction; with v := 0 the spikes fall on steps 1 and 3.
  Network net = parse_network_spec(R"(
name: one-if
input: [1]
neuron: {dt: 1, r: 1, threshold: 1, reset: subtract}
layers:
  - linear: {out: 1}
  - if
)",
                                   "t.yaml");
  net.weights(0).values = {0.75f};
  const TempDir dir;
  const Trace ones(5, std::vector<float>{1.0f});
  const auto spikes = [&](const Network& n) {
    std::vector<int> steps;
    const auto out = run_steps(n, EngineKind::Dense, ones);
    for (std::size_t t = 0; t < out.size(); ++t)
      if (out[t][0] != 0.0f) steps.push_back(static_cast<int>(t));
    return steps;
  };
  EXPECT_EQ(spikes(round_trip(net, dir.path)), (std::vector<int>{1, 2, 4}));
  // Other NIR tools see an IF with v_reset = 0 (NIR 1.x has no reset mode): the metadata is the
  // only carrier, and without it the node means NIR's reset to v_reset.
  nir::Document doc = nir::read(dir / "net.nir");
  EXPECT_EQ(doc.graph.nodes.at("1").type, "IF");
  EXPECT_EQ(doc.graph.nodes.at("1").metadata.at("snngx_reset").text, "subtract");
  doc.graph.nodes.at("1").metadata.clear();
  EXPECT_EQ(spikes(nir::to_network(doc, {.dt = 1.0}, "stripped")), (std::vector<int>{1, 3}));
  // ... unless the importer is told (model import --reset subtract), as for Sinabs' IAF files.
  EXPECT_EQ(spikes(nir::to_network(doc, {.dt = 1.0, .reset = ResetMode::Subtract}, "told")), (std::vector<int>{1, 2, 4}));
  // An explicit reset wins over the metadata too.
  EXPECT_EQ(spikes(nir::import_file(dir / "net.nir", {.reset = ResetMode::Zero})), (std::vector<int>{1, 3}));
}

TEST(NirExport, MaxPoolIsSumPoolThenThresholdWhichOtherToolsRunExactly) {
  const TempDir dir;
  const Network net = trained_like(make_dvsgesture_csnn(), 6, 4.0f);
  nir::export_file(dir / "c.nir", net);
  nir::Document doc = nir::read(dir / "c.nir");
  const auto& sum = doc.graph.nodes.at("2");
  const auto& any = doc.graph.nodes.at("2_max");
  EXPECT_EQ(sum.type, "SumPool2d");
  EXPECT_EQ(sum.params.at("kernel_size").values, (std::vector<double>{2, 2}));
  EXPECT_EQ(any.type, "Threshold");
  EXPECT_EQ(any.params.at("threshold").values, std::vector<double>(64 * 16 * 16, 0.5));
  // Without the max-pool tags (a tool that drops them, or NIR read literally): sum pooling and a
  // Threshold neuron, and still the same outputs, bit for bit, as the max pooling of spikes.
  for (const std::string pool : {"2", "5", "8"}) {
    doc.graph.nodes.at(pool).metadata.clear();
    doc.graph.nodes.at(pool + "_max").metadata.clear();
  }
  const Network literal = nir::to_network(doc, {}, "literal");
  ASSERT_EQ(literal.layers.size(), net.layers.size() + 3);
  ASSERT_TRUE(std::holds_alternative<Pool2d>(literal.layers[2]));
  ASSERT_EQ(std::get<Neuron>(literal.layers[3]).model, NeuronModel::Threshold);
  expect_same_outputs(net, literal, random_counts(net, 4, 0.3, 8));
}

TEST(NirExport, WhatCannotBeMappedIsRefusedNamingTheLayer) {
  Network net = parse_network_spec(R"(
name: pool-first
input: [1, 4, 4]
layers:
  - maxpool2d: {kernel: 2}
  - flatten
  - linear: {out: 2}
  - lif
)",
                                   "t.yaml");
  try {
    (void)nir::from_network(net);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "layer 0 (maxpool2d): NIR has no max pooling node; snngx writes it as SumPool2d -> Threshold 0.5, which equals it only "
              "on spikes, but its input is the network's input");
  }
  net.layers.insert(net.layers.begin(), Conv2d{1, 1, {1, 1}, {1, 1}, {0, 0}, {{1, 1, 1, 1}, {1.0f}, {}}});
  try {
    (void)nir::from_network(net);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layer 1 (maxpool2d): NIR has no max pooling node; "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("but its input comes from layer 0 (conv2d)"), std::string::npos) << e.what();
  }
  Network lif = make_nmnist_mlp();
  std::get<Lif>(lif.layers[2]).decay = 1.0f;
  EXPECT_THROW((void)nir::from_network(lif), std::invalid_argument);
}

TEST(NirExport, MetadataOfOtherToolsIsIgnoredAndBadSnngxMetadataNamesTheNode) {
  const TempDir dir;
  Network net = trained_like(make_nmnist_mlp(), 1, 1.0f);
  nir::Document doc = nir::from_network(net);
  nir::Array note;
  note.text = "from another tool";
  note.is_text = true;
  doc.graph.nodes.at("1").metadata["framework_note"] = note;
  nir::write(dir / "m.nir", doc);
  EXPECT_EQ(nir::import_file(dir / "m.nir", {}), net);

  nir::Array bad;
  bad.text = "halve";
  bad.is_text = true;
  doc.graph.nodes.at("2").metadata["snngx_layer"] = bad;  // no longer the reference LIF: NIR's LIF
  doc.graph.nodes.at("4").metadata["snngx_reset"] = bad;
  try {
    (void)nir::to_network(doc, {}, "m.nir");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "m.nir: node '4' (LIF): metadata 'snngx_reset' is 'halve', expected 'zero' or 'subtract'");
  }
}

}  // namespace
}  // namespace snngx::snn
