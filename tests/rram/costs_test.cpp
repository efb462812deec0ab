// Costs: counters x cited technology numbers, per layer and component; area; the comparison
// with full-weight AES decryption, all checked against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>

#include "snngx/rram/costs.hpp"
#include "test_nets.hpp"

namespace snngx::rram {
namespace {

TEST(Costs, EnergyPerComponentIsCountersTimesTechnologyNumbers) {
  const auto net = testing::small_mlp(1);
  const Accelerator chip(net, ChipConfig{});
  std::vector<Counters> per_layer(2);
  Counters& c = per_layer[0];
  c.cell_reads = 2000, c.wordlines = 40, c.adc_conversions = 300, c.shift_adds = 100, c.adder_adds = 50;
  c.lif_updates = 80, c.buffer_read_bits = 30, c.buffer_write_bits = 10, c.decrypt_requests = 6;
  c.key_row_reads = 8, c.decrypt_cycles = 4, c.corrections = 30;
  c.cycles = 1000;
  per_layer[1].cycles = 200;
  const CostReport r = estimate_costs(chip, per_layer, 2);  // two samples: halve everything
  ASSERT_EQ(r.layers.size(), 2U);
  const auto& e = r.layers[0].energy_pj;
  ASSERT_EQ(e.size(), energy_components().size());
  EXPECT_DOUBLE_EQ(e[0], 1000 * 1.83e-3);           // crossbar: cell reads x 1.83 fJ
  EXPECT_DOUBLE_EQ(e[1], 20 * 0.390);               // wordline drivers 390 fJ
  EXPECT_DOUBLE_EQ(e[2], 150 * 1.56);               // 8-bit ADC (exact for 128 rows) 1.56 pJ
  EXPECT_DOUBLE_EQ(e[3], 50 * 0.04);                // shift-add
  EXPECT_DOUBLE_EQ(e[4], 25 * 0.1);                 // adder tree
  EXPECT_DOUBLE_EQ(e[5], 40 * 8.4);                 // LIF
  EXPECT_DOUBLE_EQ(e[6], 20 * 0.156);               // buffers, per bit
  // Engines (128 x 18 tiles): the 128-bit active mask latched per request (buffer energy per
  // bit), 18 adds per word read (sum stage) and per work cycle (accumulate stage), 0.05 pJ each.
  EXPECT_DOUBLE_EQ(e[7], 3 * 128 * 0.156 + (4 + 2) * 18 * 0.05);
  EXPECT_DOUBLE_EQ(e[8], 4 * 18 * 9 * 0.156);       // key-SRAM words read: 18 x 9 bits each
  EXPECT_DOUBLE_EQ(r.layers[0].cycles, 500.0);
  EXPECT_DOUBLE_EQ(r.cycles_per_inference(), 600.0);
  EXPECT_DOUBLE_EQ(r.latency_per_inference_us(), 0.6);  // 1 GHz
  EXPECT_DOUBLE_EQ(r.energy_per_inference_pj(), r.layers[0].energy_total_pj());
  EXPECT_EQ(r.adc_bits, 8);
  // A 6-bit ADC costs 2^(6-8) of the 8-bit one.
  const Accelerator six(net, ChipConfig::from_yaml_text("adc: {impl: sar, bits: 6}"));
  EXPECT_DOUBLE_EQ(estimate_costs(six, per_layer, 2).layers[0].energy_pj[2], 150 * 1.56 / 4);
  EXPECT_THROW(estimate_costs(chip, std::span<const Counters>(per_layer.data(), 1), 1), std::invalid_argument);
  const auto j = r.to_json();
  EXPECT_DOUBLE_EQ(j["energy_by_component_pj"]["lif"].get<double>(), 40 * 8.4);
  EXPECT_NE(r.table().find("wordline_dr"), std::string::npos);
}

TEST(Costs, AreaFromTilesAdcsAndKeyStores) {
  const auto net = testing::small_mlp(1);  // 72x40 -> 1 x 3 tiles; 40x5 -> 1 x 1
  const Accelerator chip(net, ChipConfig{});
  const auto r = estimate_costs(chip, std::vector<Counters>(2), 1);
  auto area = [&](const std::string& name) {
    for (const auto& [n, a] : r.area_mm2)
      if (n == name) return a;
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(area("crossbar"), 8 * 0.000025);        // 4 tiles x 2 arrays
  EXPECT_DOUBLE_EQ(area("adc"), 8 * 16 * 0.0012);          // 128 columns / 8 per ADC per array
  const double engine_mm2 = ChipConfig{}.get("technology", "decrypt_engine_area_mm2");
  EXPECT_DOUBLE_EQ(area("decryption_unit"), 16 * engine_mm2);             // the pool of 16 engines
  EXPECT_DOUBLE_EQ(area("key_store"), 16 * 128 * 18 * 9 * 0.128 * 1e-6);  // their key SRAMs: 128 x 18 x 9 bits each
  const Accelerator bare(net, ChipConfig::from_yaml_text("decryption_unit: {impl: none}"));
  EXPECT_DOUBLE_EQ([&] {
    for (const auto& [n, a] : estimate_costs(bare, std::vector<Counters>(2), 1).area_mm2)
      if (n == "decryption_unit") return a;
    return -1.0;
  }(), -1.0);
}

TEST(Costs, AesComparisonByHandForBothEngines) {
  const auto net = testing::small_mlp(2);
  const auto key = testing::random_key(net, 30, 1);
  Accelerator chip(testing::encrypt(net, key), ChipConfig{});
  chip.load_key(key);
  const std::uint64_t entries = chip.key_entry_count(), rows = chip.key_rows_loaded();
  ASSERT_GT(entries, 20U);
  ASSERT_GT(rows, 10U);
  std::vector<Counters> per_layer(2);
  per_layer[0].key_row_reads = 10;
  per_layer[0].decrypt_requests = 2;
  per_layer[1].added_cycles = 6;
  const auto report = estimate_costs(chip, per_layer, 2);
  ASSERT_EQ(report.aes.size(), 2U);
  EXPECT_DOUBLE_EQ(report.added_cycles_per_inference, 3.0);
  const auto& a = report.aes[0];
  EXPECT_EQ(a.engine, "lowpower");
  EXPECT_EQ(a.weight_bytes, 72U * 40 + 40 * 5);
  EXPECT_EQ(a.aes_blocks, 180U + 13U);  // ceil(2880/16) + ceil(200/16), AES-CTR per layer
  EXPECT_DOUBLE_EQ(a.aes_energy_pj, 193 * 192.0);
  EXPECT_DOUBLE_EQ(a.aes_latency_us, 4260e-3 + 192 * 128 / 30.05);
  EXPECT_EQ(a.key_entries, entries);
  EXPECT_EQ(a.key_rows, rows);
  EXPECT_DOUBLE_EQ(a.key_load_energy_pj, static_cast<double>(rows) * 18 * 9 * 0.156);
  EXPECT_DOUBLE_EQ(a.key_load_latency_us, static_cast<double>(rows) / 1000.0);
  EXPECT_DOUBLE_EQ(a.unit_energy_per_inference_pj, 1 * 128 * 0.156 + 5 * 18 * 0.05 + 5 * 18 * 9 * 0.156);
  EXPECT_DOUBLE_EQ(a.snngx_latency_us(), a.key_load_latency_us + 3.0 / 1000.0);
  EXPECT_DOUBLE_EQ(a.energy_reduction(), a.aes_energy_pj / (a.key_load_energy_pj + a.unit_energy_per_inference_pj));
  EXPECT_DOUBLE_EQ(a.latency_reduction(), a.aes_latency_us / a.snngx_latency_us());
  const auto& b = report.aes[1];
  EXPECT_EQ(b.engine, "pipelined");
  EXPECT_DOUBLE_EQ(b.aes_energy_pj, 193 * 302.0);
  EXPECT_DOUBLE_EQ(b.aes_latency_us, 5.2e-3 + 192 * 128 / 53000.0);
  EXPECT_DOUBLE_EQ(b.snngx_energy_pj(), a.snngx_energy_pj());
  // The configured engine comes first.
  const Accelerator fast(testing::encrypt(net, key), ChipConfig::from_yaml_text("aes_engine: {impl: pipelined}"));
  EXPECT_EQ(estimate_costs(fast, per_layer, 1).aes.front().engine, "pipelined");
}

}  // namespace
}  // namespace snngx::rram
