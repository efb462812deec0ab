// Issue 18 point 6: the accelerator runs any imported network. Biases (added in the neuron unit),
// Neuron layers (IF / LIF / CubaLIF with per-neuron parameters, reset to zero or by subtraction),
// recurrent weights (their own crossbar rows, driven by the layer's spikes of the previous step),
// sum / average pooling and scale between layers. Membranes by hand, spike counts by hand, and on
// random and imported (NIR) networks: fast mode == cycle mode == the software engine, with and
// without a key on every weighted layer (recurrent weights included).
#include <gtest/gtest.h>

#include <filesystem>

#include "test_neurons.hpp"
#include "error_of.hpp"
#include "shared_nir.hpp"
#include "snngx/rram/accelerator.hpp"
#include "snngx/rram/components/lif.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/nir.hpp"
#include "snngx/snn/quantize.hpp"
#include "test_nets.hpp"

namespace snngx::rram {
namespace {

// ---- the neuron unit, membranes by hand ---------------------------------------------------------

snn::NeuronParams unit_params(snn::ResetMode reset) {
  snn::NeuronParams p;
  p.reset = reset;
  p.dt = 1.0;  // IF: gain = dt * r = 1
  p.r = 1.0f;
  p.v_threshold = 1.0f;
  return p;
}

NeuronLayer euler_layer(const snn::Neuron& n, std::size_t count, float scale, std::vector<float> bias) {
  NeuronLayer layer;
  layer.scale = scale;
  layer.columns = count;
  layer.positions = 1;
  layer.bias = std::move(bias);
  EulerNeuron e;
  e.k = snn::neuron_coefficients(n, count);
  layer.euler = std::move(e);
  return layer;
}

TEST(NeuronUnit, IfWithBiasResetBySubtractionAndToZero) {
  const auto lif = make_component<ILifUnit>(ChipConfig{});
  const std::vector<std::int64_t> psum{3, 1};  // scale 0.5: currents 1.5 + 0.25 and 0.5 - 0.5
  for (const auto reset : {snn::ResetMode::Subtract, snn::ResetMode::Zero}) {
    const auto layer = euler_layer(snn::make_neuron(snn::NeuronModel::If, 2, unit_params(reset)), 2, 0.5f, {0.25f, -0.5f});
    std::vector<float> v(2, 0.0f), s(2, 0.0f);
    // Subtract: 1.75, then 0.75 + 1.75 = 2.5, then 1.5 + 1.75 = 3.25. Zero: 1.75 every step.
    const std::vector<float> want = reset == snn::ResetMode::Subtract ? std::vector<float>{1.75f, 2.5f, 3.25f}
                                                                      : std::vector<float>{1.75f, 1.75f, 1.75f};
    for (int t = 0; t < 3; ++t) {
      lif->step(layer, psum, {}, 0, 2, NeuronState{v, s});
      EXPECT_EQ(v[0], want[static_cast<std::size_t>(t)]) << "step " << t;
      EXPECT_EQ(s[0], 1.0f);
      EXPECT_EQ(v[1], 0.0f) << "the bias cancels the current";
      EXPECT_EQ(s[1], 0.0f);
    }
  }
}

TEST(NeuronUnit, CubaLifSynapticCurrentAndMembrane) {
  const auto lif = make_component<ILifUnit>(ChipConfig{});
  snn::NeuronParams p;
  p.dt = 1.0;
  p.tau = 2.0f;      // decay 1 - dt/tau = 0.5, gain dt/tau * r = 1
  p.tau_syn = 2.0f;  // syn_decay 0.5, syn_gain dt/tau_syn * w_in = 1
  p.r = 2.0f;
  p.w_in = 2.0f;
  p.v_threshold = 1.5f;
  const auto layer = euler_layer(snn::make_neuron(snn::NeuronModel::CubaLif, 1, p), 1, 0.25f, {});
  const std::vector<std::int64_t> psum{4};  // current 1
  std::vector<float> v(1, 0.0f), s(1, 0.0f), syn(1, 0.0f);
  // syn = 0.5 syn + 1: 1, 1.5, 1.75, 1.875; v = 0.5 reset(v) + syn: 1, 0.5 + 1.5 = 2 (spike),
  // then from v_reset 0: 1.75 (spike), 1.875 (spike).
  const float want_syn[] = {1.0f, 1.5f, 1.75f, 1.875f}, want_v[] = {1.0f, 2.0f, 1.75f, 1.875f};
  const float want_s[] = {0.0f, 1.0f, 1.0f, 1.0f};
  for (int t = 0; t < 4; ++t) {
    lif->step(layer, psum, {}, 0, 1, NeuronState{v, s, syn});
    EXPECT_EQ(syn[0], want_syn[t]) << "step " << t;
    EXPECT_EQ(v[0], want_v[t]) << "step " << t;
    EXPECT_EQ(s[0], want_s[t]) << "step " << t;
  }
}

TEST(NeuronUnit, RecurrentSumsAreScaledAndBiasedOnTheirOwn) {
  const auto lif = make_component<ILifUnit>(ChipConfig{});
  auto layer = euler_layer(snn::make_neuron(snn::NeuronModel::If, 1, unit_params(snn::ResetMode::Zero)), 1, 0.25f, {0.125f});
  layer.euler->recurrent = true;
  layer.euler->recurrent_scale = 0.5f;
  layer.euler->recurrent_bias = {0.25f};
  const std::vector<std::int64_t> psum{2}, rec{3};
  std::vector<float> v(1, 0.0f), s(1, 0.0f);
  lif->step(layer, psum, rec, 0, 1, NeuronState{v, s});
  EXPECT_EQ(v[0], (0.5f + 0.125f) + (1.5f + 0.25f));
  EXPECT_EQ(s[0], 1.0f);
}

// ---- hand-built networks on the chip ------------------------------------------------------------

// Weights given as integer magnitudes times 2^exponent (exactly what the crossbars hold).
snn::Weights quantized(std::vector<int> shape, const std::vector<int>& steps, int exponent) {
  snn::Weights w;
  w.shape = std::move(shape);
  snn::Quantization q;
  q.exponent = exponent;
  for (const int k : steps) q.weight_bits.push_back(static_cast<std::uint8_t>((k < 0 ? 0x80 : 0) | std::abs(k)));
  w.quant = q;
  snn::dequantize_into(w);
  return w;
}

datasets::FrameSet flat_frames(int steps, int inputs, const std::vector<std::uint16_t>& counts) {
  datasets::FrameSet f;
  f.shape = {steps, inputs, 1, 1};
  f.counts = counts;
  f.labels = {0};
  return f;
}

// Runs one sample on the software engine and on the chip in both modes; returns the chip's counts.
std::vector<std::int32_t> run_everywhere(const snn::Network& net, const datasets::FrameSet& frames,
                                         const ChipConfig& cfg = ChipConfig{}) {
  const snn::Engine engine(net, snn::EngineKind::Event);
  const Accelerator chip(net, cfg);
  const auto fast = chip.run_fast(frames.sample(0), 0);
  const auto cycle = chip.run_cycle({frames.sample(0)}).front();
  EXPECT_EQ(fast.counts, engine.run(frames.sample(0))) << "chip vs software engine";
  EXPECT_EQ(cycle.counts, fast.counts);
  EXPECT_EQ(cycle.cycles, fast.cycles);
  for (std::size_t l = 0; l < fast.per_layer.size(); ++l) EXPECT_EQ(cycle.per_layer[l], fast.per_layer[l]) << "layer " << l;
  return fast.counts;
}

TEST(ImportedKinds, BiasAndSubtractiveResetCountedByHand) {
  snn::Network net;
  net.arch = "hand";
  net.time_steps = 4;
  net.input_shape = {1};
  net.num_classes = 1;
  snn::Linear fc{1, 1, quantized({1, 1}, {3}, -2), {0.25f}};  // weight 0.75, bias 0.25
  for (const auto reset : {snn::ResetMode::Subtract, snn::ResetMode::Zero}) {
    net.layers = {fc, snn::make_neuron(snn::NeuronModel::If, 1, unit_params(reset))};
    net.state = snn::ModelState::Quantized;
    // Counts 2, 1, 0, 3: currents 1.75, 1, 0.25, 2.5. Subtract: v 1.75 (spike), 0.75 + 1 = 1.75
    // (spike), 0.75 + 0.25 = 1 (not above 1), 3.5 (spike): 3. Zero: 1.75 (spike), 1, 1.25
    // (spike), 2.5 (spike): 3 as well, on other steps; the traces differ at step 2.
    const auto counts = run_everywhere(net, flat_frames(4, 1, {2, 1, 0, 3}));
    EXPECT_EQ(counts, std::vector<std::int32_t>{3});
    // Two steps only: subtract spikes at 0 and 1; zero only at 0.
    EXPECT_EQ(run_everywhere(net, flat_frames(2, 1, {2, 1})),
              std::vector<std::int32_t>{reset == snn::ResetMode::Subtract ? 2 : 1});
  }
}

TEST(ImportedKinds, RecurrentRowsReadThePreviousStepsSpikes) {
  // Input -> Linear 1->2 (only neuron 0 fed) -> IF with recurrent weights: neuron 1 gets 1.0 from
  // neuron 0's spike of the previous step. One input event at step 0: neuron 0 spikes at 0,
  // neuron 1 at 1 and never again.
  snn::Network net;
  net.arch = "hand-rnn";
  net.time_steps = 3;
  net.input_shape = {1};
  net.num_classes = 2;
  auto p = unit_params(snn::ResetMode::Zero);
  p.v_threshold = 0.5f;
  auto neuron = snn::make_neuron(snn::NeuronModel::If, 2, p);
  neuron.recurrent = quantized({2, 2}, {0, 0, 2, 0}, -1);  // row = target: W[1][0] = 1
  net.layers = {snn::Linear{1, 2, quantized({2, 1}, {4, 0}, -2)}, neuron};
  net.state = snn::ModelState::Quantized;
  EXPECT_EQ(run_everywhere(net, flat_frames(3, 1, {1, 0, 0})), (std::vector<std::int32_t>{1, 1}));
  EXPECT_EQ(run_everywhere(net, flat_frames(3, 1, {1, 1, 0})), (std::vector<std::int32_t>{2, 2}));
  const Accelerator chip(net, ChipConfig{});
  ASSERT_EQ(chip.mapping().layers.size(), 2U);
  EXPECT_EQ(chip.mapping().layers[1].name, "L1 recurrent");
  EXPECT_EQ(chip.mapping().layers[1].rows, 2);
  EXPECT_FALSE(chip.mapping().layers[0].fires);
}

// ---- random imported-style networks: chip == software engine, fast == cycle --------------------

// [2,8,8] -> Conv2d 2->4 3x3 pad 1 + bias -> IF (subtract) -> SumPool 2x2 -> Conv2d 4->4 3x3 ->
// LIF -> AvgPool-free MaxPool 2x2 -> Flatten -> Linear 16->10 + bias -> CubaLIF with recurrent
// weights + bias -> Linear 10->3 -> LIF (zero reset).
snn::Network imported_style_net(std::uint64_t seed, float gain) {
  snn::Network n;
  n.arch = "imported-style";
  n.time_steps = 6;
  n.input_shape = {2, 8, 8};
  n.num_classes = 3;
  snn::Conv2d c0{2, 4, {3, 3}, {1, 1}, {1, 1}, {}};
  c0.weight.shape = {4, 2, 3, 3};
  c0.bias = {0.05f, -0.1f, 0.2f, 0.0f};
  snn::Conv2d c1{4, 4, {3, 3}, {1, 1}, {1, 1}, {}};
  c1.weight.shape = {4, 4, 3, 3};
  snn::Linear f0{16, 10, {}};
  f0.weight.shape = {10, 16};
  f0.bias.assign(10, 0.1f);
  snn::Linear f1{10, 3, {}};
  f1.weight.shape = {3, 10};
  auto cuba = snngx::testing::small_neuron_layer(snn::NeuronModel::CubaLif, 10, snn::ResetMode::Subtract);
  cuba.recurrent = snn::Weights{{10, 10}, std::vector<float>(100, 0.0f), std::nullopt};
  cuba.recurrent_bias.assign(10, -0.05f);
  n.layers = {c0,
              snngx::testing::small_neuron_layer(snn::NeuronModel::If, 4 * 8 * 8, snn::ResetMode::Subtract),
              snn::Pool2d{snn::Pool2d::Mode::Sum, {2, 2}, {2, 2}, {0, 0}},
              c1,
              snngx::testing::small_neuron_layer(snn::NeuronModel::Lif, 4 * 4 * 4, snn::ResetMode::Zero),
              snn::MaxPool2d{{2, 2}, {2, 2}},
              snn::Flatten{},
              f0,
              cuba,
              f1,
              snngx::testing::small_neuron_layer(snn::NeuronModel::Lif, 3, snn::ResetMode::Zero)};
  for (std::size_t l = 0; l < n.num_weighted(); ++l) n.weights(l).values.assign(snn::numel(n.weights(l).shape), 0.0f);
  snn::init_weights(n, seed);
  testing::scale_weights(n, gain);
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

TEST(ImportedKinds, RandomNetworkEqualsSoftwareEngineInBothModesOnDefaultAndSmallTiles) {
  int spikes = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const auto net = imported_style_net(seed, 4.0f);
    const auto frames = testing::frames_for(net, 4, 0.3, seed);
    const snn::Engine engine(net, snn::EngineKind::Event);
    for (const auto& cfg : {ChipConfig{}, testing::small_tiles_config()}) {
      const Accelerator chip(net, cfg);
      ASSERT_EQ(chip.mapping().layers.size(), 5U) << "4 weighted layers + the recurrent weights";
      for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto want = engine.run(frames.sample(i));
        const auto fast = chip.run_fast(frames.sample(i), i);
        EXPECT_EQ(fast.counts, want) << "seed " << seed << " sample " << i;
        for (const auto c : want) spikes += c;
        if (i < 2) {
          const auto cycle = chip.run_cycle({frames.sample(i)}, i).front();
          EXPECT_EQ(cycle.counts, fast.counts);
          EXPECT_EQ(cycle.cycles, fast.cycles) << "cycles per [step][layer]";
          for (std::size_t l = 0; l < fast.per_layer.size(); ++l)
            EXPECT_EQ(cycle.per_layer[l].to_json(), fast.per_layer[l].to_json()) << "layer " << l;
        }
      }
      // The sparse path (a frame file's layout 2) gives the same as the dense one.
      const auto sparse = chip.run(frames, RunOptions{});
      for (std::size_t i = 0; i < frames.size(); ++i)
        EXPECT_EQ(std::vector<std::int32_t>(sparse.spike_counts.begin() + static_cast<std::ptrdiff_t>(3 * i),
                                            sparse.spike_counts.begin() + static_cast<std::ptrdiff_t>(3 * i + 3)),
                  engine.run(frames.sample(i)));
    }
  }
  EXPECT_GT(spikes, 20) << "the nets must spike for the comparison to mean anything";
}

TEST(ImportedKinds, NeuronUnitCountsBiasAndRecurrentAddsAndCubaUpdates) {
  const auto net = imported_style_net(1, 4.0f);
  const auto frames = testing::frames_for(net, 1, 0.3, 1);
  const Accelerator chip(net, ChipConfig{});
  const auto r = chip.run_fast(frames.sample(0), 0);
  const std::uint64_t T = 6;
  EXPECT_EQ(r.per_layer[0].neuron_adds, T * 4 * 8 * 8) << "conv bias: one add per neuron and step";
  EXPECT_EQ(r.per_layer[1].neuron_adds, 0U);
  EXPECT_EQ(r.per_layer[2].lif_updates, 0U) << "the feed-forward half of a recurrent layer updates no neuron";
  EXPECT_EQ(r.per_layer[3].neuron_adds, T * 10 * 3) << "bias, recurrent bias, merge";
  EXPECT_EQ(r.per_layer[3].lif_updates, T * 10 * 2) << "CubaLIF: synaptic current and membrane";
}

TEST(ImportedKinds, KeyOnEveryWeightedLayerIncludingRecurrentDecryptsOnChip) {
  const auto plain = imported_style_net(2, 4.0f);
  const auto key = testing::random_key(plain, 6, 9);
  const auto enc = testing::encrypt(plain, key);
  const auto frames = testing::frames_for(plain, 4, 0.3, 5);
  const snn::Engine plain_engine(plain, snn::EngineKind::Event), enc_engine(enc, snn::EngineKind::Event);
  Accelerator keyed(enc, ChipConfig{});
  ASSERT_TRUE(keyed.load_key(key));
  const Accelerator unkeyed(enc, ChipConfig{});
  int differing = 0;
  std::uint64_t recurrent_requests = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto want = plain_engine.run(frames.sample(i)), want_enc = enc_engine.run(frames.sample(i));
    differing += want != want_enc;
    const auto on = keyed.run_fast(frames.sample(i), i);
    EXPECT_EQ(on.counts, want) << "sample " << i << ": with the key the chip computes the plain model";
    EXPECT_EQ(unkeyed.run_fast(frames.sample(i), i).counts, want_enc) << "sample " << i;
    recurrent_requests += on.per_layer[3].decrypt_requests;
    if (i == 0) {
      const auto cycle = keyed.run_cycle({frames.sample(i)}, i).front();
      EXPECT_EQ(cycle.counts, on.counts);
      EXPECT_EQ(cycle.cycles, on.cycles);
      for (std::size_t l = 0; l < on.per_layer.size(); ++l) EXPECT_EQ(cycle.per_layer[l], on.per_layer[l]) << "layer " << l;
    }
  }
  EXPECT_GT(recurrent_requests, 0U) << "the recurrent rows' keyed tile must have been corrected";
  EXPECT_GT(differing, 0) << "the key must change some outputs for the test to mean anything";
}

TEST(ImportedKinds, RefusesWhatTheChipCannotDriveWithOneLine) {
  // An average pool before a quantized layer gives real values: the wordlines take counts.
  auto net = testing::small_csnn(1);
  net.layers.insert(net.layers.begin() + 2, snn::Pool2d{snn::Pool2d::Mode::Average, {1, 1}, {1, 1}, {0, 0}});
  EXPECT_EQ(snngx::testing::error_of([&] { Accelerator(net, ChipConfig{}); }),
            "model layer 3 (conv2d): the wordline drivers take whole-number inputs (spikes or counts), but model layer 2 "
            "(avgpool2d) outputs real values");
  // A neuron layer not behind a crossbar.
  auto lone = testing::small_mlp(1);
  lone.layers.insert(lone.layers.begin() + 3, snn::Lif{});
  EXPECT_EQ(snngx::testing::error_of([&] { Accelerator(lone, ChipConfig{}); }),
            "model layer 3 (lif): the chip's neuron units sit behind the crossbars; a neuron layer must follow a Linear or Conv2d "
            "layer");
}

// ---- the NIR networks of ../shared/nir ----------------------------------------------------------

snn::Network imported(const std::string& file, double dt) {
  snn::nir::ImportOptions options;
  options.dt = dt;
  return snn::quantize(snn::nir::import_file(snngx::testing::shared_nir() / file, options), 8, snn::QuantRule::MaxAbs);
}

datasets::FrameSet frames_of(const snn::Network& net, int steps, std::size_t count, double density, std::uint64_t seed) {
  const auto s = snn::frame_input_shape(net);
  return datasets::synth_frames({steps, s[0], s[1], s[2]}, count, density, net.num_classes, seed);
}

void expect_chip_equals_engine(const snn::Network& net, const datasets::FrameSet& frames, std::size_t cycle_samples) {
  const snn::Engine engine(net, snn::EngineKind::Event);
  const auto key = testing::random_key(net, 4, 17);
  const auto enc = testing::encrypt(net, key);
  Accelerator chip(enc, ChipConfig{});
  ASSERT_TRUE(chip.load_key(key));
  int spikes = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto want = engine.run(frames.sample(i));
    const auto fast = chip.run_fast(frames.sample(i), i);
    EXPECT_EQ(fast.counts, want) << net.arch << " sample " << i;
    for (const auto c : want) spikes += c;
    if (i < cycle_samples) {
      const auto cycle = chip.run_cycle({frames.sample(i)}, i).front();
      EXPECT_EQ(cycle.counts, fast.counts) << "sample " << i;
      EXPECT_EQ(cycle.cycles, fast.cycles) << "sample " << i;
    }
  }
  EXPECT_GT(spikes, 0) << "the imported network must spike for the comparison to mean anything";
}

TEST(ImportedNir, SinabsCnnWithKeyEqualsSoftwareEngine) {
  if (!std::filesystem::exists(snngx::testing::shared_nir() / "cnn_sinabs.nir"))
    GTEST_SKIP() << "NIR material absent: " << snngx::testing::shared_nir() << " (set SNNGX_SHARED_DIR to the shared folder)";
  const auto net = imported("cnn_sinabs.nir", 1.0);
  expect_chip_equals_engine(net, frames_of(net, 5, 6, 0.1, 3), 1);
}

TEST(ImportedNir, BrailleRnnWithKeyOnTheRecurrentWeightsEqualsSoftwareEngine) {
  if (!std::filesystem::exists(snngx::testing::shared_nir() / "braille_noDelay_bias_zero.nir"))
    GTEST_SKIP() << "NIR material absent: " << snngx::testing::shared_nir() << " (set SNNGX_SHARED_DIR to the shared folder)";
  const auto net = imported("braille_noDelay_bias_zero.nir", 1e-4);
  const Accelerator chip(net, ChipConfig{});
  ASSERT_EQ(chip.mapping().layers.size(), 3U);
  EXPECT_TRUE(chip.mapping().layers[1].recurrent);
  expect_chip_equals_engine(net, frames_of(net, 40, 8, 0.3, 4), 2);
}

}  // namespace
}  // namespace snngx::rram
