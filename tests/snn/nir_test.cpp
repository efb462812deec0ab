// NIR import/export: the Norse yardstick (lif_norse.nir must spike on exactly Norse's steps), round
// trips of every file in ../shared/nir, hand-computed neuron dynamics (IF, LIF, CubaLIF,
// recurrence, subtractive reset), model files with the new layer kinds, and one error naming the
// node and its type for every kind of malformed graph.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/nir.hpp"
#include "snngx/snn/quantize.hpp"
#include "temp_dir.hpp"
#include "shared_nir.hpp"

namespace snngx::snn {
namespace {
namespace fs = std::filesystem;
using snngx::testing::TempDir;

using testing::shared_nir;

#define SKIP_WITHOUT_SHARED(file)                                                                         \
  if (!fs::exists(shared_nir() / (file))) GTEST_SKIP() << "NIR material absent: " << (shared_nir() / (file)) \
                                                       << " (set SNNGX_SHARED_DIR to the shared folder)"

// Runs T steps of per-step inputs through one engine; returns every step's output.
std::vector<std::vector<float>> run_steps(const Network& net, EngineKind kind, const std::vector<std::vector<float>>& inputs) {
  const Engine engine(net, kind);
  const auto state = engine.new_state();
  std::vector<std::vector<float>> out;
  for (const auto& x : inputs) {
    const auto y = engine.step(*state, 0, net.layers.size(), x);
    out.emplace_back(y.begin(), y.end());
  }
  return out;
}

std::vector<std::vector<float>> random_counts(const Network& net, int steps, double density, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution on(density);
  std::vector<std::vector<float>> in(static_cast<std::size_t>(steps), std::vector<float>(numel(net.input_shape)));
  for (auto& step : in)
    for (float& v : step) v = on(rng) ? 1.0f : 0.0f;
  return in;
}

std::size_t count_spikes(const std::vector<std::vector<float>>& out) {
  std::size_t n = 0;
  for (const auto& s : out)
    for (const float v : s) n += v != 0.0f;
  return n;
}

TEST(NirNorse, SpikesOnExactlyNorsesSteps) {
  SKIP_WITHOUT_SHARED("lif_norse.csv");
  const Network net = nir::import_file(shared_nir() / "lif_norse.nir", {.dt = 1e-4, .time_steps = 1000});
  ASSERT_EQ(net.layers.size(), 2u);
  const auto& lif = std::get<Neuron>(net.layers[1]);
  EXPECT_EQ(lif.model, NeuronModel::Lif);
  EXPECT_FLOAT_EQ(lif.tau.at(0), 0.0025f);
  EXPECT_FLOAT_EQ(lif.v_threshold.at(0), 0.1f);
  std::ifstream csv(shared_nir() / "lif_norse.csv");
  std::vector<std::vector<float>> inputs;
  std::vector<int> norse_spike_steps;
  std::string line;
  while (std::getline(csv, line)) {
    std::stringstream ss(line);
    std::string in, v, spike;
    std::getline(ss, in, ',');
    std::getline(ss, v, ',');
    std::getline(ss, spike, ',');
    if (std::stof(spike) != 0.0f) norse_spike_steps.push_back(static_cast<int>(inputs.size()));
    inputs.push_back({std::stof(in)});
  }
  ASSERT_EQ(inputs.size(), 1000u);
  ASSERT_FALSE(norse_spike_steps.empty());
  for (const auto kind : {EngineKind::Dense, EngineKind::Event}) {
    const auto out = run_steps(net, kind, inputs);
    std::vector<int> ours;
    for (std::size_t t = 0; t < out.size(); ++t)
      if (out[t][0] != 0.0f) ours.push_back(static_cast<int>(t));
    EXPECT_EQ(ours, norse_spike_steps) << (kind == EngineKind::Dense ? "dense" : "event");
  }
}

class NirSharedFile : public ::testing::TestWithParam<std::string> {};

TEST_P(NirSharedFile, RoundTripGivesIdenticalNetworksAndOutputs) {
  SKIP_WITHOUT_SHARED(GetParam());
  const TempDir dir;
  const double dt = GetParam() == "cnn_sinabs.nir" ? 1.0 : 1e-4;  // Sinabs' IF is v += r*x per step
  const Network first = nir::import_file(shared_nir() / GetParam(), {.dt = dt, .time_steps = 20});
  nir::export_file(dir / "again.nir", first);
  const Network second = nir::import_file(dir / "again.nir", {.dt = dt, .time_steps = 20});
  EXPECT_EQ(first, second);
  // The model file keeps it too.
  save_model(dir / "m.snn.h5", first);
  EXPECT_EQ(load_model(dir / "m.snn.h5"), first);

  const auto inputs = random_counts(first, 20, 0.5, 7);
  const auto a = run_steps(first, EngineKind::Dense, inputs);
  EXPECT_EQ(a, run_steps(second, EngineKind::Dense, inputs));
  EXPECT_EQ(a, run_steps(first, EngineKind::Event, inputs)) << "the event engine must equal the dense one";
  EXPECT_GT(count_spikes(a), 0u) << "a test that never spikes compares nothing";
}

TEST_P(NirSharedFile, QuantizedEnginesAgreeAndModelFileKeepsIt) {
  SKIP_WITHOUT_SHARED(GetParam());
  const TempDir dir;
  const double dt = GetParam() == "cnn_sinabs.nir" ? 1.0 : 1e-4;
  const Network net = quantize(nir::import_file(shared_nir() / GetParam(), {.dt = dt, .time_steps = 20}), 8, QuantRule::MaxAbs);
  save_model(dir / "q.snn.h5", net);
  EXPECT_EQ(load_model(dir / "q.snn.h5"), net);
  const auto inputs = random_counts(net, 20, 0.3, 9);
  EXPECT_EQ(run_steps(net, EngineKind::Dense, inputs), run_steps(net, EngineKind::Event, inputs));
}

INSTANTIATE_TEST_SUITE_P(Files, NirSharedFile, ::testing::Values("lif_norse.nir", "cnn_sinabs.nir", "braille_noDelay_bias_zero.nir"),
                         [](const auto& info) { return info.param.substr(0, info.param.find('_')); });

TEST(NirSharedFile, BrailleIsRecurrentCubaLif) {
  SKIP_WITHOUT_SHARED("braille_noDelay_bias_zero.nir");
  const Network net = nir::import_file(shared_nir() / "braille_noDelay_bias_zero.nir", {});
  ASSERT_EQ(net.layers.size(), 4u);
  const auto& hidden = std::get<Neuron>(net.layers[1]);
  EXPECT_EQ(hidden.model, NeuronModel::CubaLif);
  ASSERT_TRUE(hidden.recurrent.has_value());
  EXPECT_EQ(hidden.recurrent->shape, (std::vector<int>{38, 38}));
  EXPECT_EQ(net.num_weighted(), 3u) << "fc1, the recurrent weights, fc2";
  EXPECT_EQ(net.weighted_layers(), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(net.num_classes, 7);
}

// ---- hand-computed dynamics on small in-memory graphs ---------------------------------------------

nir::Array arr(std::vector<double> v, std::vector<std::int64_t> shape = {}) {
  nir::Array a;
  a.shape = shape.empty() ? std::vector<std::int64_t>{static_cast<std::int64_t>(v.size())} : std::move(shape);
  a.values = std::move(v);
  return a;
}
nir::Node node(std::string type, std::map<std::string, nir::Array> params) { return {std::move(type), std::move(params), nullptr}; }

// Input(1) -> Linear(w) -> neuron -> Output(1)
nir::Document chain(double w, nir::Node neuron) {
  nir::Document d;
  d.version = "1.0.0";
  d.graph.nodes = {{"in", node("Input", {{"shape", arr({1})}})},
                   {"fc", node("Linear", {{"weight", arr({w}, {1, 1})}})},
                   {"n", std::move(neuron)},
                   {"out", node("Output", {{"shape", arr({1})}})}};
  d.graph.edges = {{"in", "fc"}, {"fc", "n"}, {"n", "out"}};
  return d;
}

std::vector<int> spike_steps(const Network& net, const std::vector<float>& input) {
  std::vector<std::vector<float>> in;
  for (const float x : input) in.push_back({x});
  const auto dense = run_steps(net, EngineKind::Dense, in);
  EXPECT_EQ(dense, run_steps(net, EngineKind::Event, in));
  std::vector<int> steps;
  for (std::size_t t = 0; t < dense.size(); ++t)
    if (dense[t][0] != 0.0f) steps.push_back(static_cast<int>(t));
  return steps;
}

TEST(NirDynamics, IfIntegratesAndResetsToVReset) {
  // dt = 0.5, r = 1, input 1 per step: v += 0.5; threshold 0.9 -> spike when v reaches 1.0 (step 1);
  // v_reset 0.25: v = 0.25 + 0.5 = 0.75, 1.25 (spike at step 3), ...
  const auto doc = chain(1.0, node("IF", {{"r", arr({1})}, {"v_threshold", arr({0.9})}, {"v_reset", arr({0.25})}}));
  const Network net = nir::to_network(doc, {.dt = 0.5, .time_steps = 6}, "test");
  EXPECT_EQ(spike_steps(net, {1, 1, 1, 1, 1, 1}), (std::vector<int>{1, 3, 5}));
}

TEST(NirDynamics, LifLeaksTowardsVLeak) {
  // dt/tau = 0.5, r = 2, v_leak = 0: v = 0.5 v + 0.5*2*x. Input 1, 0, 1: v = 1.0, 0.5, 1.25;
  // threshold 1.1 -> one spike at step 2.
  const auto doc = chain(1.0, node("LIF", {{"tau", arr({2})}, {"r", arr({2})}, {"v_leak", arr({0})}, {"v_threshold", arr({1.1})}}));
  const Network net = nir::to_network(doc, {.dt = 1.0, .time_steps = 3}, "test");
  EXPECT_EQ(spike_steps(net, {1, 0, 1}), (std::vector<int>{2}));
  // v_leak pulls a silent neuron up: v = 0.5 v + 0.5 * 3 -> 1.5 at step 0 (spike), reset 0, 1.5 ...
  const auto leak = chain(1.0, node("LIF", {{"tau", arr({2})}, {"r", arr({1})}, {"v_leak", arr({3})}, {"v_threshold", arr({1.4})}}));
  EXPECT_EQ(spike_steps(nir::to_network(leak, {.dt = 1.0, .time_steps = 3}, "test"), {0, 0, 0}), (std::vector<int>{0, 1, 2}));
}

TEST(NirDynamics, CubaLifFiltersThroughTheSynapse) {
  // dt/tau_syn = 0.5, w_in = 2: i = 0.5 i + x (x = 1 at step 0 only): i = 1, 0.5, 0.25.
  // dt/tau_mem = 1 (no memory), r = 1: v = i; threshold 0.4 -> spikes at steps 0 and 1.
  const auto doc = chain(1.0, node("CubaLIF", {{"tau_mem", arr({1})},
                                               {"tau_syn", arr({2})},
                                               {"r", arr({1})},
                                               {"v_leak", arr({0})},
                                               {"v_threshold", arr({0.4})},
                                               {"w_in", arr({2})}}));
  const Network net = nir::to_network(doc, {.dt = 1.0, .time_steps = 3}, "test");
  EXPECT_EQ(spike_steps(net, {1, 0, 0}), (std::vector<int>{0, 1}));
}

TEST(NirDynamics, RecurrentWeightsReadThePreviousSpikes) {
  // IF, dt = r = 1, threshold 0.5, input 1 per step, recurrent weight -3 (inhibition):
  // t0 v = 1 spike; t1 x = 1 - 3 = -2, v = 0 - 2 = -2; t2 x = 1, v = -1; t3 v = 0; t4 v = 1 spike; ...
  auto doc = chain(1.0, node("IF", {{"r", arr({1})}, {"v_threshold", arr({0.5})}}));
  doc.graph.nodes["rec"] = node("Linear", {{"weight", arr({-3}, {1, 1})}});
  doc.graph.edges.emplace_back("n", "rec");
  doc.graph.edges.emplace_back("rec", "n");
  const Network net = nir::to_network(doc, {.dt = 1.0, .time_steps = 6}, "test");
  EXPECT_EQ(spike_steps(net, {1, 1, 1, 1, 1, 1}), (std::vector<int>{0, 4}));
  // Without the recurrence the neuron fires every step.
  const Network plain = nir::to_network(chain(1.0, node("IF", {{"r", arr({1})}, {"v_threshold", arr({0.5})}})), {.dt = 1.0}, "test");
  EXPECT_EQ(spike_steps(plain, {1, 1, 1, 1, 1, 1}), (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(NirDynamics, SubtractiveResetKeepsTheRemainder) {
  // Built directly (NIR 1.x has no reset mode). IF, threshold 1, input 0.75 per step (dt = r = 1):
  // v = 0.75, 1.5 (spike), 1.5 - 1 + 0.75 = 1.25 (spike), 1.0, 1.75 (spike)
  Network net = nir::to_network(chain(0.75, node("IF", {{"r", arr({1})}, {"v_threshold", arr({1})}})), {.dt = 1.0}, "test");
  std::get<Neuron>(net.layers[1]).reset = ResetMode::Subtract;
  EXPECT_EQ(spike_steps(net, {1, 1, 1, 1, 1}), (std::vector<int>{1, 2, 4}));
  // Exported with snngx_reset = "subtract" metadata, it comes back (tests/snn/nir_export_test.cpp).
  EXPECT_EQ(spike_steps(nir::to_network(nir::from_network(net), {}, "again"), {1, 1, 1, 1, 1}), (std::vector<int>{1, 2, 4}));
}

TEST(NirDynamics, NestedGraphIsInlined) {
  // Input -> sub{Input -> Linear(2) -> Output} -> IF -> Output, edges naming the subgraph itself.
  nir::Document doc = chain(1.0, node("IF", {{"r", arr({1})}, {"v_threshold", arr({1.5})}}));
  auto sub = std::make_shared<nir::Graph>();
  sub->nodes = {{"i", node("Input", {{"shape", arr({1})}})}, {"w", node("Linear", {{"weight", arr({2}, {1, 1})}})},
                {"o", node("Output", {{"shape", arr({1})}})}};
  sub->edges = {{"i", "w"}, {"w", "o"}};
  doc.graph.nodes["fc"] = nir::Node{"NIRGraph", {}, sub};
  const Network net = nir::to_network(doc, {.dt = 1.0}, "test");
  EXPECT_EQ(std::get<Linear>(net.layers[0]).weight.values, std::vector<float>{2.0f});
  EXPECT_EQ(spike_steps(net, {1, 0, 1}), (std::vector<int>{0, 2}));
  // ... and through a file.
  const TempDir dir;
  nir::write(dir / "nested.nir", doc);
  EXPECT_EQ(nir::import_file(dir / "nested.nir", {.dt = 1.0}), net);
}

// ---- malformed graphs: one error naming the node and its type ------------------------------------

std::string error_of(const nir::Document& doc) {
  try {
    (void)nir::to_network(doc, {}, "net.nir");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

nir::Document good() { return chain(1.0, node("IF", {{"r", arr({1})}, {"v_threshold", arr({1})}})); }

TEST(NirErrors, MissingParameter) {
  auto doc = good();
  doc.graph.nodes["n"].params.erase("v_threshold");
  EXPECT_EQ(error_of(doc), "net.nir: node 'n' (IF): parameter 'v_threshold' missing");
}

TEST(NirErrors, ShapeMismatch) {
  auto doc = good();
  doc.graph.nodes["fc"].params["weight"] = arr({1, 1}, {1, 2});
  EXPECT_EQ(error_of(doc), "net.nir: node 'fc' (Linear): weight expects 2 inputs but the node receives [1]");
  doc = good();
  doc.graph.nodes["n"].params["r"] = arr({1, 1, 1});
  EXPECT_EQ(error_of(doc), "net.nir: node 'n' (IF): parameter 'r' has shape [3] but the node receives [1]");
  doc = good();
  doc.graph.nodes["out"].params["shape"] = arr({4});
  EXPECT_EQ(error_of(doc), "net.nir: node 'out' (Output): expects shape [4] but receives [1]");
}

TEST(NirErrors, UnknownAndUnsupportedTypes) {
  auto doc = good();
  doc.graph.nodes["n"].type = "Spiky";
  EXPECT_EQ(error_of(doc), "net.nir: node 'n' (Spiky): unknown node type 'Spiky'");
  doc.graph.nodes["n"] = node("Delay", {{"delay", arr({1})}});
  EXPECT_NE(error_of(doc).find("node 'n' (Delay): node type 'Delay' is not supported"), std::string::npos) << error_of(doc);
}

TEST(NirErrors, DanglingEdge) {
  auto doc = good();
  doc.graph.edges.emplace_back("n", "ghost");
  EXPECT_EQ(error_of(doc), "net.nir: edge 'n' -> 'ghost': node 'ghost' does not exist");
}

TEST(NirErrors, CycleWithNoNeuron) {
  auto doc = good();
  doc.graph.nodes["back"] = node("Linear", {{"weight", arr({1}, {1, 1})}});
  doc.graph.edges.emplace_back("fc", "back");
  doc.graph.edges.emplace_back("back", "fc");
  EXPECT_NE(error_of(doc).find("(Linear): is on a cycle with no neuron"), std::string::npos) << error_of(doc);
}

TEST(NirErrors, BranchAndNoNeuronAtTheEnd) {
  auto doc = good();
  doc.graph.nodes["fc2"] = node("Linear", {{"weight", arr({1}, {1, 1})}});
  doc.graph.edges.emplace_back("fc", "fc2");
  EXPECT_NE(error_of(doc).find("node 'fc' (Linear): branches to"), std::string::npos) << error_of(doc);
  doc = good();
  doc.graph.edges = {{"in", "fc"}, {"fc", "out"}};
  doc.graph.nodes.erase("n");
  EXPECT_NE(error_of(doc).find("node 'fc' (Linear): feeds the Output node"), std::string::npos) << error_of(doc);
}

TEST(NirErrors, FileErrorsNameTheFile) {
  const TempDir dir;
  { std::ofstream(dir / "junk.nir") << "not hdf5"; }
  try {
    (void)nir::import_file(dir / "junk.nir", {});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "junk.nir").string()), std::string::npos) << e.what();
  }
  {
    H5::H5File f((dir / "empty.nir").string(), H5F_ACC_TRUNC);
  }
  try {
    (void)nir::import_file(dir / "empty.nir", {});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "empty.nir").string() + ": group '/node' missing (not a NIR file)");
  }
}

// Issue 17 point 5: NIR files snngx writes carry Fletcher-32 on every array parameter, so a
// flipped bit in a stored weight (0.25 -> 0.2519531, still a plausible weight) is one error naming
// the file, not a silently different network.
TEST(NirErrors, FlippedWeightBitInAWrittenFileIsOneErrorNamingTheFile) {
  const TempDir dir;
  const fs::path path = dir / "w.nir";
  nir::Document doc = chain(0.25, node("IF", {{"r", arr({1})}, {"v_threshold", arr({0.9})}, {"v_reset", arr({0.0})}}));
  doc.graph.nodes.at("fc").params.at("weight") = arr(std::vector<double>(64, 0.25), {1, 64});
  doc.graph.nodes.at("in").params.at("shape") = arr({64});
  nir::write(path, doc);
  {
    const H5::H5File f(path.string(), H5F_ACC_RDONLY);
    const H5::DSetCreatPropList props = f.openDataSet("/node/nodes/fc/weight").getCreatePlist();
    ASSERT_EQ(props.getNfilters(), 1);
    unsigned flags = 0, config = 0;
    std::size_t n_values = 0;
    char name[32];
    EXPECT_EQ(props.getFilter(0, flags, n_values, nullptr, sizeof name, name, config), H5Z_FILTER_FLETCHER32);
  }
  EXPECT_EQ(nir::read(path).graph.nodes.at("fc").params.at("weight").values, std::vector<double>(64, 0.25));
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string run;
  for (int i = 0; i < 64; ++i) run += std::string("\x00\x00\x80\x3e", 4);  // 0.25f, little endian
  const auto at = bytes.find(run);
  ASSERT_NE(at, std::string::npos) << "the weights must be stored uncompressed";
  f.seekp(static_cast<std::streamoff>(at + 2));
  f.put(static_cast<char>(0x81));
  f.close();
  try {
    (void)nir::read(path);
    FAIL() << "a corrupted weight was read";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path.string() + ": ", 0), 0U) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(NirErrors, QuantizedLayerAfterRealValuesIsRefused) {
  // Linear -> Linear: the second layer's inputs are real-valued sums, which int8 arithmetic would truncate.
  auto doc = good();
  doc.graph.nodes["fc0"] = node("Linear", {{"weight", arr({0.5}, {1, 1})}});
  doc.graph.edges = {{"in", "fc0"}, {"fc0", "fc"}, {"fc", "n"}, {"n", "out"}};
  const Network net = quantize(nir::to_network(doc, {}, "net.nir"), 8, QuantRule::MaxAbs);
  try {
    const Engine engine(net, EngineKind::Dense);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layer 1 (linear): quantized weights need whole-number inputs"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace snngx::snn

namespace snngx::snn {
namespace {

TEST(NirKinds, ToolsForTheReferenceKindsRefuseTheNewOnesNamingTheLayer) {
  EXPECT_TRUE(reference_kinds_only(make_nmnist_mlp()));
  EXPECT_TRUE(reference_kinds_only(make_dvsgesture_csnn()));
  Network net = nir::to_network(chain(1.0, node("IF", {{"r", arr({1})}, {"v_threshold", arr({1})}})), {}, "t");
  EXPECT_FALSE(reference_kinds_only(net));
  try {
    require_reference_kinds(net, "training");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "training supports linear, conv2d, lif, maxpool2d and flatten layers without bias; layer 1 (neuron) is not supported yet");
  }
  std::get<Linear>(net.layers[0]).bias = {0.5f};
  net.layers[1] = Lif{};
  try {
    require_reference_kinds(net, "training");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layer 0 (linear): its bias is not supported yet"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace snngx::snn
