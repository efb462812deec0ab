// The crossbars hold the ENCRYPTED model; the decryption unit makes the chip compute the plain
// model, and the cycles it adds (none when its engines keep up with the read window) are exactly
// counted; without the key (or with a refused one) the chip computes the encrypted model. Plus
// the behavioural engine against the contract, edge by edge, and hand-computed cycle counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <tuple>

#include "snngx/rram/accelerator.hpp"
#include "snngx/rram/components/decryption_unit.hpp"
#include "snngx/rram/decryption_unit.hpp"
#include "snngx/snn/inference.hpp"
#include "test_nets.hpp"
#include "error_of.hpp"

namespace snngx::rram {
namespace {

using testing::frames_for;

ChipConfig with_unit(ChipConfig cfg, const std::string& unit) {
  cfg.set("decryption_unit.impl", unit);
  return cfg;
}

// Checks outputs (plain with the key, encrypted without), and that cycles per [step][layer] and
// every non-decryption counter are the same with the unit on, off (no key) and absent.
void check_decryption(const snn::Network& plain, const crypto::XorKey& key, const ChipConfig& cfg,
                      const datasets::FrameSet& frames, bool cycle_mode, bool expect_zero_added = true) {
  const snn::Network enc = testing::encrypt(plain, key);
  const snn::Engine plain_engine(plain, snn::EngineKind::Event), enc_engine(enc, snn::EngineKind::Event);
  Accelerator keyed(enc, with_unit(cfg, "behavioural"));
  ASSERT_TRUE(keyed.load_key(key));
  ASSERT_GT(keyed.key_entry_count(), 0U);
  const Accelerator unkeyed(enc, with_unit(cfg, "behavioural"));
  const Accelerator no_unit(enc, with_unit(cfg, "none"));
  int differing = 0;
  std::uint64_t requests = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto want_plain = plain_engine.run(frames.sample(i)), want_enc = enc_engine.run(frames.sample(i));
    differing += want_plain != want_enc;
    const auto on = keyed.run_fast(frames.sample(i), i);
    const auto off = unkeyed.run_fast(frames.sample(i), i);
    const auto none = no_unit.run_fast(frames.sample(i), i);
    EXPECT_EQ(on.counts, want_plain) << plain.arch << " sample " << i << ": with the key the chip computes the plain model";
    EXPECT_EQ(off.counts, want_enc) << plain.arch << " sample " << i << ": without the key, the encrypted model";
    EXPECT_EQ(none.counts, want_enc) << plain.arch << " sample " << i;
    // Every layer at every time step: cycles with the unit = cycles of a chip without it fed the
    // same activations (the plain model) + the cycles the unit reports as added.
    const Accelerator plain_no_unit(plain, with_unit(cfg, "none"));
    const auto ref = plain_no_unit.run_fast(frames.sample(i), i);
    for (std::size_t t = 0; t < on.cycles.size(); ++t)
      for (std::size_t l = 0; l < on.cycles[t].size(); ++l)
        EXPECT_EQ(on.cycles[t][l], ref.cycles[t][l] + on.added[t][l]) << plain.arch << " sample " << i << " step " << t << " layer " << l;
    if (expect_zero_added) {
      for (const auto& step : on.added)
        for (const auto a : step) EXPECT_EQ(a, 0U) << plain.arch << " sample " << i << ": the engines must keep up";
    }
    EXPECT_EQ(off.cycles, none.cycles) << plain.arch << " sample " << i << ": unit off vs chip without unit";
    for (std::size_t l = 0; l < on.per_layer.size(); ++l) {
      Counters a = on.per_layer[l], b = ref.per_layer[l];
      requests += a.decrypt_requests;
      EXPECT_EQ(a.cycles, b.cycles + a.added_cycles);
      a.decrypt_requests = a.key_row_reads = a.corrections = a.decrypt_cycles = a.added_cycles = 0;
      a.cycles = b.cycles;
      EXPECT_EQ(a, b) << "layer " << l << ": the unit changes no other event count";
      EXPECT_EQ(off.per_layer[l].decrypt_requests, 0U) << "no key: no requests";
    }
    if (cycle_mode) {
      const auto cyc_on = keyed.run_cycle({frames.sample(i)}, i).front();
      EXPECT_EQ(cyc_on.counts, on.counts);
      EXPECT_EQ(cyc_on.cycles, on.cycles);
      for (std::size_t l = 0; l < on.per_layer.size(); ++l) EXPECT_EQ(cyc_on.per_layer[l], on.per_layer[l]) << "layer " << l;
      EXPECT_EQ(cyc_on.added, on.added);
      const auto cyc_none = Accelerator(plain, with_unit(cfg, "none")).run_cycle({frames.sample(i)}, i).front();
      for (std::size_t t = 0; t < cyc_on.cycles.size(); ++t)
        for (std::size_t l = 0; l < cyc_on.cycles[t].size(); ++l)
          EXPECT_EQ(cyc_on.cycles[t][l], cyc_none.cycles[t][l] + cyc_on.added[t][l]) << "cycle mode: unit on vs no unit";
    }
  }
  EXPECT_GT(requests, 0U) << "the unit must have been exercised";
  EXPECT_GT(differing, 0) << plain.arch << ": the key must change some outputs for the test to mean anything";
}

TEST(Decryption, SmallMlpPlainWithKeyEncryptedWithoutSameCycles) {
  const auto net = testing::small_mlp(7);
  const auto key = testing::random_key(net, 60, 1, /*magnitude_bits=*/true);
  const auto frames = frames_for(net, 4, 0.15, 31);
  check_decryption(net, key, ChipConfig{}, frames, true);
  check_decryption(net, key, testing::small_tiles_config(), frames, true);
}

TEST(Decryption, SmallCsnnPlainWithKeyEncryptedWithoutSameCycles) {
  const auto net = testing::small_csnn(7);
  const auto key = testing::random_key(net, 25, 2);
  const auto frames = frames_for(net, 3, 0.2, 32);
  check_decryption(net, key, ChipConfig{}, frames, true);
  check_decryption(net, key, testing::small_tiles_config(), frames, true);
}

TEST(Decryption, AddedCyclesAreCountedNotHiddenInBothModes) {
  // One lane and a 2-cycle window: the engines cannot keep up, so cycles are added; both modes
  // must count the same ones and still compute the plain model.
  const auto net = testing::small_mlp(11);
  const auto key = testing::random_key(net, 120, 12);
  const auto cfg = ChipConfig::from_yaml_text(
      "crossbar: {settle_cycles: 0}\nadc: {columns_per_adc: 2}\ndecryption_unit: {lanes: 1}");
  check_decryption(net, key, cfg, frames_for(net, 3, 0.3, 36), true, /*expect_zero_added=*/false);
  Accelerator chip(testing::encrypt(net, key), cfg);
  ASSERT_TRUE(chip.load_key(key));
  const auto frames = frames_for(net, 2, 0.3, 37);
  std::uint64_t added = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) added += chip.run_fast(frames.sample(i), i).total().added_cycles;
  EXPECT_GT(added, 0U) << "this configuration must add cycles for the test to mean anything";
}

TEST(Decryption, NmnistMlpEveryLayerAndStep) {
  const auto net = testing::reference_net("nmnist-mlp", 3, 6.0f);
  const auto key = testing::random_key(net, 3000, 3);  // a large key spread over many tiles
  check_decryption(net, key, ChipConfig::from_yaml_text("decryption_unit: {engines: 4096}"), frames_for(net, 2, 0.05, 33), false,
                   false);
}

TEST(Decryption, DvsGestureCsnnEveryLayerAndStep) {
  auto net = testing::reference_net("dvsgesture-csnn", 5, 4.0f);
  net.time_steps = 4;
  const auto key = testing::random_key(net, 2000, 4);
  check_decryption(net, key, ChipConfig::from_yaml_text("decryption_unit: {engines: 4096}"), frames_for(net, 1, 0.05, 34), false,
                   false);
}

TEST(Decryption, RefusedKeyLeavesTheEncryptedModel) {
  const auto net = testing::small_mlp(8);
  const auto key = testing::random_key(net, 60, 5);
  snn::Network enc = testing::encrypt(net, key);
  enc.key_fingerprint = "aa11";
  Accelerator chip(enc, ChipConfig{});
  EXPECT_FALSE(chip.load_key(testing::random_key(net, 60, 6), "bb22"));
  EXPECT_EQ(chip.key_entry_count(), 0U);
  const auto frames = frames_for(net, 3, 0.15, 35);
  const snn::Engine enc_engine(enc, snn::EngineKind::Event);
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(chip.run_fast(frames.sample(i), i).counts, enc_engine.run(frames.sample(i)));
  EXPECT_TRUE(chip.load_key(key, "aa11"));
  EXPECT_GT(chip.key_entry_count(), 0U);
}

TEST(Decryption, KeyEntriesAreSignedMagnitudeCorrections) {
  snn::Network net = testing::small_mlp(9);
  auto& bits = net.weights(0).quant->weight_bits;
  bits[0] = 0x05;           // weight (out 0, in 0) = +5
  bits[72 + 3] = 0x80 | 9;  // weight (out 1, in 3) = -9
  bits[2] = 0x00;           // +0: a flipped sign gives -0, correction 0
  crypto::XorKey key;
  crypto::LayerKey lk;
  lk.layer = 0;
  lk.total_bits = bits.size() * 8;
  lk.positions = {0 * 8 + 0, 2 * 8 + 0, (72 + 3) * 8 + 0, (72 + 3) * 8 + 7};  // + magnitude LSB of weight 75
  key.layers = {lk};
  const snn::Network enc = testing::encrypt(net, key);
  const auto entries = key_entries(enc, key);
  ASSERT_EQ(entries.size(), 2U);
  ASSERT_EQ(entries[0].size(), 3U);
  EXPECT_EQ(entries[0][0], (KeyEntry{0, 0, 10}));   // stored -5, plain +5
  EXPECT_EQ(entries[0][1], (KeyEntry{2, 0, 0}));    // stored -0, plain +0
  EXPECT_EQ(entries[0][2], (KeyEntry{3, 1, -9 - 8}));  // stored +8 (0x08), plain -9
  EXPECT_TRUE(entries[1].empty());
  // The zero correction stores nothing: row 2 is not a keyed row.
  const KeyImage image(DecryptionParams{}, std::vector<KeyEntry>{entries[0][1]});
  EXPECT_EQ(image.keyed_rows(), 0U);
}

TEST(Decryption, KeyTouchingMoreTilesThanEnginesIsRefusedWithTheOption) {
  const auto net = testing::small_mlp(10);  // 72 -> 40 -> 5 on tiles of 18 logical columns: L0 has 3 tiles, L1 one
  const auto key = testing::random_key(net, 200, 7);
  Accelerator four(testing::encrypt(net, key), ChipConfig::from_yaml_text("decryption_unit: {engines: 4}"));
  EXPECT_TRUE(four.load_key(key));
  EXPECT_EQ(four.engines_bound(), 4U);
  Accelerator two(testing::encrypt(net, key), ChipConfig::from_yaml_text("decryption_unit: {engines: 3}"));
  try {
    two.load_key(key);
    FAIL() << "expected a decryption_unit.engines error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "decryption_unit.engines: the key touches 4 crossbar tiles (L0 linear: 3, L1 linear: 1), one engine each, and the "
              "unit has 3 engines (raise decryption_unit.engines)");
  }
  EXPECT_EQ(two.key_entry_count(), 0U) << "all or nothing";
  // A chip without the unit keeps no key, whatever its size.
  Accelerator none(testing::encrypt(net, key), ChipConfig::from_yaml_text("decryption_unit: {impl: none, engines: 1}"));
  EXPECT_NO_THROW(none.load_key(key));
  EXPECT_THROW(Accelerator(net, ChipConfig::from_yaml_text("decryption_unit: {lanes: 0}")), std::invalid_argument);
  EXPECT_THROW(Accelerator(net, ChipConfig::from_yaml_text("decryption_unit: {lanes: 129}")), std::invalid_argument);
  EXPECT_THROW(Accelerator(net, ChipConfig::from_yaml_text("decryption_unit: {engines: 0}")), std::invalid_argument);
  using snngx::testing::error_of;
  EXPECT_EQ(error_of([&] { Accelerator(net, ChipConfig::from_yaml_text("crossbar: {columns: 1024}")); })
                .rfind("crossbar.columns: tiles of 146 logical columns", 0),
            0U);
  EXPECT_EQ(error_of([&] { Accelerator(net, ChipConfig::from_yaml_text("crossbar: {rows: 256}")); }).rfind("crossbar.rows:", 0), 0U);
  EXPECT_NO_THROW(Accelerator(net, ChipConfig::from_yaml_text("crossbar: {rows: 256, columns: 1024}\ndecryption_unit: {impl: none}")));
  EXPECT_THROW(Accelerator(net, ChipConfig::from_yaml_text("controller: {clock_mhz: 0}")), std::invalid_argument);
  EXPECT_THROW(Accelerator(net, ChipConfig::from_yaml_text("controller: {clock_mhz: -1}")), std::invalid_argument);
}

// Hand-computed cycles: one Linear layer 8 -> 2 on one tile, one time step, every input 1
// (one pulse). Window W = settle 0 + 8 columns per ADC x 1 = 8 cycles. One lane: the work is
// the number of active keyed rows, the answer comes response_latency(w) = w + 4 ticks after the
// request, and must be in by tick W - 1 = 7: w <= 3 fits, w = 4 adds exactly 1 cycle, w = 6
// adds 3. Layer cycles without the unit: overhead 2 + issue 1 + 1 pulse x 8 + tree (1 row tile:
// 0 levels + 1 merge stage) 1 + LIF command 1 + ceil(2 / 128) = 1 -> 14.
TEST(Decryption, HandComputedCyclesFitTheWindowThenOneRowTooMany) {
  const std::vector<float> w{0.5f, -0.25f, 0.125f, 0.75f, -0.5f, 0.25f, 1.0f, -0.125f,  // output 0
                             -1.0f, 0.5f,  0.25f,  -0.75f, 0.5f, 0.125f, -0.25f, 0.5f};  // output 1
  const snn::Network plain = testing::tiny_linear_net(1, {8, 1, 1}, 2, w);
  const auto cfg = ChipConfig::from_yaml_text(
      "crossbar: {settle_cycles: 0}\nadc: {columns_per_adc: 8}\ndecryption_unit: {lanes: 1}");
  const std::vector<std::uint16_t> frame(8, 1);
  const auto none = Accelerator(plain, with_unit(cfg, "none")).run_fast(frame, 0);
  ASSERT_EQ(none.cycles.at(0).at(0), 14U);
  for (const auto& [rows, added] : std::vector<std::pair<int, std::uint64_t>>{{0, 0}, {1, 0}, {3, 0}, {4, 1}, {6, 3}}) {
    // Flip the sign of weight (output 0, input r) for the first `rows` inputs: `rows` keyed rows.
    crypto::XorKey key;
    crypto::LayerKey lk;
    lk.layer = 0;
    lk.total_bits = 16 * 8;
    for (int r = 0; r < rows; ++r) lk.positions.push_back(static_cast<std::uint64_t>(r) * 8);
    key.layers = {lk};
    Accelerator chip(testing::encrypt(plain, key), cfg);
    ASSERT_TRUE(chip.load_key(key));
    const auto fast = chip.run_fast(frame, 0);
    const auto cyc = chip.run_cycle({frame}, 0).front();
    EXPECT_EQ(fast.cycles.at(0).at(0), 14U + added) << rows << " keyed rows";
    EXPECT_EQ(fast.added.at(0).at(0), added) << rows << " keyed rows";
    EXPECT_EQ(cyc.cycles, fast.cycles) << rows << " keyed rows, cycle mode";
    EXPECT_EQ(cyc.added, fast.added) << rows << " keyed rows, cycle mode";
    EXPECT_EQ(fast.counts, Accelerator(plain, with_unit(cfg, "none")).run_fast(frame, 0).counts);
    EXPECT_EQ(fast.total().key_row_reads, static_cast<std::uint64_t>(rows));
    EXPECT_EQ(fast.total().decrypt_requests, rows > 0 ? 1U : 0U);
  }
}

// The default chip hides every engine's work in the read window by construction: a pulse's
// work is at most one bank's rows, ceil(128 / 10) = 13, and response_latency(13) = 17 is the
// window's last cycle W - 1 = 18 - 1. The worst case by hand: every weight of a tile keyed and
// every row active.
TEST(Decryption, DefaultChipAddsNoCycleEvenForAFullyKeyedFullyActiveTile) {
  const ChipConfig cfg;
  std::vector<float> w(128 * 18);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = (i % 7 == 0 ? -1.0f : 1.0f) * static_cast<float>(1 + i % 5) / 8.0f;
  const snn::Network plain = testing::tiny_linear_net(2, {128, 1, 1}, 18, w);
  crypto::XorKey key;
  crypto::LayerKey lk;
  lk.layer = 0;
  lk.total_bits = w.size() * 8;
  for (std::uint64_t k = 0; k < w.size(); ++k) lk.positions.push_back(k * 8);  // every sign bit
  key.layers = {lk};
  Accelerator chip(testing::encrypt(plain, key), cfg);
  ASSERT_TRUE(chip.load_key(key));
  EXPECT_EQ(chip.read_window(), 18);
  EXPECT_EQ(chip.engine_params().lanes, 10);
  EXPECT_EQ(response_latency(chip.engine_params().bank_depth()) + 1, chip.read_window());
  const std::vector<std::uint16_t> frames(2 * 128, 1);  // every row active at both steps
  const auto fast = chip.run_fast(frames, 0);
  EXPECT_EQ(fast.total().added_cycles, 0U);
  EXPECT_EQ(fast.total().key_row_reads, 2U * 128);
  EXPECT_EQ(fast.counts, Accelerator(plain, with_unit(cfg, "none")).run_fast(frames, 0).counts);
  // One lane fewer and the same read adds cycles: ceil(128 / 9) = 15 rows, latency 19 -> 2 per pulse.
  Accelerator nine(testing::encrypt(plain, key), ChipConfig::from_yaml_text("decryption_unit: {lanes: 9}"));
  ASSERT_TRUE(nine.load_key(key));
  EXPECT_EQ(nine.run_fast(frames, 0).total().added_cycles, 2U * 2);
}

// The protective keys of the trained default models (docs/results.md: 1,900 sign bits of the
// MLP's output layer, 7,500 of the CSNN's) on the default chip: no added cycle in any layer and
// step, here with reference networks, keys of those sizes in the output layer and busy inputs.
TEST(Decryption, ProtectiveKeySizesOnBothReferenceNetworksAddNoCycle) {
  for (const auto& [arch, flips, steps] : std::vector<std::tuple<std::string, std::size_t, int>>{{"nmnist-mlp", 1900, 15},
                                                                                                  {"dvsgesture-csnn", 7500, 3}}) {
    auto net = testing::reference_net(arch, 21, arch == "nmnist-mlp" ? 6.0f : 4.0f);
    net.time_steps = steps;
    const std::size_t out = net.num_weighted() - 1;
    crypto::XorKey key = testing::random_key(net, flips, 22);
    key.layers.erase(key.layers.begin(), key.layers.begin() + static_cast<std::ptrdiff_t>(out));  // the output layer only
    Accelerator chip(testing::encrypt(net, key), ChipConfig{});
    ASSERT_TRUE(chip.load_key(key));
    EXPECT_LE(chip.engines_bound(), 16U) << arch;
    const auto frames = frames_for(net, 1, 0.3, 23);
    const auto r = chip.run_fast(frames.sample(0), 0);
    EXPECT_GT(r.total().key_row_reads, 0U) << arch << ": the engines must have worked";
    EXPECT_EQ(r.total().added_cycles, 0U) << arch;
  }
}

// ---- the behavioural engine against the contract ---------------------------------------------

CorrectionRequest random_request(std::mt19937_64& rng, const DecryptionParams& p, int one_in) {
  CorrectionRequest r;
  r.active.assign(static_cast<std::size_t>((p.rows + 63) / 64), 0);
  for (int i = 0; i < p.rows; ++i)
    if (rng() % static_cast<std::uint64_t>(one_in) == 0) r.active[static_cast<std::size_t>(i / 64)] |= std::uint64_t{1} << (i % 64);
  return r;
}

std::vector<KeyEntry> random_entries(std::mt19937_64& rng, const DecryptionParams& p, double density) {
  std::vector<KeyEntry> key;
  for (int r = 0; r < p.rows; ++r)
    for (int c = 0; c < p.cols; ++c)
      if (std::uniform_real_distribution<double>(0, 1)(rng) < density) {
        int corr = 0;
        while (corr == 0) corr = static_cast<int>(rng() % 509) - 254;
        key.push_back({static_cast<std::uint16_t>(r), static_cast<std::uint16_t>(c), corr});
      }
  return key;
}

TEST(DecryptionUnit, BehaviouralAnswersTheReferenceAtTheContractLatency) {
  std::mt19937_64 rng(41);
  for (const int lanes : {1, 3, 4, 8}) {
    DecryptionParams p;
    p.rows = 128;
    p.cols = 18;
    p.lanes = lanes;
    const auto unit = make_behavioural_decryption_unit(p);
    for (int trial = 0; trial < 40; ++trial) {
      const auto key = random_entries(rng, p, trial % 4 == 0 ? 0.0 : 0.05 * (trial % 10));
      unit->load_key(key);
      const KeyImage image(p, key);
      const auto request = random_request(rng, p, 1 + trial % 5);
      std::vector<std::int32_t> corr(static_cast<std::size_t>(p.cols), -1);
      // Clocked: the answer arrives exactly response_latency(work) ticks after the request.
      ASSERT_FALSE(unit->tick(&request, corr));
      int ticks = 0;
      bool valid = false;
      while (!valid && ticks < 200) {
        ++ticks;
        valid = unit->tick(nullptr, corr);
      }
      EXPECT_EQ(ticks, response_latency(image.work(request))) << "lanes " << lanes << " trial " << trial;
      EXPECT_EQ(corr, reference_correction(key, p, request));
      EXPECT_FALSE(unit->tick(nullptr, corr)) << "corr_valid is a one-cycle pulse";
      // Transaction level: the same answer and latency.
      std::vector<std::int32_t> direct(corr.size());
      EXPECT_EQ(unit->correct(request, direct), ticks);
      EXPECT_EQ(direct, corr);
    }
  }
}

TEST(DecryptionUnit, WorkIsTheBusiestBankByHand) {
  DecryptionParams p;
  p.rows = 16;
  p.cols = 2;
  p.lanes = 4;  // bank = row % 4
  // Keyed rows 0, 4, 8 (bank 0), 1 (bank 1), 6 (bank 2); row 12 (bank 0) keyed but inactive.
  const std::vector<KeyEntry> key{{0, 0, 3}, {4, 1, -5}, {8, 0, 7}, {1, 1, 2}, {6, 0, -1}, {12, 1, 9}};
  const KeyImage image(p, key);
  EXPECT_EQ(image.keyed_rows(), 6U);
  CorrectionRequest req;
  req.active = {(1U << 0) | (1U << 4) | (1U << 8) | (1U << 1) | (1U << 6) | (1U << 3)};  // row 3 active, not keyed
  EXPECT_EQ(image.work(req), 3);  // bank 0 holds 3 pending rows
  EXPECT_EQ(reference_correction(key, p, req), (std::vector<std::int32_t>{3 + 7 - 1, -5 + 2}));
  const auto unit = make_behavioural_decryption_unit(p);
  unit->load_key(key);
  std::vector<std::int32_t> corr(2);
  EXPECT_EQ(unit->correct(req, corr), 3 + 4);
  EXPECT_EQ(corr, (std::vector<std::int32_t>{9, -3}));
  req.active = {1U << 3};  // nothing keyed is active: the answer 0 after 2 ticks
  EXPECT_EQ(unit->correct(req, corr), 2);
  EXPECT_EQ(corr, (std::vector<std::int32_t>{0, 0}));
}

TEST(DecryptionUnit, WorkEqualsACountPerBankForEveryLaneCount) {
  std::mt19937_64 rng(43);
  for (int lanes = 1; lanes <= 33; ++lanes) {
    DecryptionParams p;
    p.lanes = lanes;
    for (int trial = 0; trial < 20; ++trial) {
      const auto key = random_entries(rng, p, 0.05 * (trial % 8));
      const KeyImage image(p, key);
      const auto req = random_request(rng, p, 1 + trial % 4);
      std::vector<int> per_bank(static_cast<std::size_t>(lanes), 0);
      for (int r = 0; r < p.rows; ++r)
        if (req.row_active(static_cast<std::uint32_t>(r)) && std::any_of(key.begin(), key.end(), [&](const KeyEntry& e) {
              return e.row == r && e.corr != 0;
            }))
          ++per_bank[static_cast<std::size_t>(r % lanes)];
      EXPECT_EQ(image.work(req), *std::max_element(per_bank.begin(), per_bank.end())) << "lanes " << lanes << " trial " << trial;
    }
  }
}

TEST(DecryptionUnit, ContractViolationsAndParameterChecks) {
  DecryptionParams p;
  p.rows = 8;
  p.cols = 2;
  p.lanes = 2;
  const auto unit = make_behavioural_decryption_unit(p);
  unit->load_key(std::vector<KeyEntry>{{1, 1, 4}});
  CorrectionRequest req;
  req.active = {0xFF};
  std::vector<std::int32_t> corr(2);
  unit->tick(&req, corr);
  EXPECT_THROW(unit->tick(&req, corr), std::logic_error) << "a request while busy";
  EXPECT_THROW(unit->load_key(std::vector<KeyEntry>{}), std::logic_error) << "a key load while busy";
  unit->reset();
  EXPECT_NO_THROW(unit->tick(&req, corr)) << "reset empties the pipeline";
  unit->reset();
  EXPECT_THROW(unit->load_key(std::vector<KeyEntry>{{8, 0, 1}}), std::invalid_argument);
  EXPECT_THROW(unit->load_key(std::vector<KeyEntry>{{0, 2, 1}}), std::invalid_argument);
  EXPECT_THROW(unit->load_key(std::vector<KeyEntry>{{0, 0, 256}}), std::invalid_argument);
  EXPECT_THROW(unit->load_key(std::vector<KeyEntry>{{0, 0, 1}, {0, 0, 2}}), std::invalid_argument);
  DecryptionParams bad = p;
  bad.lanes = 0;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  bad.lanes = 9;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  EXPECT_EQ(make_decryption_unit("none", p), nullptr);
  EXPECT_THROW((void)make_decryption_unit("nope", p), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::rram
