// Energy, latency and area from event counters and the technology table; the AES comparison.
#include "snngx/rram/costs.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "snngx/crypto/aes_baseline.hpp"
#include "snngx/rram/components/aes_engine.hpp"
#include "snngx/rram/components/shift_add.hpp"
#include "snngx/rram/components/technology.hpp"

namespace snngx::rram {

namespace {
enum Component { kCrossbar, kWordline, kAdc, kShiftAdd, kAdderTree, kLif, kBuffers, kUnit, kKeyStore, kComponents };

double ratio(double a, double b) { return b > 0.0 ? a / b : 0.0; }
}  // namespace

const std::vector<std::string>& energy_components() {
  static const std::vector<std::string> names{"crossbar", "wordline_drivers", "adc",          "shift_add", "adder_tree",
                                              "lif",      "buffers",          "decryption_unit", "key_store"};
  return names;
}

double LayerCost::energy_total_pj() const { return std::accumulate(energy_pj.begin(), energy_pj.end(), 0.0); }

double AesComparison::energy_reduction() const { return key_entries ? ratio(aes_energy_pj, snngx_energy_pj()) : 0.0; }
double AesComparison::latency_reduction() const { return key_entries ? ratio(aes_latency_us, snngx_latency_us()) : 0.0; }

nlohmann::json AesComparison::to_json() const {
  return {{"engine", engine},
          {"weight_bytes", weight_bytes},
          {"aes_blocks", aes_blocks},
          {"aes_energy_pj", aes_energy_pj},
          {"aes_latency_us", aes_latency_us},
          {"key_entries", key_entries},
          {"key_rows", key_rows},
          {"key_load_energy_pj", key_load_energy_pj},
          {"key_load_latency_us", key_load_latency_us},
          {"unit_energy_per_inference_pj", unit_energy_per_inference_pj},
          {"snngx_energy_pj", snngx_energy_pj()},
          {"snngx_latency_us", snngx_latency_us()},
          {"added_cycles_per_inference", added_cycles_per_inference},
          {"energy_reduction", energy_reduction()},
          {"latency_reduction", latency_reduction()},
          {"paper_energy_reduction_range", {59, 6780}},
          {"paper_latency_reduction_range", {175, 4250}}};
}

std::vector<double> CostReport::energy_by_component_pj() const {
  std::vector<double> e(energy_components().size(), 0.0);
  for (const auto& l : layers)
    for (std::size_t c = 0; c < e.size(); ++c) e[c] += l.energy_pj[c];
  return e;
}
double CostReport::energy_per_inference_pj() const {
  double e = 0.0;
  for (const auto& l : layers) e += l.energy_total_pj();
  return e;
}
double CostReport::cycles_per_inference() const {
  double c = 0.0;
  for (const auto& l : layers) c += l.cycles;
  return c;
}
double CostReport::latency_per_inference_us() const { return cycles_per_inference() / clock_mhz; }
double CostReport::area_total_mm2() const {
  double a = 0.0;
  for (const auto& [name, mm2] : area_mm2) a += mm2;
  return a;
}
double CostReport::unit_area_share() const {
  double a = 0.0;
  for (const auto& [name, mm2] : area_mm2)
    if (name == "decryption_unit" || name == "key_store") a += mm2;
  return ratio(a, area_total_mm2());
}
double CostReport::unit_energy_share() const {
  const auto by = energy_by_component_pj();
  return ratio(by[kUnit] + by[kKeyStore], energy_per_inference_pj());
}

nlohmann::json CostReport::to_json() const {
  nlohmann::json j{{"samples", samples},
                   {"clock_mhz", clock_mhz},
                   {"adc_bits", adc_bits},
                   {"energy_per_inference_pj", energy_per_inference_pj()},
                   {"cycles_per_inference", cycles_per_inference()},
                   {"latency_per_inference_us", latency_per_inference_us()},
                   {"area_mm2", area_total_mm2()},
                   {"added_cycles_per_inference", added_cycles_per_inference},
                   {"decryption_unit_area_share", unit_area_share()},
                   {"decryption_unit_energy_share", unit_energy_share()}};
  const auto& names = energy_components();
  const auto by = energy_by_component_pj();
  for (std::size_t c = 0; c < names.size(); ++c) j["energy_by_component_pj"][names[c]] = by[c];
  j["layers"] = nlohmann::json::array();
  for (const auto& l : layers) {
    nlohmann::json lj{{"name", l.name}, {"cycles", l.cycles}, {"latency_us", l.latency_us}, {"energy_pj", l.energy_total_pj()}};
    for (std::size_t c = 0; c < names.size(); ++c) lj["energy_by_component_pj"][names[c]] = l.energy_pj[c];
    j["layers"].push_back(lj);
  }
  for (const auto& [name, mm2] : area_mm2) j["area_by_component_mm2"][name] = mm2;
  j["aes_comparison"] = nlohmann::json::array();
  for (const auto& a : aes) j["aes_comparison"].push_back(a.to_json());
  return j;
}

std::string CostReport::table() const {
  const auto& names = energy_components();
  std::string out = fmt::format("Energy per inference (nJ) by layer and component, {} samples, {:g} MHz, {}-bit ADCs\n", samples,
                                clock_mhz, adc_bits);
  // Every column as wide as its name (never cut), at least 11 characters.
  std::vector<std::size_t> width;
  for (const auto& n : names) width.push_back(std::max<std::size_t>(11, n.size()));
  std::size_t layer_width = 10;
  for (const auto& l : layers) layer_width = std::max(layer_width, l.name.find(' ') == std::string::npos ? l.name.size() : l.name.find(' '));
  out += fmt::format("{:<{}}", "layer", layer_width);
  for (std::size_t i = 0; i < names.size(); ++i) out += fmt::format(" {:>{}}", names[i], width[i]);
  out += fmt::format(" {:>11} {:>12} {:>11}\n", "total", "cycles", "latency_us");
  auto row = [&](const std::string& name, const std::vector<double>& e, double cycles) {
    out += fmt::format("{:<{}}", name, layer_width);
    for (std::size_t i = 0; i < e.size(); ++i) out += fmt::format(" {:>{}.4g}", e[i] * 1e-3, i < width.size() ? width[i] : 11);
    out += fmt::format(" {:>11.4g} {:>12.0f} {:>11.4g}\n", std::accumulate(e.begin(), e.end(), 0.0) * 1e-3, cycles, cycles / clock_mhz);
  };
  for (const auto& l : layers) row(l.name.substr(0, l.name.find(' ')), l.energy_pj, l.cycles);
  row("total", energy_by_component_pj(), cycles_per_inference());
  out += fmt::format("Area: {:.4f} mm2 (", area_total_mm2());
  for (std::size_t i = 0; i < area_mm2.size(); ++i)
    out += fmt::format("{}{} {:.4f}", i ? ", " : "", area_mm2[i].first, area_mm2[i].second);
  out += ")\n";
  out += fmt::format("Decryption unit + key store: {:.2f} % of the area, {:.3f} % of the energy per inference; added cycles "
                     "per inference: {:g}\n",
                     100.0 * unit_area_share(), 100.0 * unit_energy_share(), added_cycles_per_inference);
  for (const auto& a : aes) {
    out += fmt::format(
        "vs full-weight AES ({}): AES {} blocks ({} weight bytes) {:.4g} nJ, {:.4g} us; SNNGX {} key entries in {} key-SRAM "
        "words: load {:.4g} nJ + engines {:.4g} nJ/inference, {:.4g} us",
        a.engine, a.aes_blocks, a.weight_bytes, a.aes_energy_pj * 1e-3, a.aes_latency_us, a.key_entries, a.key_rows,
        a.key_load_energy_pj * 1e-3, a.unit_energy_per_inference_pj * 1e-3, a.snngx_latency_us());
    if (a.key_entries > 0)
      out += fmt::format("; reduction: energy x{:.4g}, latency x{:.4g} (paper: x59 - x6780, x175 - x4250)\n", a.energy_reduction(),
                         a.latency_reduction());
    else
      out += "; no key loaded (nothing to decrypt on the SNNGX side)\n";
  }
  return out;
}

namespace {
// One design point of the AES baseline.
AesComparison aes_point(const AesEngine& engine, std::uint64_t blocks) {
  AesComparison a;
  a.engine = engine.name();
  a.aes_blocks = blocks;
  a.aes_energy_pj = static_cast<double>(blocks) * engine.energy_per_block_pj();
  a.aes_latency_us =
      blocks ? engine.latency_ns() * 1e-3 + static_cast<double>(blocks - 1) * 128.0 / engine.throughput_mbps() : 0.0;
  return a;
}
}  // namespace

CostReport estimate_costs(const Accelerator& chip, std::span<const Counters> per_layer, std::size_t samples) {
  const Mapping& map = chip.mapping();
  if (per_layer.size() != map.layers.size())
    throw std::invalid_argument("estimate_costs: " + std::to_string(per_layer.size()) + " layer counters for a chip with " +
                                std::to_string(map.layers.size()) + " weighted layers");
  const ChipConfig& cfg = chip.config();
  const auto technology = make_component<ITechnology>(cfg);
  const TechnologyNumbers& t = technology->numbers();
  CostReport r;
  r.samples = samples;
  r.clock_mhz = cfg.get("controller", "clock_mhz");
  r.adc_bits = chip.adc_bits();
  const double per = samples > 0 ? 1.0 / static_cast<double>(samples) : 0.0;
  const double adc_pj = technology->adc_energy_pj(r.adc_bits);
  const bool has_unit = chip.decryption_unit() != "none";
  for (std::size_t l = 0; l < per_layer.size(); ++l) {
    const Counters& c = per_layer[l];
    auto n = [&](std::uint64_t v) { return static_cast<double>(v) * per; };
    LayerCost lc;
    lc.name = map.layers[l].name;
    lc.energy_pj.assign(kComponents, 0.0);
    lc.energy_pj[kCrossbar] = n(c.cell_reads) * t.cell_read_fj * 1e-3;
    lc.energy_pj[kWordline] = n(c.wordlines) * t.wordline_fj * 1e-3;
    lc.energy_pj[kAdc] = n(c.adc_conversions) * adc_pj;
    lc.energy_pj[kShiftAdd] = n(c.shift_adds) * t.shift_add_pj;
    lc.energy_pj[kAdderTree] = n(c.adder_adds) * t.adder_pj;
    lc.energy_pj[kLif] = n(c.lif_updates) * t.lif_pj + n(c.neuron_adds) * t.fp32_add_pj;
    lc.energy_pj[kBuffers] = n(c.buffer_read_bits + c.buffer_write_bits) * t.buffer_pj_per_bit;
    // Engines: the active-row mask latched per request, the sum stage (one add per column per
    // word read) and the accumulate stage (one add per column per work cycle); the key SRAM reads.
    const double cols = static_cast<double>(chip.engine_params().cols);
    const double word_bits = cols * DecryptionParams::corr_bits;
    lc.energy_pj[kUnit] = n(c.decrypt_requests) * chip.engine_params().rows * t.buffer_pj_per_bit +
                          (n(c.key_row_reads) + n(c.decrypt_cycles)) * cols * t.decrypt_add_pj;
    lc.energy_pj[kKeyStore] = n(c.key_row_reads) * word_bits * t.key_read_pj_per_bit;
    lc.cycles = n(c.cycles);
    lc.latency_us = lc.cycles / r.clock_mhz;
    r.layers.push_back(std::move(lc));
  }

  // Area: every tile is a G+ and a G- array with its ADCs and shift-add units; LIF units per
  // layer; spike buffers sized for the largest activation of each layer; the key stores.
  const int R = map.tile_rows, C = map.tile_cols, cpa = cfg.get_int("adc", "columns_per_adc");
  const double arrays = 2.0 * map.tiles();
  const double adcs = arrays * std::ceil(static_cast<double>(C) / cpa);
  const double shift_adds = adcs * make_component<IShiftAdd>(cfg)->units_per_adc();
  const snn::Network& net = chip.stored_model();
  const auto shapes = net.layer_output_shapes();
  double buffer_bits = 0.0;
  for (std::size_t l = 0; l < map.layers.size(); ++l) {
    const std::size_t li = map.layers[l].layer_index;
    const double in = static_cast<double>(snn::numel(li == 0 ? net.input_shape : shapes[li - 1]));
    buffer_bits += in * (l == 0 ? cfg.get("buffer", "input_bits") : 1.0);
  }
  buffer_bits += static_cast<double>(net.num_classes);
  // One neuron unit per mapping that updates neurons (a recurrent layer's feed-forward half has none).
  const auto neuron_units = std::count_if(map.layers.begin(), map.layers.end(), [](const LayerMapping& m) { return m.fires; });
  r.area_mm2 = {{"crossbar", arrays * t.crossbar_mm2 * R * C / (128.0 * 128.0)},
                {"adc", adcs * t.adc_mm2},
                {"shift_add", shift_adds * t.shift_add_mm2},
                {"lif", static_cast<double>(neuron_units) * cfg.get("lif", "units") * t.lif_mm2},
                {"buffers", buffer_bits / 8192.0 * t.buffer_mm2_per_kb}};
  if (has_unit) {  // the engine pool: synthesized logic (rtl/synth) and the cited key-SRAM density
    const double engines = cfg.get("decryption_unit", "engines");
    r.area_mm2.emplace_back("decryption_unit", engines * t.engine_mm2);
    r.area_mm2.emplace_back("key_store",
                            engines * static_cast<double>(chip.engine_params().sram_bits()) * t.key_sram_um2_per_bit * 1e-6);
  }

  // The comparison with full-weight AES decryption, for every AES design point.
  std::vector<std::uint64_t> layer_bytes;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) layer_bytes.push_back(net.weights(l).quant->weight_bits.size());
  const std::uint64_t blocks = crypto::aes_blocks_for_layers(layer_bytes, crypto::AesMode::Ctr);
  // The configured engine (with the config's numbers), then every other registered design point.
  std::vector<std::unique_ptr<AesEngine>> engines;
  engines.push_back(make_component<AesEngine>(cfg));
  for (const auto& impl : registry<AesEngine>().names())
    if (impl != engines.front()->name()) engines.push_back(make_default_aes_engine(impl));
  double added = 0.0;
  for (const auto& c : per_layer) added += static_cast<double>(c.added_cycles) * per;
  r.added_cycles_per_inference = added;
  const auto by = r.energy_by_component_pj();
  for (const auto& engine : engines) {
    AesComparison a = aes_point(*engine, blocks);
    a.weight_bytes = std::accumulate(layer_bytes.begin(), layer_bytes.end(), std::uint64_t{0});
    a.key_entries = chip.key_entry_count();
    a.key_rows = chip.key_rows_loaded();
    a.key_load_energy_pj = static_cast<double>(a.key_rows) * chip.engine_params().cols * DecryptionParams::corr_bits *
                           t.key_write_pj_per_bit;
    a.key_load_latency_us = static_cast<double>(chip.key_load_cycles()) / r.clock_mhz;
    a.unit_energy_per_inference_pj = by[kUnit] + by[kKeyStore];
    a.added_cycles_per_inference = added;
    a.clock_mhz = r.clock_mhz;
    r.aes.push_back(std::move(a));
  }
  return r;
}

}  // namespace snngx::rram
