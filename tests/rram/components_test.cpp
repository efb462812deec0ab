// The chip components behind their interfaces: every built-in implementation by name, the
// behaviours by hand, custom implementations registered here and selected by name in a config
// (outputs and cycles computed by hand on a tiny network, in both modes), unknown names.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "snngx/rram/accelerator.hpp"
#include "snngx/rram/components/all.hpp"
#include "snngx/snn/quantize.hpp"
#include "test_nets.hpp"
#include "error_of.hpp"

namespace snngx::rram {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

using snngx::testing::error_of;

ChipConfig with_impl(const std::string& kind, const std::string& impl) {
  ChipConfig c;
  c.set(kind + ".impl", impl);
  return c;
}

template <class Interface>
void expect_builds_by_name(const std::string& impl) {
  const std::string kind = ComponentTraits<Interface>::kind;
  EXPECT_TRUE(contains(registry<Interface>().names(), impl)) << kind << " " << impl;
  const auto specs = implementations(kind);
  EXPECT_TRUE(std::any_of(specs.begin(), specs.end(), [&](const ImplSpec* s) { return s->impl == impl; })) << kind << " " << impl;
  const auto built = make_component<Interface>(with_impl(kind, impl));
  ASSERT_NE(built, nullptr) << kind << " " << impl;
  EXPECT_EQ(built->name(), impl);
}

template <class Interface>
void expect_specs_match_factories() {
  const std::string kind = ComponentTraits<Interface>::kind;
  const auto factories = registry<Interface>().names();
  std::vector<std::string> specs;
  for (const ImplSpec* s : implementations(kind)) specs.push_back(s->impl);
  for (const auto& n : specs) EXPECT_TRUE(contains(factories, n)) << kind << " " << n;
  for (const auto& n : factories) EXPECT_TRUE(contains(specs, n)) << kind << " " << n;
}

TEST(Components, EveryBuiltInImplementationIsBuiltByNameAndRegistered) {
  expect_builds_by_name<ICrossbar>("ideal");
  expect_builds_by_name<ICrossbar>("rram");
  expect_builds_by_name<IAdc>("ideal");
  expect_builds_by_name<IAdc>("sar");
  expect_builds_by_name<IAdc>("gain_error");
  expect_builds_by_name<ILifUnit>("float32");
  expect_builds_by_name<ISpikeBuffer>("sram");
  expect_builds_by_name<Controller>("sequential");
  const auto units = registry<IDecryptionUnit>().names();
  EXPECT_TRUE(contains(units, "behavioural"));
  EXPECT_TRUE(contains(units, "none"));
  EXPECT_EQ(registry<IDecryptionUnit>().make("behavioural", {})->name(), "behavioural");
  EXPECT_EQ(registry<IDecryptionUnit>().make("none", {}), nullptr);
  // Every implementation a config can select has a factory (and the reverse).
  expect_specs_match_factories<ICrossbar>();
  expect_specs_match_factories<IAdc>();
  expect_specs_match_factories<ILifUnit>();
  expect_specs_match_factories<ISpikeBuffer>();
  expect_specs_match_factories<Controller>();
  expect_specs_match_factories<IDecryptionUnit>();
}

TEST(Components, CrossbarReadsBitSlicesIntoDifferentialColumnsByHand) {
  auto xbar = make_component<ICrossbar>(ChipConfig{});
  ASSERT_EQ(xbar->slices(), 7);
  // Rows x cols = 2 x 2: w = [[5, -3], [0, 127]].
  const std::vector<std::int16_t> w{5, -3, 0, 127};
  xbar->program(0, 2, 2, w);
  EXPECT_TRUE(xbar->exact());
  std::vector<double> cur(2 * 2 * 7, -1.0);
  const std::vector<ActiveRow> rows{{0, 1}, {1, 2}};
  xbar->read(TileRead{0, 0, 2, 0, 0, 0}, rows, cur);  // pulse 2: only row 1 (count 2) is driven
  // [column][G+, G-][slice]: 0 -> nothing; 127 -> all seven G+ slices of column 1.
  std::vector<double> want(28, 0.0);
  for (int s = 0; s < 7; ++s) want[static_cast<std::size_t>(14 + s)] = 1.0;
  EXPECT_EQ(cur, want);
  xbar->read(TileRead{0, 0, 1, 0, 0, 0}, rows, cur);  // pulse 1: both rows
  want[0] = want[2] = 1.0;                           // 5 = 0b101: G+ of column 0, slices 0 and 2
  want[21] = want[22] = 1.0;                         // -3 = 0b11: G- of column 1, slices 0 and 1
  EXPECT_EQ(cur, want);
  std::vector<std::int64_t> acc{100, 100};
  xbar->accumulate(0, rows, acc);
  EXPECT_EQ(acc, (std::vector<std::int64_t>{100 + 5, 100 - 3 + 2 * 127}));
  // The rram crossbar with a stuck-OFF rate of 1: every cell reads 0.
  auto dead = make_component<ICrossbar>(ChipConfig::from_yaml_text("crossbar: {impl: rram, stuck_off_rate: 1}"));
  EXPECT_FALSE(dead->exact());
  dead->program(0, 2, 2, w);
  dead->read(TileRead{0, 0, 1, 0, 0, 0}, rows, cur);
  EXPECT_EQ(cur, std::vector<double>(28, 0.0));
}

TEST(Components, AdcLifBufferAndControllerByHand) {
  const auto ideal = make_component<IAdc>(ChipConfig{});
  EXPECT_EQ(ideal->bits(), 8);  // ceil(log2(128 + 1))
  EXPECT_TRUE(ideal->lossless());
  EXPECT_EQ(ideal->convert_one(300.6), 301);  // never saturates
  const auto sar = make_component<IAdc>(ChipConfig::from_yaml_text("adc: {impl: sar, bits: 3, offset_lsb: 0.6}"));
  EXPECT_FALSE(sar->lossless());
  const std::vector<double> in{-2.0, 0.3, 6.3, 100.0};
  std::vector<std::int64_t> codes(4);
  sar->convert(in, codes);
  EXPECT_EQ(codes, (std::vector<std::int64_t>{0, 1, 7, 7}));  // round(x + 0.6) clipped to 0..7
  EXPECT_TRUE(make_component<IAdc>(ChipConfig::from_yaml_text("adc: {impl: sar}"))->lossless());
  // The gain-error ADC (added as one entry in adc.cpp): round(x * 1.1) clipped to 0..15; the ADC's
  // exact resolution follows the crossbar geometry the chip passes (64 rows of 2-bit cells: 8 bits).
  const auto gain = make_component<IAdc>(ChipConfig::from_yaml_text("adc: {impl: gain_error, bits: 4, gain_error: 0.1}"));
  EXPECT_FALSE(gain->lossless());
  gain->convert(in, codes);
  EXPECT_EQ(codes, (std::vector<std::int64_t>{0, 0, 7, 15}));  // -2.2 -> 0, 0.33 -> 0, 6.93 -> 7, 110 -> 15
  EXPECT_TRUE(make_component<IAdc>(ChipConfig::from_yaml_text("adc: {impl: gain_error}"))->lossless());
  EXPECT_EQ(make_component<IAdc>(ChipConfig::from_yaml_text("crossbar: {rows: 64, bits_per_cell: 2}"))->bits(), 8);  // 64*3+1
  EXPECT_EQ(impl_declaring("adc", "gain_error"), "gain_error");

  // LIF: v = v*0.5*(1-s) + psum*0.25, threshold 1; neurons n = column * 2 + position.
  const auto lif = make_component<ILifUnit>(ChipConfig{});
  const NeuronLayer layer{0.25f, 0.5f, 1.0f, 2, 2};
  const std::vector<std::int64_t> psum{4, 8, 2, 0};  // [position][column]
  std::vector<float> v{1.0f, 2.0f, 3.0f, 1.0f}, s{1.0f, 0.0f, 0.0f, 0.0f};
  lif->step(layer, psum, 1, 4, v, s);  // neuron 0 untouched
  EXPECT_EQ(v, (std::vector<float>{1.0f, 1.0f + 0.5f, 1.5f + 2.0f, 0.5f + 0.0f}));
  EXPECT_EQ(s, (std::vector<float>{1.0f, 1.0f, 1.0f, 0.0f}));

  auto buffer = make_component<ISpikeBuffer>(ChipConfig::from_yaml_text("buffer: {input_bits: 5}"));
  EXPECT_EQ(buffer->bits(10, true), 50U);
  EXPECT_EQ(buffer->bits(10, false), 10U);
  const std::vector<float> act{0.0f, 1.0f};
  buffer->write(act);
  std::vector<float> back;
  buffer->read(back);
  EXPECT_EQ(back, act);

  const auto ctrl = make_component<Controller>(
      ChipConfig::from_yaml_text("controller: {layer_overhead_cycles: 3, adder_cycles_per_level: 2, clock_mhz: 500}"));
  EXPECT_DOUBLE_EQ(ctrl->clock_mhz(), 500.0);
  const std::vector<int> pulses{1, 2};
  // 3 + (1 + 1 x 18) + (1 + 2 x 18) + 2 levels x 2 + 1 + ceil(10 / 4)
  EXPECT_EQ(ctrl->layer_cycles(LayerTiming{18, 2, 10, 4}, pulses), 3U + 19U + 37U + 4U + 1U + 3U);
  EXPECT_EQ(ctrl->layer_cycles(LayerTiming{18, 2, 10, 4}, {}), 3U + 1U + 3U);  // no read: no tree
}

// ---- custom implementations, selected by name --------------------------------------------

// An ADC with gain 2: every code is twice the exact one, so every partial sum doubles.
class Gain2Adc final : public IAdc {
 public:
  explicit Gain2Adc(const ComponentInputs& in) : inner_(registry<IAdc>().make("ideal", in)) {}
  [[nodiscard]] std::string name() const override { return "gain2"; }
  [[nodiscard]] int columns_per_adc() const override { return inner_->columns_per_adc(); }
  [[nodiscard]] int conversion_cycles() const override { return inner_->conversion_cycles(); }
  [[nodiscard]] int bits() const override { return inner_->bits(); }
  [[nodiscard]] bool lossless() const override { return false; }
  void convert(std::span<const double> currents, std::span<std::int64_t> codes) const override {
    inner_->convert(currents, codes);
    for (auto& c : codes) c *= 2;
  }

 private:
  std::unique_ptr<IAdc> inner_;
};

// A crossbar whose wordline 1 is broken: row 1 of every layer conducts nothing.
class DropRow1Crossbar final : public ICrossbar {
 public:
  explicit DropRow1Crossbar(const ComponentInputs& in) : inner_(registry<ICrossbar>().make("ideal", in)) {}
  [[nodiscard]] std::string name() const override { return "drop_row1"; }
  [[nodiscard]] int settle_cycles() const override { return inner_->settle_cycles(); }
  [[nodiscard]] int bits_per_cell() const override { return inner_->bits_per_cell(); }
  [[nodiscard]] bool exact() const override { return inner_->exact(); }
  void program(std::size_t layer, int rows, int cols, std::span<const std::int16_t> weights) override {
    std::vector<std::int16_t> w(weights.begin(), weights.end());
    if (rows > 1) std::fill_n(w.begin() + cols, cols, std::int16_t{0});
    inner_->program(layer, rows, cols, w);
  }
  void accumulate(std::size_t layer, std::span<const ActiveRow> rows, std::span<std::int64_t> acc) const override {
    inner_->accumulate(layer, rows, acc);
  }
  void read(const TileRead& read, std::span<const ActiveRow> rows, std::span<double> currents) const override {
    inner_->read(read, rows, currents);
  }

 private:
  std::unique_ptr<ICrossbar> inner_;
};

void register_test_components() {
  register_component<IAdc>(derived_spec<IAdc>("ideal", "gain2", "test: an ADC with gain 2"), factory_of<IAdc, Gain2Adc>());
  register_component<ICrossbar>(derived_spec<ICrossbar>("ideal", "drop_row1", "test: wordline 1 broken"),
                                factory_of<ICrossbar, DropRow1Crossbar>());
}

// Input [1,1,2] (both pixels spike every step) -> Linear 2 -> 3 -> LIF, 4 steps. Quantized with
// step 2^-6: w = [[64, -16], [8, 8], [4, 4]], so the partial sums are 48, 16, 8.
snn::Network tiny_net() { return testing::tiny_linear_net(4, {1, 1, 2}, 3, {1.0f, -0.25f, 0.125f, 0.125f, 0.0625f, 0.0625f}); }

struct TinyRun {
  std::vector<std::int32_t> counts;
  std::uint64_t cycles_per_step = 0;
};

// Runs the tiny net in both modes and requires them to agree.
TinyRun run_tiny(const std::string& yaml) {
  const Accelerator chip(tiny_net(), ChipConfig::from_yaml_text(yaml, "test.yaml"));
  const std::vector<std::uint16_t> input(8, 1);
  const auto fast = chip.run_fast(input);
  const auto cycle = chip.run_cycle({input}).front();
  EXPECT_EQ(fast.counts, cycle.counts) << yaml;
  EXPECT_EQ(fast.cycles, cycle.cycles) << yaml;
  EXPECT_EQ(fast.per_layer, cycle.per_layer) << yaml;
  for (const auto& step : fast.cycles) EXPECT_EQ(step, fast.cycles.front()) << yaml;
  return {fast.counts, fast.cycles.front().front()};
}

TEST(Components, CustomImplementationsSelectedByNameChangeOutputsAsComputedByHand) {
  register_test_components();
  EXPECT_NE(ChipConfig::describe_all().find("adc: impl gain2 - test: an ADC with gain 2"), std::string::npos);
  // LIF with decay 0.3, threshold 0.3, I = psum / 64 every step: I > 0.3 spikes every step; I =
  // 0.25 spikes every second step (0.25, 0.325, 0.25, 0.325); I <= 0.125 never (v -> I / 0.7).
  // Cycles per step: 2 start + (1 + 1 pulse x (10 settle + 8 conversions)) + 1 tree level + 1 + 1 LIF.
  const TinyRun plain = run_tiny("");
  EXPECT_EQ(plain.counts, (std::vector<std::int32_t>{4, 2, 0}));  // psums 48, 16, 8
  EXPECT_EQ(plain.cycles_per_step, 24U);
  // Gain 2: psums 96, 32, 16 -> I = 1.5, 0.5, 0.25.
  EXPECT_EQ(run_tiny("adc: {impl: gain2}").counts, (std::vector<std::int32_t>{4, 4, 2}));
  // Row 1 dropped: psums 64, 8, 4.
  EXPECT_EQ(run_tiny("crossbar: {impl: drop_row1}").counts, (std::vector<std::int32_t>{4, 0, 0}));
  // Both: psums 128, 16, 8.
  EXPECT_EQ(run_tiny("crossbar: {impl: drop_row1}\nadc: {impl: gain2}").counts, (std::vector<std::int32_t>{4, 2, 0}));
  // 12 start cycles instead of 2 (the controller's schedule is fixed, its parameters are not);
  // outputs unchanged.
  const TinyRun slow = run_tiny("controller: {layer_overhead_cycles: 12}");
  EXPECT_EQ(slow.counts, plain.counts);
  EXPECT_EQ(slow.cycles_per_step, 34U);
  // A registered variant keeps its base's parameters (and their validation).
  EXPECT_NE(error_of([] { (void)ChipConfig::from_yaml_text("adc: {impl: gain2, offset_lsb: 1}", "f.yaml"); })
                .find("f.yaml: adc.offset_lsb: not a parameter of adc 'gain2'"),
            std::string::npos);
}

// ---- wordline drivers, shift-add, adder tree, frame interface, key store, technology ----------

TEST(Components, NewBuiltInsAreBuiltByNameListedAndInTheDefaultChipFile) {
  expect_builds_by_name<IWordlineDriver>("pulse");
  expect_builds_by_name<IShiftAdd>("digital");
  expect_builds_by_name<IAdderTree>("binary");
  expect_builds_by_name<IFrameInterface>("counts");
  expect_builds_by_name<IKeyStore>("sram");
  expect_builds_by_name<ITechnology>("table");
  expect_specs_match_factories<IWordlineDriver>();
  expect_specs_match_factories<IShiftAdd>();
  expect_specs_match_factories<IAdderTree>();
  expect_specs_match_factories<IFrameInterface>();
  expect_specs_match_factories<IKeyStore>();
  expect_specs_match_factories<ITechnology>();
  const std::string listed = ChipConfig::describe_all();
  for (const char* line : {"wordline: impl pulse (default)", "    issue_cycles = 1 cycles", "shift_add: impl digital (default)",
                           "    units_per_adc = 1 units", "adder_tree: impl binary (default)", "    merge_stages = 1 levels",
                           "io: impl counts (default)", "    count_bits = 16 bits", "key_store: impl sram (default)",
                           "    load_cycles_per_row = 1 cycles", "technology: impl table (default)"})
    EXPECT_NE(listed.find(line), std::string::npos) << line;
  // configs/chip.yaml spells every component out (equal values: ChipConfigTest).
  std::ifstream in(std::filesystem::path(SNNGX_SOURCE_DIR) / "configs" / "chip.yaml");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (const auto& kind : component_kinds()) EXPECT_NE(text.find("\n" + kind + ":\n  impl: "), std::string::npos) << kind;
  // --sweep switches to the implementation that declares the swept parameter.
  EXPECT_EQ(impl_declaring("crossbar", "conductance_sigma"), "rram");
  EXPECT_EQ(impl_declaring("adc", "offset_lsb"), "sar");
  EXPECT_EQ(impl_declaring("adc", "bits"), "ideal");
  EXPECT_EQ(impl_declaring("adc", "no_such_parameter"), "");
}

TEST(Components, WordlineShiftAddAdderTreeIoKeyStoreAndTechnologyByHand) {
  const auto driver = make_component<IWordlineDriver>(ChipConfig::from_yaml_text("wordline: {issue_cycles: 3}"));
  EXPECT_EQ(driver->issue_cycles(), 3);
  std::vector<ActiveRow> rows{{0, 3}, {5, 1}};
  driver->drive(rows);  // pulses = the input value
  EXPECT_EQ(rows[0].count, 3);
  EXPECT_EQ(rows[1].count, 1);

  // 1-bit cells, 7 slices; codes [column][G+, G-][slice]: column 0 = G+ 0b101 = 5; column 1 =
  // G+ 2 x 2^6 minus G- 0b11 = 128 - 3.
  std::vector<std::int64_t> codes(2 * 2 * 7, 0);
  codes[0] = codes[2] = 1;
  codes[14 + 6] = 2;
  codes[21] = codes[22] = 1;
  std::vector<std::int64_t> acc{10, 10};
  make_component<IShiftAdd>(ChipConfig{})->combine(codes, acc);
  EXPECT_EQ(acc, (std::vector<std::int64_t>{15, 135}));
  // 2-bit cells, 4 slices weighing 1, 4, 16, 64: G+ (3, 1, 0, 2) = 3 + 4 + 128; G- (0, 0, 1, 0) = 16.
  const auto sa2 = make_component<IShiftAdd>(ChipConfig::from_yaml_text("crossbar: {bits_per_cell: 2}"));
  EXPECT_TRUE(sa2->exact());
  const std::vector<std::int64_t> codes2{3, 1, 0, 2, 0, 0, 1, 0};
  std::vector<std::int64_t> acc2{0};
  sa2->combine(codes2, acc2);
  EXPECT_EQ(acc2.front(), 135 - 16);

  const auto tree = make_component<IAdderTree>(ChipConfig{});
  EXPECT_EQ(tree->levels(1), 1);  // ceil(log2(n)) + 1 merge stage
  EXPECT_EQ(tree->levels(2), 2);
  EXPECT_EQ(tree->levels(3), 3);
  EXPECT_EQ(tree->levels(4), 3);
  EXPECT_EQ(tree->levels(5), 4);
  EXPECT_EQ(make_component<IAdderTree>(ChipConfig::from_yaml_text("adder_tree: {merge_stages: 0}"))->levels(8), 3);

  const auto io = make_component<IFrameInterface>(ChipConfig::from_yaml_text("io: {count_bits: 2}"));
  const std::vector<std::uint16_t> frame{0, 3, 65535};
  std::vector<float> act{9.0f};
  io->load(frame, act);
  EXPECT_EQ(act, (std::vector<float>{0.0f, 3.0f, 65535.0f}));
  std::vector<std::int32_t> counts{3, 0, 1};
  const std::vector<float> spikes{1.0f, 1.0f, 0.0f};
  io->count(spikes, counts);
  EXPECT_EQ(counts, (std::vector<std::int32_t>{3, 1, 1}));  // saturates at 2^2 - 1

  // 300 x 20 layer on 128-row tiles of 18 columns (2 column tiles): tile = row / 128 * 2 + col / 18,
  // entries in the tile's own coordinates.
  const auto store = make_component<IKeyStore>(ChipConfig::from_yaml_text("key_store: {load_cycles_per_row: 3}"));
  const TileGrid grid{"L0 linear", 300, 20, 128, 18, 2};
  const std::vector<KeyEntry> key{{0, 0, 2}, {129, 17, -4}, {129, 18, 6}, {299, 19, 8}};
  const auto tiles = store->partition(grid, key);
  ASSERT_EQ(tiles.size(), 4U);
  EXPECT_EQ(tiles.at(0), (std::vector<KeyEntry>{{0, 0, 2}}));
  EXPECT_EQ(tiles.at(2), (std::vector<KeyEntry>{{1, 17, -4}}));
  EXPECT_EQ(tiles.at(3), (std::vector<KeyEntry>{{1, 0, 6}}));
  EXPECT_EQ(tiles.at(5), (std::vector<KeyEntry>{{43, 1, 8}}));
  EXPECT_EQ(store->load_cycles(7), 21U);
  const std::vector<KeyEntry> outside{{300, 0, 2}};
  EXPECT_EQ(error_of([&] { (void)store->partition(grid, outside); }), "key store: entry (300, 0) outside layer L0 linear");

  const auto tech = make_component<ITechnology>(ChipConfig::from_yaml_text("technology: {adc_energy_pj: 2, adc_ref_bits: 6}"));
  EXPECT_DOUBLE_EQ(tech->numbers().cell_read_fj, 1.83);
  EXPECT_DOUBLE_EQ(tech->numbers().key_sram_um2_per_bit, 0.128);
  EXPECT_DOUBLE_EQ(tech->adc_energy_pj(6), 2.0);
  EXPECT_DOUBLE_EQ(tech->adc_energy_pj(8), 8.0);  // x 2 per bit
  EXPECT_DOUBLE_EQ(tech->adc_energy_pj(5), 1.0);
}

// Wordline drivers that issue one pulse per active row whatever its count (multi-level inputs
// are read as spikes).
class SinglePulseDriver final : public IWordlineDriver {
 public:
  explicit SinglePulseDriver(const ComponentInputs& in) : issue_(in.own.get_int("issue_cycles")) {}
  [[nodiscard]] std::string name() const override { return "single_pulse"; }
  [[nodiscard]] int issue_cycles() const override { return issue_; }
  void drive(std::span<ActiveRow> rows) const override {
    for (auto& a : rows) a.count = std::min(a.count, 1);
  }

 private:
  int issue_;
};

// An adder tree of 5 levels whatever the row tiles.
class FiveLevelTree final : public IAdderTree {
 public:
  explicit FiveLevelTree(const ComponentInputs& /*in*/) {}
  [[nodiscard]] std::string name() const override { return "five_levels"; }
  [[nodiscard]] int levels(int /*row_tiles*/) const override { return 5; }
};

// A shift-add that drops the most significant slice (bit 6 of 1-bit cells).
class DropMsbShiftAdd final : public IShiftAdd {
 public:
  explicit DropMsbShiftAdd(const ComponentInputs& in) : inner_(registry<IShiftAdd>().make("digital", in)) {}
  [[nodiscard]] std::string name() const override { return "drop_msb"; }
  [[nodiscard]] int units_per_adc() const override { return inner_->units_per_adc(); }
  [[nodiscard]] bool exact() const override { return false; }
  void combine(std::span<const std::int64_t> codes, std::span<std::int64_t> acc) const override {
    std::vector<std::int64_t> kept(codes.begin(), codes.end());
    for (std::size_t c = 6; c < kept.size(); c += 7) kept[c] = 0;
    inner_->combine(kept, acc);
  }

 private:
  std::unique_ptr<IShiftAdd> inner_;
};

void register_new_test_components() {
  register_component<IWordlineDriver>(derived_spec<IWordlineDriver>("pulse", "single_pulse", "test: one pulse per active row"),
                                      factory_of<IWordlineDriver, SinglePulseDriver>());
  register_component<IAdderTree>(ImplSpec{"adder_tree", "five_levels", "test: always 5 levels", {}},
                                 factory_of<IAdderTree, FiveLevelTree>());
  register_component<IShiftAdd>(derived_spec<IShiftAdd>("digital", "drop_msb", "test: slice 6 ignored"),
                                factory_of<IShiftAdd, DropMsbShiftAdd>());
}

// The tiny net on input (3, 1) every step, both modes agreeing; returns counts, cycles of one
// step and the wordline activations of the run.
struct CountRun {
  std::vector<std::int32_t> counts;
  std::uint64_t cycles_per_step = 0, wordlines = 0;
};
CountRun run_tiny_counts(const std::string& yaml) {
  const Accelerator chip(tiny_net(), ChipConfig::from_yaml_text(yaml, "test.yaml"));
  const std::vector<std::uint16_t> input{3, 1, 3, 1, 3, 1, 3, 1};
  const auto fast = chip.run_fast(input);
  const auto cycle = chip.run_cycle({input}).front();
  EXPECT_EQ(fast.counts, cycle.counts) << yaml;
  EXPECT_EQ(fast.cycles, cycle.cycles) << yaml;
  EXPECT_EQ(fast.per_layer, cycle.per_layer) << yaml;
  return {fast.counts, fast.cycles.front().front(), fast.total().wordlines};
}

TEST(Components, NewCustomImplementationsSelectedByNameChangeOutputsAndCyclesByHand) {
  register_new_test_components();
  // Input (3, 1): psums 3 x 64 - 16 = 176, 3 x 8 + 8 = 32, 3 x 4 + 4 = 16 -> I = 2.75, 0.5, 0.25:
  // spikes every step, every step, every second step. Cycles per step: 2 start + (1 issue + 3
  // pulses x 18) + 1 tree level + 1 + 1 LIF; wordlines 3 + 1 per step.
  const CountRun plain = run_tiny_counts("");
  EXPECT_EQ(plain.counts, (std::vector<std::int32_t>{4, 4, 2}));
  EXPECT_EQ(plain.cycles_per_step, 2U + 55U + 1U + 1U + 1U);
  EXPECT_EQ(plain.wordlines, 16U);
  // One pulse per row: the input reads as (1, 1), psums 48, 16, 8 (the tiny test above), 1 pulse.
  const CountRun single = run_tiny_counts("wordline: {impl: single_pulse}");
  EXPECT_EQ(single.counts, (std::vector<std::int32_t>{4, 2, 0}));
  EXPECT_EQ(single.cycles_per_step, 24U);
  EXPECT_EQ(single.wordlines, 8U);
  // Three issue cycles per read instead of one.
  EXPECT_EQ(run_tiny_counts("wordline: {impl: single_pulse, issue_cycles: 3}").cycles_per_step, 26U);
  EXPECT_EQ(run_tiny_counts("wordline: {issue_cycles: 3}").cycles_per_step, 62U);
  // Five tree levels instead of one (x 2 cycles per level); the binary tree with 3 merge stages.
  const CountRun tree = run_tiny_counts("adder_tree: {impl: five_levels}");
  EXPECT_EQ(tree.counts, plain.counts);
  EXPECT_EQ(tree.cycles_per_step, 60U - 1U + 5U);
  EXPECT_EQ(run_tiny_counts("adder_tree: {impl: five_levels}\ncontroller: {adder_cycles_per_level: 2}").cycles_per_step,
            60U - 1U + 10U);
  EXPECT_EQ(run_tiny_counts("adder_tree: {merge_stages: 3}").cycles_per_step, 60U - 1U + 3U);
  // Slice 6 dropped (the per-column path): 64 -> 0, so psums 3 x 0 - 16, 32, 16 -> I < 0, 0.5, 0.25.
  const CountRun msb = run_tiny_counts("shift_add: {impl: drop_msb}");
  EXPECT_EQ(msb.counts, (std::vector<std::int32_t>{0, 4, 2}));
  EXPECT_EQ(msb.cycles_per_step, plain.cycles_per_step);
  // 1-bit output counters saturate at 1.
  EXPECT_EQ(run_tiny_counts("io: {count_bits: 1}").counts, (std::vector<std::int32_t>{1, 1, 1}));
}

TEST(Components, UnknownImplementationNamesAreOneClearError) {
  const auto e1 = error_of([] { (void)ChipConfig::from_yaml_text("adc: {impl: flash}", "f.yaml"); });
  EXPECT_EQ(e1.rfind("f.yaml: adc.impl: unknown implementation 'flash' (known: ", 0), 0U) << e1;
  EXPECT_NE(e1.find("ideal"), std::string::npos) << e1;
  EXPECT_NE(e1.find("sar"), std::string::npos) << e1;
  EXPECT_EQ(e1.find('\n'), std::string::npos) << e1;
  const ChipConfig defaults;
  const auto e2 = error_of([&] {
    (void)registry<ICrossbar>().make("memristor", ComponentInputs{defaults.component("crossbar"), defaults.crossbar_geometry()});
  });
  EXPECT_EQ(e2.rfind("crossbar.impl: unknown implementation 'memristor' (known: ", 0), 0U) << e2;
  EXPECT_NE(e2.find("ideal, "), std::string::npos) << e2;
  const auto e3 = error_of([] { (void)make_decryption_unit("bogus", {}); });
  EXPECT_EQ(e3.rfind("decryption_unit.impl: unknown implementation 'bogus' (known: behavioural", 0), 0U) << e3;
  // A spec of another component is refused; so is a variant of an unknown base.
  EXPECT_THROW(register_component<IAdc>(derived_spec<ILifUnit>("float32", "x", ""), factory_of<IAdc, Gain2Adc>()),
               std::invalid_argument);
  EXPECT_THROW((void)derived_spec<IAdc>("flash", "x", ""), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::rram
