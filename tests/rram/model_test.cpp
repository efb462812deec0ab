// Mapping onto tiles, the timing formula and event counters by hand, non-idealities (switchable,
// seeded, fast == cycle), and the chip-config registry.
#include <gtest/gtest.h>

#include <filesystem>

#include "snngx/rram/accelerator.hpp"
#include "snngx/snn/inference.hpp"
#include "test_nets.hpp"
#include "error_of.hpp"

namespace snngx::rram {
namespace {

using testing::frames_for;

TEST(Mapping, NmnistMlpOnDefaultTiles) {
  const auto m = map_network(testing::reference_net("nmnist-mlp", 1, 1.0f), ChipConfig{});
  ASSERT_EQ(m.layers.size(), 2U);
  const auto& a = m.layers[0];
  EXPECT_EQ(a.rows, 2312);
  EXPECT_EQ(a.cols, 512);
  EXPECT_EQ(a.slices, 7);          // 7 magnitude bits, 1 bit per cell
  EXPECT_EQ(a.cols_per_tile, 18);  // floor(128 / 7)
  EXPECT_EQ(a.row_tiles, 19);      // ceil(2312 / 128)
  EXPECT_EQ(a.col_tiles, 29);      // ceil(512 / 18)
  EXPECT_EQ(a.tree_levels, 6);     // ceil(log2 19) + 1
  EXPECT_DOUBLE_EQ(a.utilisation(128, 128), 2312.0 * 512 * 7 / (19.0 * 29 * 128 * 128));
  EXPECT_EQ(m.layers[1].tiles(), 4);
  EXPECT_EQ(m.tiles(), 19 * 29 + 4);
  EXPECT_NE(m.report().find("total tiles: 555"), std::string::npos) << m.report();
}

TEST(Mapping, DvsGestureCsnnUnrollsConvolutionsIm2col) {
  const auto m = map_network(testing::reference_net("dvsgesture-csnn", 1, 1.0f), ChipConfig{});
  ASSERT_EQ(m.layers.size(), 6U);
  const int rows[] = {2 * 9, 64 * 9, 128 * 9, 128 * 9, 4096, 1024};
  const int cols[] = {64, 128, 128, 256, 1024, 11};
  const int positions[] = {32 * 32, 16 * 16, 8 * 8, 4 * 4, 1, 1};
  for (std::size_t l = 0; l < 6; ++l) {
    EXPECT_EQ(m.layers[l].rows, rows[l]) << l;
    EXPECT_EQ(m.layers[l].cols, cols[l]) << l;
    EXPECT_EQ(m.layers[l].positions, positions[l]) << l;
    EXPECT_EQ(m.layers[l].conv, l < 4) << l;
  }
  EXPECT_EQ(m.layers[1].row_tiles, 5);   // ceil(576 / 128)
  EXPECT_EQ(m.layers[3].col_tiles, 15);  // ceil(256 / 18)
}

TEST(Mapping, RejectsUnquantizedAndUnmappableModels) {
  snn::Network net = snn::make_nmnist_mlp();
  snn::init_weights(net, 1);
  EXPECT_THROW(map_network(net, ChipConfig{}), std::invalid_argument);  // float weights
  EXPECT_THROW(map_network(testing::small_mlp(1), ChipConfig::from_yaml_text("crossbar: {columns: 6}")), std::invalid_argument);
}

// Linear 4 -> 3, one step: hand-computed cycles and counters.
snn::Network tiny_linear() {
  return testing::tiny_linear_net(1, {1, 2, 2}, 3, {0.5f, -0.25f, 0.0f, 1.0f, 0.125f, 0.5f, -1.0f, 0.0f, 0.25f, 0.25f, 0.25f, 0.25f});
}

TEST(Timing, CyclesAndCountersByHandForOneRead) {
  const auto net = tiny_linear();
  const Accelerator chip(net, ChipConfig{});
  const std::vector<std::uint16_t> input{2, 0, 1, 0};  // two pulses: rows {0, 2} then {0}
  const auto r = chip.run_fast(input);
  // overhead 2 + read (1 issue + 2 pulses x (10 settle + 8 columns per ADC x 1)) + tree 1 level x 1
  // + LIF (1 + ceil(3 / 128)).
  ASSERT_EQ(r.cycles.size(), 1U);
  EXPECT_EQ(r.cycles[0][0], 2U + 37U + 1U + 2U);
  const Counters& c = r.per_layer[0];
  EXPECT_EQ(c.cycles, 42U);
  EXPECT_EQ(c.tile_reads, 2U);                     // 1 tile x 2 pulses
  EXPECT_EQ(c.wordlines, 3U);                      // row 0 twice, row 2 once
  EXPECT_EQ(c.cell_reads, 3U * 3 * 2 * 7);         // active rows x 3 weights x G+/G- x 7 slices
  EXPECT_EQ(c.adc_conversions, 2U * 3 * 2 * 7);    // pulses x used columns
  EXPECT_EQ(c.shift_adds, 2U * 3 * 13);            // 6 shifted slices per array + the subtraction
  EXPECT_EQ(c.adder_adds, 2U * 3);
  EXPECT_EQ(c.lif_updates, 3U);
  EXPECT_EQ(c.buffer_read_bits, 4U * 8);           // input counts are 8-bit
  EXPECT_EQ(c.buffer_write_bits, 4U * 8 + 3);      // input written + output spikes
  EXPECT_EQ(c.decrypt_requests, 0U);
  // The integer partial sums: scale 2^-7 (max 1.0 -> 127 levels); I = 2*w0 + w2.
  const snn::Engine engine(net, snn::EngineKind::Dense);
  EXPECT_EQ(r.counts, engine.run(input));
  // No input: the layer still starts and updates its neurons.
  const auto idle = chip.run_fast(std::vector<std::uint16_t>{0, 0, 0, 0});
  EXPECT_EQ(idle.cycles[0][0], 2U + 0U + 0U + 2U);
  EXPECT_EQ(idle.per_layer[0].cell_reads, 0U);
  // Cycle mode counts the same.
  const auto cyc = chip.run_cycle({input}).front();
  EXPECT_EQ(cyc.cycles, r.cycles);
  EXPECT_EQ(cyc.per_layer[0], c);
}

TEST(Timing, ParametersChangeCyclesAsTheFormulaSays) {
  const auto net = tiny_linear();
  const std::vector<std::uint16_t> input{1, 1, 0, 0};
  const auto cfg = ChipConfig::from_yaml_text(
      "crossbar: {settle_cycles: 3}\nadc: {columns_per_adc: 16, conversion_cycles: 2}\n"
      "controller: {layer_overhead_cycles: 5, adder_cycles_per_level: 4}\nlif: {units: 2}\n"
      "decryption_unit: {impl: none}");
  const Accelerator chip(net, cfg);
  // 5 + (1 + 1 x (3 + 16 x 2)) + 1 x 4 + (1 + ceil(3 / 2))
  EXPECT_EQ(chip.run_fast(input).cycles[0][0], 5U + 36U + 4U + 3U);
  EXPECT_EQ(chip.run_cycle({input}).front().cycles[0][0], 48U);
}

// ---- non-idealities ------------------------------------------------------------------------

ChipConfig nonideal(const std::string& crossbar, const std::string& adc = "") {
  return ChipConfig::from_yaml_text("crossbar: {impl: rram, " + crossbar + "}\n" + (adc.empty() ? "" : "adc: {" + adc + "}\n"));
}

std::vector<std::int32_t> run_counts(const Accelerator& chip, const datasets::FrameSet& frames) {
  RunOptions o;
  o.threads = 2;
  return chip.run(frames, o).spike_counts;
}

TEST(NonIdeal, TinyVariationAndExactSarAdcStayExact) {
  const auto net = testing::small_mlp(11);
  const auto frames = frames_for(net, 5, 0.15, 51);
  const auto want = snn::infer(net, frames).spike_counts;
  // The physical per-column path with sigma 1e-4: every current rounds back to its level.
  EXPECT_EQ(run_counts(Accelerator(net, nonideal("conductance_sigma: 0.0001")), frames), want);
  // A SAR ADC with just enough bits (ceil(log2(128 + 1)) = 8) and no offset is exact.
  EXPECT_EQ(run_counts(Accelerator(net, ChipConfig::from_yaml_text("adc: {impl: sar, bits: 8}")), frames), want);
}

TEST(NonIdeal, EachEffectChangesOutputsAndIsSeeded) {
  const auto net = testing::small_mlp(12);
  const auto frames = frames_for(net, 8, 0.2, 52);
  const auto want = snn::infer(net, frames).spike_counts;
  for (const std::string spec : {"conductance_sigma: 0.6", "stuck_on_rate: 0.05", "stuck_off_rate: 0.3", "read_noise_sigma: 0.4"}) {
    const auto a = run_counts(Accelerator(net, nonideal(spec + ", seed: 3")), frames);
    const auto b = run_counts(Accelerator(net, nonideal(spec + ", seed: 3")), frames);
    const auto c = run_counts(Accelerator(net, nonideal(spec + ", seed: 4")), frames);
    EXPECT_EQ(a, b) << spec << ": same seed, same bits";
    EXPECT_NE(a, want) << spec << ": the effect must be visible";
    EXPECT_NE(a, c) << spec << ": another seed, other draws";
  }
  // Every cell stuck OFF: no current reaches the neurons.
  const auto dead = run_counts(Accelerator(net, nonideal("stuck_off_rate: 1")), frames);
  EXPECT_EQ(std::count(dead.begin(), dead.end(), 0), static_cast<std::ptrdiff_t>(dead.size()));
  // A 3-bit ADC saturates the column sums.
  EXPECT_NE(run_counts(Accelerator(net, ChipConfig::from_yaml_text("adc: {impl: sar, bits: 3}")), frames), want);
  // A common offset that rounds every code up by one cancels in the G+ minus G- difference; one
  // that rounds down is clipped at code 0 on idle columns only, so it does not cancel.
  EXPECT_EQ(run_counts(Accelerator(net, ChipConfig::from_yaml_text("adc: {impl: sar, offset_lsb: 0.6}")), frames), want);
  EXPECT_NE(run_counts(Accelerator(net, ChipConfig::from_yaml_text("adc: {impl: sar, offset_lsb: -0.6}")), frames), want);
}

TEST(NonIdeal, FastEqualsCycleWithEveryEffectOn) {
  const auto net = testing::small_csnn(4);
  const auto frames = frames_for(net, 2, 0.2, 53);
  const Accelerator chip(net, ChipConfig::from_yaml_text(
                                  "crossbar: {impl: rram, rows: 16, columns: 35, conductance_sigma: 0.2, stuck_on_rate: 0.01, "
                                  "stuck_off_rate: 0.01, read_noise_sigma: 0.05, seed: 9}\n"
                                  "adc: {impl: sar, bits: 5, offset_lsb: 0.2, columns_per_adc: 4}\ndecryption_unit: {lanes: 2}"));
  const auto cyc = chip.run_cycle({frames.sample(0), frames.sample(1)});
  for (std::size_t i = 0; i < 2; ++i) {
    const auto fast = chip.run_fast(frames.sample(i), i);
    EXPECT_EQ(cyc[i].counts, fast.counts);
    EXPECT_EQ(cyc[i].cycles, fast.cycles);
    for (std::size_t l = 0; l < fast.per_layer.size(); ++l) EXPECT_EQ(cyc[i].per_layer[l], fast.per_layer[l]);
  }
}

// ---- config registry -----------------------------------------------------------------------

using snngx::testing::error_of;

TEST(ChipConfigTest, DefaultConfigFileEqualsBuiltInDefaultsAndCitesEveryTechnologyNumber) {
  const auto path = std::filesystem::path(SNNGX_SOURCE_DIR) / "configs" / "chip.yaml";
  const ChipConfig file = ChipConfig::load(path), def;
  const auto jf = file.to_json(), jd = def.to_json();
  for (const auto& kind : component_kinds()) {
    EXPECT_EQ(jf[kind]["impl"], jd[kind]["impl"]) << kind;
    for (const auto& [name, v] : jd[kind].items()) {
      if (name == "impl") continue;
      const auto value = [](const nlohmann::json& x) { return x.is_object() ? x["value"].get<double>() : x.get<double>(); };
      EXPECT_DOUBLE_EQ(value(jf[kind][name]), value(v)) << kind << "." << name;
    }
  }
  for (const char* kind : {"technology", "aes_engine"})
    for (const auto& [name, v] : jf[kind].items()) {
      if (name == "impl") continue;
      ASSERT_TRUE(v.is_object()) << kind << "." << name << " has no source";
      EXPECT_GT(v["source"].get<std::string>().size(), 10U) << kind << "." << name;
    }
}

TEST(ChipConfigTest, ErrorsNameFileComponentAndParameter) {
  EXPECT_NE(error_of([] { (void)ChipConfig::from_yaml_text("crosbar: {rows: 4}", "f.yaml"); }).find("f.yaml: unknown component 'crosbar'"),
            std::string::npos);
  const auto e1 = error_of([] { (void)ChipConfig::from_yaml_text("crossbar: {rowz: 4}", "f.yaml"); });
  EXPECT_NE(e1.find("f.yaml: crossbar.rowz: not a parameter"), std::string::npos) << e1;
  const auto e2 = error_of([] { (void)ChipConfig::from_yaml_text("adc: {bits: 40}", "f.yaml"); });
  EXPECT_NE(e2.find("f.yaml: adc.bits: 40 bits is out of range"), std::string::npos) << e2;
  const auto e3 = error_of([] { (void)ChipConfig::from_yaml_text("lif: {units: 2.5}", "f.yaml"); });
  EXPECT_NE(e3.find("lif.units: must be an integer"), std::string::npos) << e3;
  const auto e4 = error_of([] { (void)ChipConfig::from_yaml_text("adc: {impl: flash}", "f.yaml"); });
  EXPECT_NE(e4.find("adc.impl: unknown implementation 'flash'"), std::string::npos) << e4;
  // conductance_sigma belongs to the rram crossbar only.
  const auto e5 = error_of([] { (void)ChipConfig::from_yaml_text("crossbar: {conductance_sigma: 0.1}", "f.yaml"); });
  EXPECT_NE(e5.find("crossbar.conductance_sigma: not a parameter of crossbar 'ideal'"), std::string::npos) << e5;
  EXPECT_NE(error_of([] { (void)ChipConfig::load("/nonexistent/chip.yaml"); }).find("/nonexistent/chip.yaml"), std::string::npos);
}

TEST(ChipConfigTest, SetSwitchesImplementationKeepingSharedValues) {
  ChipConfig c;
  c.set("crossbar.rows", "64");
  c.set("crossbar.impl", "rram");
  EXPECT_EQ(c.impl("crossbar"), "rram");
  EXPECT_EQ(c.get_int("crossbar", "rows"), 64);
  EXPECT_DOUBLE_EQ(c.get("crossbar", "conductance_sigma"), 0.0);
  c.set("crossbar.conductance_sigma", "0.25");
  EXPECT_DOUBLE_EQ(c.get("crossbar", "conductance_sigma"), 0.25);
  EXPECT_THROW(c.set("crossbar.rows", "abc"), std::invalid_argument);
  EXPECT_THROW(c.set("rows", "4"), std::invalid_argument);
  // JSON is YAML: the same document loads.
  const auto j = ChipConfig::from_yaml_text(R"({"adc": {"impl": "sar", "bits": 6}})");
  EXPECT_EQ(j.get_int("adc", "bits"), 6);
  EXPECT_NE(ChipConfig::describe_all().find("conductance_sigma"), std::string::npos);
}

}  // namespace
}  // namespace snngx::rram
