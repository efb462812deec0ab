// The crossbars hold the ENCRYPTED model; the decryption unit makes the chip compute the plain
// model with zero added cycles; without the key (or with a refused one) it computes the
// encrypted model. Plus the behavioural unit against the contract, edge by edge.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>

#include "snngx/rram/accelerator.hpp"
#include "snngx/rram/decryption_unit.hpp"
#include "snngx/snn/inference.hpp"
#include "test_nets.hpp"

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
                      const datasets::FrameSet& frames, bool cycle_mode) {
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
    // Zero added latency: every layer at every time step (the unit on may see other spikes than
    // off, so compare on against a keyless chip fed the same activations: the plain model).
    const Accelerator plain_no_unit(plain, with_unit(cfg, "none"));
    const auto ref = plain_no_unit.run_fast(frames.sample(i), i);
    EXPECT_EQ(on.cycles, ref.cycles) << plain.arch << " sample " << i << ": unit on vs chip without unit (same activity)";
    EXPECT_EQ(off.cycles, none.cycles) << plain.arch << " sample " << i << ": unit off vs chip without unit";
    for (std::size_t l = 0; l < on.per_layer.size(); ++l) {
      Counters a = on.per_layer[l], b = ref.per_layer[l];
      requests += a.decrypt_requests;
      a.decrypt_requests = a.key_compares = a.corrections = 0;
      EXPECT_EQ(a, b) << "layer " << l << ": the unit changes no other event count";
      EXPECT_EQ(off.per_layer[l].decrypt_requests, 0U) << "no key: no requests";
    }
    if (cycle_mode) {
      const auto cyc_on = keyed.run_cycle({frames.sample(i)}, i).front();
      EXPECT_EQ(cyc_on.counts, on.counts);
      EXPECT_EQ(cyc_on.cycles, on.cycles);
      for (std::size_t l = 0; l < on.per_layer.size(); ++l) EXPECT_EQ(cyc_on.per_layer[l], on.per_layer[l]) << "layer " << l;
      const auto cyc_none = Accelerator(plain, with_unit(cfg, "none")).run_cycle({frames.sample(i)}, i).front();
      EXPECT_EQ(cyc_on.cycles, cyc_none.cycles) << "cycle mode: unit on vs no unit";
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

TEST(Decryption, NmnistMlpEveryLayerAndStep) {
  const auto net = testing::reference_net("nmnist-mlp", 3, 6.0f);
  const auto key = testing::random_key(net, 3000, 3);  // ~5 % of the weights: a large key
  check_decryption(net, key, ChipConfig::from_yaml_text("decryption_unit: {key_depth: 4096}"), frames_for(net, 2, 0.05, 33), false);
}

TEST(Decryption, DvsGestureCsnnEveryLayerAndStep) {
  auto net = testing::reference_net("dvsgesture-csnn", 5, 4.0f);
  net.time_steps = 4;
  const auto key = testing::random_key(net, 2000, 4);
  check_decryption(net, key, ChipConfig::from_yaml_text("decryption_unit: {key_depth: 4096}"), frames_for(net, 1, 0.05, 34), false);
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
}

TEST(Decryption, KeyStoreOverflowAndUnitLatencyOutsideWindowAreRejected) {
  const auto net = testing::small_mlp(10);
  auto cfg = ChipConfig::from_yaml_text("decryption_unit: {key_depth: 2}");
  Accelerator chip(testing::encrypt(net, testing::random_key(net, 200, 7)), cfg);
  try {
    chip.load_key(testing::random_key(net, 200, 7));
    FAIL() << "expected a key_depth error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("decryption_unit.key_depth"), std::string::npos) << e.what();
  }
  // Window = settle 10 + 8 columns x 1 cycle = 18; 128/7 = 18 columns -> 2 requests of 16 lanes.
  EXPECT_NO_THROW(Accelerator(net, ChipConfig::from_yaml_text("decryption_unit: {latency: 16}")));
  EXPECT_THROW(Accelerator(net, ChipConfig::from_yaml_text("decryption_unit: {latency: 17}")), std::invalid_argument);
  // A chip without the unit has no such constraint.
  EXPECT_NO_THROW(Accelerator(net, ChipConfig::from_yaml_text("decryption_unit: {impl: none, latency: 40}")));
}

// ---- the behavioural unit against the contract ----------------------------------------------

CorrectionRequest random_request(std::mt19937_64& rng, const DecryptionParams& p, std::uint32_t row_base, std::uint32_t col_base) {
  CorrectionRequest r;
  r.row_base = row_base;
  r.col_base = col_base;
  r.active.assign(static_cast<std::size_t>((p.rows + 63) / 64), 0);
  for (int i = 0; i < p.rows; ++i)
    if (rng() % 3 == 0) r.active[static_cast<std::size_t>(i / 64)] |= std::uint64_t{1} << (i % 64);
  return r;
}

std::vector<KeyEntry> random_entries(std::mt19937_64& rng, std::size_t n, int rows, int cols) {
  std::vector<KeyEntry> key;
  for (std::size_t i = 0; i < n; ++i)
    key.push_back({static_cast<std::uint16_t>(rng() % static_cast<std::uint64_t>(rows)),
                   static_cast<std::uint16_t>(rng() % static_cast<std::uint64_t>(cols)),
                   static_cast<std::int32_t>(rng() % 509) - 254});
  return key;
}

TEST(DecryptionUnit, BehaviouralEqualsReferenceEveryEdgeWithExactLatency) {
  std::mt19937_64 rng(41);
  for (const int lat : {1, 2, 5}) {
    DecryptionParams p;
    p.rows = 70;
    p.lanes = 5;
    p.key_depth = 64;
    p.latency = lat;
    auto unit = make_decryption_unit("behavioural", p);
    const auto key = random_entries(rng, 60, 200, 20);  // entries also outside the window
    unit->load_key(key);
    unit->reset();
    std::vector<std::optional<std::vector<std::int32_t>>> expected(200 + static_cast<std::size_t>(lat));
    std::vector<std::int32_t> corr(static_cast<std::size_t>(p.lanes));
    for (std::size_t n = 0; n < expected.size(); ++n) {
      std::optional<CorrectionRequest> req;
      if (n < 200 && rng() % 4 != 0) {
        req = random_request(rng, p, static_cast<std::uint32_t>(rng() % 3) * 70, static_cast<std::uint32_t>(rng() % 4) * 5);
        expected[n + static_cast<std::size_t>(lat)] = reference_correction(key, p, *req);
      }
      const bool valid = unit->tick(req ? &*req : nullptr, corr);
      ASSERT_EQ(valid, expected[n].has_value()) << "edge " << n << " LAT " << lat;
      if (valid) {
        EXPECT_EQ(corr, *expected[n]) << "edge " << n;
      }
    }
  }
}

TEST(DecryptionUnit, ReferenceSumsByHand) {
  DecryptionParams p;
  p.rows = 4;
  p.lanes = 2;
  const std::vector<KeyEntry> key{{5, 3, 10}, {6, 3, -4}, {7, 4, 100}, {5, 5, 1}, {1, 3, 1000}};
  CorrectionRequest r;
  r.row_base = 4;
  r.col_base = 3;
  r.active = {0b0110};  // rows 5 and 6
  EXPECT_EQ(reference_correction(key, p, r), (std::vector<std::int32_t>{6, 0}));
  std::vector<std::int32_t> corr(2);
  auto unit = make_behavioural_decryption_unit(p);
  unit->load_key(key);
  unit->correct(r, corr);
  EXPECT_EQ(corr, (std::vector<std::int32_t>{6, 0}));
  r.active = {0b1110};  // + row 7 -> col 4
  unit->correct(r, corr);
  EXPECT_EQ(corr, (std::vector<std::int32_t>{6, 100}));
  unit->load_key({});  // key_count = 0: no corrections
  unit->correct(r, corr);
  EXPECT_EQ(corr, (std::vector<std::int32_t>{0, 0}));
}

TEST(DecryptionUnit, ResetEmptiesThePipelineButKeepsTheKey) {
  DecryptionParams p;
  p.rows = 4;
  p.lanes = 1;
  p.latency = 3;
  auto unit = make_behavioural_decryption_unit(p);
  const std::vector<KeyEntry> key{{0, 0, 7}};
  unit->load_key(key);
  CorrectionRequest r{0, 0, {1}};
  std::vector<std::int32_t> corr(1);
  EXPECT_FALSE(unit->tick(&r, corr));
  unit->reset();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(unit->tick(nullptr, corr)) << "the request before reset must be gone";
  EXPECT_FALSE(unit->tick(&r, corr));
  EXPECT_FALSE(unit->tick(nullptr, corr));
  EXPECT_FALSE(unit->tick(nullptr, corr));
  EXPECT_TRUE(unit->tick(nullptr, corr));
  EXPECT_EQ(corr[0], 7);
}

TEST(DecryptionUnit, RegistryAndParameterChecks) {
  EXPECT_EQ(make_decryption_unit("none", {}), nullptr);
  const auto names = decryption_unit_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "behavioural"), names.end());
  try {
    (void)make_decryption_unit("bogus", {});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
  }
  DecryptionParams bad;
  bad.latency = 0;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  DecryptionParams small;
  small.key_depth = 1;
  auto unit = make_behavioural_decryption_unit(small);
  const std::vector<KeyEntry> two{{0, 0, 1}, {1, 0, 1}};
  EXPECT_THROW(unit->load_key(two), std::invalid_argument);
  EXPECT_THROW(register_decryption_unit("none", nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::rram
