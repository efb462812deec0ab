// The component registry: every implementation and every parameter, declared once.
#include "snngx/rram/config.hpp"

#include "snngx/rram/components/registry.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace snngx::rram {

namespace {

// Citations of the default technology numbers (full references in docs/accelerator.md).
constexpr const char* kRtlSynth =
    "rtl/synth/flow.sh: yosys 0.23 + OpenSTA, Nangate 45 nm typical, rtl/sv/snngx_decrypt_engine.sv ROWS 128 COLS 18 LANES 10 "
    "at 1 GHz: 21,448 um2, 18,407 cells, 1,025 flip-flops, slack +0.132 ns (docs/rtl.md); key SRAM excluded";
constexpr const char* kIsaac =
    "Shafiee et al., ISAAC, ISCA 2016, Table 6 (32 nm)";
constexpr const char* kHorowitz = "Horowitz, Computing's energy problem, ISSCC 2014 (45 nm)";
constexpr const char* kAes45 =
    "Mathew et al., 53 Gbps native GF((2^4)^2) composite-field AES-encrypt/decrypt accelerator, IEEE JSSC 46(4), 2011 "
    "(45 nm, 1.1 V: 53 Gbps at 2.1 GHz, 125 mW -> 2.36 pJ/bit; latency assumed 11 cycles at 2.1 GHz)";
constexpr const char* kAes28 =
    "A Compact, Lightweight and Low-Cost 8-Bit Datapath AES Circuit for IoT Applications in 28nm CMOS "
    "(TSMC 28 nm, 0.5 V: 213 cycles/block, 1.50 pJ/bit, 30.05 Mbps, 0.0028 mm2)";

ParamSpec P(std::string name, std::string unit, double def, std::string description, double lo = 0.0,
            double hi = 1e300, bool integer = false, std::string source = "") {
  return ParamSpec{std::move(name), std::move(description), std::move(unit), def, lo, hi, integer, std::move(source)};
}
ParamSpec I(std::string name, std::string unit, double def, std::string description, double lo, double hi) {
  return P(std::move(name), std::move(unit), def, std::move(description), lo, hi, true);
}
ParamSpec T(std::string name, std::string unit, double def, std::string description, std::string source) {
  return P(std::move(name), std::move(unit), def, std::move(description), 0.0, 1e300, false, std::move(source));
}

std::vector<ParamSpec> crossbar_common() {
  return {I("rows", "rows", 128, "wordlines per crossbar tile", 1, 65536),
          I("columns", "columns", 128, "bitlines per array (each tile is a G+ and a G- array of rows x columns)", 1, 65536),
          I("bits_per_cell", "bits", 1, "magnitude bits stored per cell (7 magnitude bits are sliced over ceil(7/b) columns)", 1, 7),
          I("settle_cycles", "cycles", 10, "cycles to drive the wordlines and let the bitline currents settle per read pulse "
            "(assumption: 10 ns pulse at 1 GHz)", 0, 1 << 20)};
}

std::vector<ImplSpec>& impl_registry() {
  static std::vector<ImplSpec> r = [] {
    std::vector<ImplSpec> v;
    v.push_back({"crossbar", "ideal", "ideal RRAM cells: conductance = programmed level exactly", crossbar_common()});
    auto rram = crossbar_common();
    rram.push_back(P("conductance_sigma", "1", 0.0, "sigma of the per-cell lognormal conductance variation (0 = off)", 0, 5));
    rram.push_back(P("stuck_on_rate", "1", 0.0, "fraction of cells stuck at the ON (highest) level", 0, 1));
    rram.push_back(P("stuck_off_rate", "1", 0.0, "fraction of cells stuck at the OFF (zero) level", 0, 1));
    rram.push_back(P("read_noise_sigma", "1", 0.0, "relative Gaussian noise of each column current per read (0 = off)", 0, 5));
    rram.push_back(I("seed", "1", 1, "seed of the variation, fault and noise draws", 0, 9.0e15));
    v.push_back({"crossbar", "rram", "RRAM cells with lognormal variation, stuck-at faults and read noise", rram});

    v.push_back({"wordline", "pulse", "wordline drivers: a row is driven on one read pulse per unit of input (a count n: n pulses)",
                 {I("issue_cycles", "cycles", 1, "cycles to latch a read's active rows into the drivers before its first pulse", 1,
                    1 << 16)}});

    std::vector<ParamSpec> adc{
        I("columns_per_adc", "columns", 8, "columns multiplexed onto one ADC", 1, 4096),
        I("conversion_cycles", "cycles", 1, "cycles per conversion (ISAAC: 1.28 GS/s, i.e. one per 1 GHz cycle)", 1, 1 << 16),
        I("bits", "bits", 0, "resolution; 0 = just enough for exact results (ceil(log2(rows*(2^b-1)+1)))", 0, 24)};
    v.push_back({"adc", "ideal", "exact conversion (rounds to the nearest level, never saturates)", adc});
    auto sar = adc;
    sar.push_back(P("offset_lsb", "LSB", 0.0, "input-referred offset added before rounding", -1e6, 1e6));
    v.push_back({"adc", "sar", "finite resolution: rounds, adds an offset and clips to 0..2^bits-1", sar});

    v.push_back({"shift_add", "digital", "exact shift-and-add across the bit slices, then G+ minus G-",
                 {I("units_per_adc", "units", 1, "shift-add units per ADC (area; ISAAC: one per ADC)", 1, 64)}});
    v.push_back({"adder_tree", "binary", "two-input adder tree across row tiles: ceil(log2(row tiles)) + merge_stages levels",
                 {I("merge_stages", "levels", 1,
                    "levels after the two-input ones (the stage that adds the decryption unit's corrections)", 0, 64)}});

    std::vector<ParamSpec> du{
        I("lanes", "rows/cycle", 10, "LANES: key-SRAM banks per engine = keyed rows streamed per cycle (10: any key, any input fits the "
          "18-cycle read window of 128-row tiles)", 1, 128),
        I("engines", "engines", 16, "engines in the pool; each crossbar tile holding key entries is bound to one", 1, 1 << 20)};
    v.push_back({"decryption_unit", "none", "a chip without the SNNGX decryption unit", du});
    v.push_back({"decryption_unit", "behavioural",
                 "pool of row-indexed streaming engines, one per keyed tile (rram/decryption_unit.hpp)", du});

    v.push_back({"key_store", "sram", "trusted key store: one row-indexed key SRAM per engine (ROWS words of COLS corrections)",
                 {I("load_cycles_per_row", "cycles", 1, "cycles to write one key-SRAM word (one row of a tile) at key load", 1,
                    1 << 16)}});

    v.push_back({"lif", "float32", "LIF units with the software's float32 formula v = v*decay*(1-s) + I",
                 {I("units", "neurons", 128, "LIF units per layer (neurons updated per cycle)", 1, 1 << 24)}});
    v.push_back({"controller", "sequential", "walks time steps and layers in order; reads of a layer are pipelined",
                 {P("clock_mhz", "MHz", 1000, "clock frequency (assumption; one ADC conversion per cycle as in ISAAC)", 1, 1e5),
                  I("layer_overhead_cycles", "cycles", 2, "controller cycles to start a layer", 0, 1 << 20),
                  I("adder_cycles_per_level", "cycles", 1, "cycles per level of the adder tree across row tiles", 0, 64)}});
    v.push_back({"buffer", "sram", "spike buffers between layers (1 bit per spike; inputs input_bits per count)",
                 {I("input_bits", "bits", 8, "bits per first-layer event count in the input buffer", 1, 16)}});
    v.push_back({"io", "counts", "frame interface: frames in as event counts, output spike counts per class out",
                 {I("count_bits", "bits", 16, "width of each class's output spike counter (saturates at 2^bits - 1)", 1, 30)}});
    v.push_back({"technology", "table", "energy and area per event (defaults: 22-45 nm published figures)",
                 {T("cell_read_energy_fj", "fJ", 1.83, "energy per cell read with an active wordline",
                    std::string(kIsaac) + ": 128x128 array 0.3 mW, 100 ns read -> 30 pJ / 16384 cells"),
                  T("wordline_energy_fj", "fJ", 390, "wordline driver (1-bit DAC) energy per active row per tile read",
                    std::string(kIsaac) + ": 1024 1-bit DACs 4 mW, 100 ns -> 0.39 pJ"),
                  T("adc_energy_pj", "pJ", 1.56, "ADC energy per conversion at adc_ref_bits (scaled by 2^(bits-ref))",
                    std::string(kIsaac) + ": 8-bit ADC 2 mW at 1.28 GS/s (Kull et al., ISSCC 2013)"),
                  T("adc_ref_bits", "bits", 8, "resolution adc_energy_pj refers to", std::string(kIsaac)),
                  T("shift_add_energy_pj", "pJ", 0.04, "shift-and-add energy per addition",
                    std::string(kIsaac) + ": shift-and-add 0.05 mW per unit at 1.28 GHz"),
                  T("adder_energy_pj", "pJ", 0.1, "32-bit integer addition in the adder tree / decryption unit",
                    std::string(kHorowitz) + ": 32-bit add 0.1 pJ"),
                  T("lif_energy_pj", "pJ", 8.4, "one LIF update: 2 float32 multiplies + add + compare",
                    std::string(kHorowitz) + ": fp32 mult 3.7 pJ, fp32 add 0.9 pJ, compare ~0.1 pJ"),
                  T("buffer_energy_pj_per_bit", "pJ", 0.156, "SRAM buffer read or write energy per bit",
                    std::string(kHorowitz) + ": 8 KB SRAM 64-bit access 10 pJ"),
                  T("key_sram_read_energy_pj_per_bit", "pJ", 0.156, "key SRAM read energy per bit (a word = COLS x 9 bits)",
                    std::string(kHorowitz) + ": 8 KB SRAM 64-bit access 10 pJ"),
                  T("key_sram_write_energy_pj_per_bit", "pJ", 0.156, "key SRAM write energy per bit (key load)",
                    std::string(kHorowitz) + ": 8 KB SRAM 64-bit access 10 pJ"),
                  T("key_sram_area_um2_per_bit", "um2", 0.128, "key SRAM area per bit",
                    std::string(kIsaac) + ": 2 KB input register 0.0021 mm2"),
                  T("decrypt_engine_area_mm2", "mm2", 0.0214481, "one decryption engine's logic without its key SRAM", kRtlSynth),
                  T("decrypt_add_energy_pj", "pJ", 0.05, "one 16-bit addition in a decryption engine (sum and accumulate stages)",
                    std::string(kHorowitz) + ": 32-bit add 0.1 pJ, halved for 16 bits"),
                  T("crossbar_area_mm2", "mm2", 0.000025, "area of one 128x128 array (scaled by cells)",
                    std::string(kIsaac) + ": 8 arrays 0.0002 mm2"),
                  T("adc_area_mm2", "mm2", 0.0012, "area of one ADC", std::string(kIsaac) + ": 8 ADCs 0.0096 mm2"),
                  T("shift_add_area_mm2", "mm2", 0.00006, "area of one shift-and-add unit (one per ADC)",
                    std::string(kIsaac) + ": 4 units 0.00024 mm2"),
                  T("lif_area_mm2", "mm2", 0.0003, "area of one LIF unit (proxy: ISAAC's sigmoid unit)",
                    std::string(kIsaac) + ": 2 sigmoid units 0.0006 mm2"),
                  T("buffer_area_mm2_per_kb", "mm2", 0.0013, "buffer area per KB",
                    std::string(kIsaac) + ": 64 KB eDRAM 0.083 mm2")}});
    // The baseline of the comparison (costs.hpp): an on-chip AES engine decrypting every weight
    // block before use. Two published design points; a config may declare its own numbers.
    auto aes = [](const char* source, double energy, double mbps, double latency_ns, double area, const char* area_source) {
      return std::vector<ParamSpec>{
          T("energy_per_block_pj", "pJ", energy, "energy per 128-bit block", source),
          T("throughput_mbps", "Mbit/s", mbps, "sustained decryption throughput", source),
          T("latency_ns", "ns", latency_ns, "latency of one block through the engine (first block in, first block out)", source),
          T("area_mm2", "mm2", area, "area of the engine", area_source)};
    };
    v.push_back({"aes_engine", "lowpower", "compact 8-bit-datapath AES core (iterative, one block at a time)",
                 aes(kAes28, 192, 30.05, 4260, 0.0028, kAes28)});
    v.push_back({"aes_engine", "pipelined", "high-throughput AES core (composite-field S-boxes, one round per cycle)",
                 aes(kAes45, 302, 53000, 5.2, 0.0, "not used in the comparison (area not taken from the paper)")});
    return v;
  }();
  return r;
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

const std::map<std::string, std::string>& default_impls() {
  static const std::map<std::string, std::string> d{
      {"crossbar", "ideal"},      {"wordline", "pulse"},       {"adc", "ideal"},   {"shift_add", "digital"},
      {"adder_tree", "binary"},   {"decryption_unit", "behavioural"}, {"key_store", "sram"}, {"lif", "float32"},
      {"controller", "sequential"}, {"buffer", "sram"},         {"io", "counts"},   {"technology", "table"},
      {"aes_engine", "lowpower"}};
  return d;
}

const ImplSpec& find_impl(const std::string& kind, const std::string& impl, const std::string& origin) {
  const std::scoped_lock lock(registry_mutex());
  std::string known;
  for (const auto& s : impl_registry()) {
    if (s.component != kind) continue;
    if (s.impl == impl) return s;
    known += (known.empty() ? "" : ", ") + s.impl;
  }
  throw std::invalid_argument(origin + ": " + kind + ".impl: unknown implementation '" + impl + "' (known: " + known + ")");
}

const ParamSpec* find_param(const ImplSpec& spec, const std::string& name) {
  for (const auto& p : spec.params)
    if (p.name == name) return &p;
  return nullptr;
}

std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

const std::vector<std::string>& component_kinds() {
  static const std::vector<std::string> kinds{"crossbar",  "wordline", "adc",    "shift_add",  "adder_tree",
                                              "decryption_unit", "key_store", "lif", "controller", "buffer",
                                              "io",        "technology", "aes_engine"};
  return kinds;
}

std::vector<const ImplSpec*> implementations(const std::string& component) {
  const std::scoped_lock lock(registry_mutex());
  std::vector<const ImplSpec*> out;
  for (const auto& s : impl_registry())
    if (s.component == component) out.push_back(&s);
  return out;
}

void register_impl(ImplSpec spec) {
  const std::scoped_lock lock(registry_mutex());
  auto& r = impl_registry();
  const auto it = std::find_if(r.begin(), r.end(), [&](const ImplSpec& s) { return s.component == spec.component && s.impl == spec.impl; });
  if (it != r.end()) *it = std::move(spec);
  else r.push_back(std::move(spec));
}

std::string impl_declaring(const std::string& component, const std::string& param) {
  for (const ImplSpec* s : implementations(component))
    if (find_param(*s, param)) return s->impl;
  return "";
}

ImplSpec derived_spec(const std::string& component, const std::string& base, std::string impl, std::string description) {
  ImplSpec spec = find_impl(component, base, "derived_spec");
  spec.impl = std::move(impl);
  spec.description = std::move(description);
  return spec;
}

double ComponentConfig::get(const std::string& component, const std::string& name) const {
  const auto it = values.find(name);
  if (it == values.end())
    throw std::invalid_argument(component + "." + name + ": not a parameter of implementation '" + impl + "'");
  return it->second;
}

ChipConfig::ChipConfig() {
  for (const auto& [kind, impl] : default_impls()) set_impl(kind, impl, "<defaults>");
}

void ChipConfig::set_impl(const std::string& kind, const std::string& impl, const std::string& origin) {
  const ImplSpec& spec = find_impl(kind, impl, origin);
  ComponentConfig next;
  next.impl = impl;
  const auto old = components_.find(kind);
  for (const auto& p : spec.params) {
    const bool keep = old != components_.end() && old->second.values.count(p.name);
    next.values[p.name] = keep ? old->second.values.at(p.name) : p.default_value;
    next.sources[p.name] = keep ? old->second.sources.at(p.name) : p.source;
  }
  components_[kind] = std::move(next);
}

void ChipConfig::set_value(const std::string& kind, const std::string& name, double value, const std::string& origin) {
  ComponentConfig& c = components_.at(kind);
  const ImplSpec& spec = find_impl(kind, c.impl, origin);
  const ParamSpec* p = find_param(spec, name);
  if (!p) {
    std::string known;
    for (const auto& q : spec.params) known += (known.empty() ? "" : ", ") + q.name;
    throw std::invalid_argument(origin + ": " + kind + "." + name + ": not a parameter of " + kind + " '" + c.impl +
                                "' (parameters: " + known + ")");
  }
  if (!std::isfinite(value) || value < p->min_value || value > p->max_value)
    throw std::invalid_argument(origin + ": " + kind + "." + name + ": " + format_number(value) + " " + p->unit +
                                " is out of range [" + format_number(p->min_value) + ", " + format_number(p->max_value) + "]");
  if (p->integer && value != std::floor(value))
    throw std::invalid_argument(origin + ": " + kind + "." + name + ": must be an integer, got " + format_number(value));
  c.values[name] = value;
}

const ComponentConfig& ChipConfig::component(const std::string& kind) const {
  const auto it = components_.find(kind);
  if (it == components_.end()) throw std::invalid_argument("chip config: unknown component '" + kind + "'");
  return it->second;
}

ChipConfig ChipConfig::from_yaml_text(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(origin + ": not valid YAML/JSON: " + e.what());
  }
  ChipConfig cfg;
  if (!root || root.IsNull()) return cfg;
  if (!root.IsMap()) throw std::invalid_argument(origin + ": the top level must be a map of components");
  for (const auto& kv : root) {
    const auto kind = kv.first.as<std::string>();
    if (std::find(component_kinds().begin(), component_kinds().end(), kind) == component_kinds().end())
      throw std::invalid_argument(origin + ": unknown component '" + kind + "'");
    const YAML::Node& node = kv.second;
    if (!node.IsMap()) throw std::invalid_argument(origin + ": " + kind + ": must be a map of parameters");
    if (node["impl"]) cfg.set_impl(kind, node["impl"].as<std::string>(), origin);
    for (const auto& pv : node) {
      const auto name = pv.first.as<std::string>();
      if (name == "impl") continue;
      const YAML::Node& v = pv.second;
      double value = 0.0;
      try {
        if (v.IsMap()) {
          if (!v["value"]) throw std::invalid_argument("a {value, source} map needs 'value'");
          value = v["value"].as<double>();
          if (v["source"]) cfg.components_.at(kind).sources[name] = v["source"].as<std::string>();
        } else {
          value = v.as<double>();
        }
      } catch (const YAML::Exception&) {
        throw std::invalid_argument(origin + ": " + kind + "." + name + ": not a number");
      }
      cfg.set_value(kind, name, value, origin);
    }
  }
  return cfg;
}

ChipConfig ChipConfig::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open chip config");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_yaml_text(ss.str(), path.string());
}

void ChipConfig::set(const std::string& dotted_name, const std::string& value) {
  const auto dot = dotted_name.find('.');
  if (dot == std::string::npos)
    throw std::invalid_argument("--sweep/--set: '" + dotted_name + "' must be component.parameter (e.g. crossbar.conductance_sigma)");
  const std::string kind = dotted_name.substr(0, dot), name = dotted_name.substr(dot + 1);
  if (!components_.count(kind)) throw std::invalid_argument("'" + dotted_name + "': unknown component '" + kind + "'");
  if (name == "impl") {
    set_impl(kind, value, "--set");
    return;
  }
  double v = 0.0;
  try {
    std::size_t used = 0;
    v = std::stod(value, &used);
    if (used != value.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    throw std::invalid_argument(dotted_name + ": '" + value + "' is not a number");
  }
  set_value(kind, name, v, "--set");
}

nlohmann::json ChipConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kind : component_kinds()) {
    const auto& c = components_.at(kind);
    nlohmann::json comp{{"impl", c.impl}};
    for (const auto& [name, value] : c.values) {
      const auto& src = c.sources.at(name);
      if (src.empty()) comp[name] = value;
      else comp[name] = {{"value", value}, {"source", src}};
    }
    j[kind] = comp;
  }
  return j;
}

std::string ChipConfig::describe_all() {
  std::ostringstream os;
  for (const auto& kind : component_kinds()) {
    for (const ImplSpec* s : implementations(kind)) {
      os << kind << ": impl " << s->impl << (default_impls().at(kind) == s->impl ? " (default)" : "") << " - "
         << s->description << "\n";
      for (const auto& p : s->params)
        os << "    " << p.name << " = " << format_number(p.default_value) << " " << p.unit << "  " << p.description
           << (p.source.empty() ? "" : " [" + p.source + "]") << "\n";
    }
  }
  return os.str();
}

}  // namespace snngx::rram
