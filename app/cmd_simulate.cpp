// `snngx simulate`: run a model (encrypted or plain) on the RRAM accelerator model with the SNNGX
// decryption unit; accuracy, cycles, latency, energy, area, the AES comparison, the mapping, and
// sweeps of any chip parameter (docs/accelerator.md).
#include <fmt/core.h>

#include <H5Cpp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "model_loading.hpp"
#include "plot.hpp"
#include "report.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/io/output_files.hpp"
#include "snngx/rram/accelerator.hpp"
#include "snngx/rram/costs.hpp"
#include "snngx/rram/latency_map.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"

namespace snngx::app {
namespace {

namespace fs = std::filesystem;

struct SimulateOptions {
  ModelSource model;
  std::string frames, config, mode = "fast", outputs, report_dir, json_path, sweep;
  std::vector<std::string> sets;
  std::size_t limit = 0;
  int threads = 0, trials = 200;
  bool json = false, list_params = false, latency_map = false;
};

// The stored model (what the crossbars hold) and, with --key, the unsealed key for the key store.
struct Loaded {
  snn::Network stored;
  std::optional<crypto::XorKey> key;
  std::string key_fingerprint;
};

Loaded load(const ModelSource& s) {
  Loaded r{snn::load_model(s.path), std::nullopt, ""};
  if (s.key.empty()) {
    if (r.stored.state == snn::ModelState::Encrypted)
      std::fprintf(stderr, "snngx: note: %s is encrypted and no --key was given: the key store stays empty and the chip "
                           "computes the encrypted model\n", s.path.c_str());
    return r;
  }
  keyed::UnsealedKey unsealed = unseal_key_for_model(s, r.stored);
  r.key = std::move(unsealed.key);
  r.key_fingerprint = std::move(unsealed.fingerprint);
  return r;
}

// The ideal ADC converts exactly: its `bits` only scale its energy and area, never the results,
// so asking it for a resolution is refused rather than silently measuring nothing.
void refuse_ideal_adc_bits(const rram::ChipConfig& cfg, const std::string& name, const std::string& option) {
  if (name == "adc.bits" && cfg.component("adc").impl == "ideal" && cfg.component("adc").values.at("bits") != 0)
    throw std::invalid_argument(option + ": the ideal ADC ignores bits (it converts exactly; bits would change only its energy and area); "
                                "add --set adc.impl=sar for a finite-resolution ADC");
}

rram::ChipConfig base_config(const SimulateOptions& o) {
  rram::ChipConfig cfg = o.config.empty() ? rram::ChipConfig{} : rram::ChipConfig::load(o.config);
  for (const auto& s : o.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("--set '" + s + "': expected component.param=value");
    cfg.set(s.substr(0, eq), s.substr(eq + 1), "--set");
  }
  for (const auto& s : o.sets) refuse_ideal_adc_bits(cfg, s.substr(0, s.find('=')), "--set " + s);
  return cfg;
}

// Sets a swept parameter (switching to the implementation that declares it, if need be).
void set_swept(rram::ChipConfig& cfg, const std::string& name, const std::string& value) {
  cfg.set_switching_impl(name, value, "--sweep");
  refuse_ideal_adc_bits(cfg, name, "--sweep " + name + "=" + value);
}

struct Simulation {
  rram::RunResult run;
  rram::CostReport costs;
  nlohmann::json mapping;
  std::string mapping_report, decryption_unit;
  std::size_t key_entries = 0, key_rows = 0, engines_bound = 0;
  bool key_loaded = false;
};

Simulation simulate(const Loaded& m, const rram::ChipConfig& cfg, datasets::FrameSource& frames, const SimulateOptions& o,
                    const std::string& label) {
  rram::Accelerator chip(m.stored, cfg);
  Simulation s;
  if (m.key) {
    s.key_loaded = chip.load_key(*m.key, m.key_fingerprint);
    if (!s.key_loaded) throw std::runtime_error(o.model.key + ": the key store refused the key (fingerprint mismatch)");
  }
  s.key_entries = chip.key_entry_count();
  s.key_rows = chip.key_rows_loaded();
  s.engines_bound = chip.engines_bound();
  s.decryption_unit = chip.decryption_unit();
  Progress bar(label, o.limit > 0 ? std::min(o.limit, frames.size()) : frames.size());
  rram::RunOptions ro;
  ro.mode = rram::parse_mode(o.mode);
  ro.threads = o.threads;
  ro.limit = o.limit;
  ro.progress = [&](std::size_t done, std::size_t) { bar.update(done); };
  s.run = chip.run(frames, ro);  // streamed in batches: memory O(batch + model)
  bar.finish();
  s.costs = rram::estimate_costs(chip, s.run);
  s.mapping = chip.mapping().to_json();
  s.mapping_report = chip.mapping().report();
  return s;
}

nlohmann::json to_json(const Simulation& s, const SimulateOptions& o, const rram::ChipConfig& cfg) {
  const auto& r = s.run;
  const auto total = r.total();
  const auto [mn, mx] = std::minmax_element(r.cycles_per_sample.begin(), r.cycles_per_sample.end());
  const double n = static_cast<double>(std::max<std::size_t>(r.predictions.size(), 1));
  nlohmann::json j{{"model", o.model.path},
                   {"frames", o.frames},
                   {"mode", o.mode},
                   {"decryption_unit", s.decryption_unit},
                   {"key", o.model.key},
                   {"key_entries", s.key_entries},
                   {"key_rows", s.key_rows},
                   {"engines_bound", s.engines_bound},
                   {"added_cycles", total.added_cycles},
                   {"added_cycles_per_inference", static_cast<double>(total.added_cycles) / n},
                   {"added_cycles_per_step_and_layer", r.added_cycles},
                   {"decryption_unit_area_share", s.costs.unit_area_share()},
                   {"decryption_unit_energy_share", s.costs.unit_energy_share()},
                   {"samples", r.predictions.size()},
                   {"accuracy", r.accuracy()},
                   {"cycles_per_inference", static_cast<double>(total.cycles) / n},
                   {"cycles_min", r.cycles_per_sample.empty() ? 0 : *mn},
                   {"cycles_max", r.cycles_per_sample.empty() ? 0 : *mx},
                   {"latency_per_inference_us", s.costs.latency_per_inference_us()},
                   {"energy_per_inference_nj", s.costs.energy_per_inference_pj() * 1e-3},
                   {"wall_seconds", r.seconds},
                   {"synaptic_ops", total.synaptic_ops()},
                   {"synaptic_ops_per_second", r.seconds > 0 ? static_cast<double>(total.synaptic_ops()) / r.seconds : 0.0},
                   {"counters", total.to_json()},
                   {"mapping", s.mapping},
                   {"costs", s.costs.to_json()},
                   {"config", cfg.to_json()}};
  j["per_layer_counters"] = nlohmann::json::array();
  for (const auto& c : r.per_layer) j["per_layer_counters"].push_back(c.to_json());
  return j;
}

void write_outputs(io::StagedOutputs& staged, const std::string& path, const rram::RunResult& r, int classes) {
  staged.write(path, [&](const fs::path& tmp) {
    H5::H5File f = h5::create_checksummed_file(tmp);  // headers and every array checksummed (docs/formats.md)
    const hsize_t n = r.predictions.size();
    const auto i32 = H5::PredType::STD_I32LE, ni32 = H5::PredType::NATIVE_INT32;
    h5::write_checksummed(f, "spike_counts", i32, {n, static_cast<hsize_t>(classes)}, ni32, r.spike_counts.data());
    h5::write_checksummed(f, "predictions", i32, {n}, ni32, r.predictions.data());
    h5::write_checksummed(f, "labels", i32, {n}, ni32, r.labels.data());
    h5::write_checksummed(f, "cycles", H5::PredType::STD_U64LE, {n}, H5::PredType::NATIVE_UINT64, r.cycles_per_sample.data());
  });
}

// The report's text files are staged with the run's other outputs (all or none); the plots are
// drawn from the committed CSV afterwards (plot_report_dir).
void write_report_dir(io::StagedOutputs& staged, const fs::path& dir, const Simulation& s, const nlohmann::json& j) {
  staged.write_text(dir / "report.json", j.dump(2) + "\n");
  staged.write_text(dir / "mapping.txt", s.mapping_report);
  staged.write_text(dir / "costs.txt", s.costs.table());
  std::string csv = "layer";
  for (const auto& c : rram::energy_components()) csv += "," + c + "_nj";
  csv += ",cycles,latency_us\n";
  for (const auto& l : s.costs.layers) {
    csv += l.name.substr(0, l.name.find(' '));
    for (const double e : l.energy_pj) csv += fmt::format(",{:.6g}", e * 1e-3);
    csv += fmt::format(",{:.6g},{:.6g}\n", l.cycles, l.latency_us);
  }
  staged.write_text(dir / "costs.csv", csv);
  std::string added = "time_step";
  for (const auto& l : s.costs.layers) added += "," + l.name.substr(0, l.name.find(' '));
  added += "\n";
  for (std::size_t t = 0; t < s.run.added_cycles.size(); ++t) {
    added += std::to_string(t);
    for (const auto a : s.run.added_cycles[t]) added += "," + std::to_string(a);
    added += "\n";
  }
  staged.write_text(dir / "added_cycles.csv", added);
}

void plot_report_dir(const fs::path& dir) {
  // Energy: one stacked bar per layer, one colour per component. Latency: log axis, because the
  // first convolution takes orders of magnitude longer than the last layers, which would vanish.
  const auto& components = rram::energy_components();
  plot::Panel energy;
  energy.title = "Energy per inference by layer and component";
  energy.xlabel = "weighted layer";
  energy.ylabel = "energy per inference (nJ)";
  energy.style = plot::Style::StackedHistogram;
  energy.xcol = 0;
  for (std::size_t c = 0; c < components.size(); ++c) energy.series.push_back({static_cast<int>(c) + 2, components[c]});
  plot::render(dir / "costs.csv", dir / "energy_breakdown.svg", energy);
  plot::Panel latency;
  latency.title = "Latency per inference by layer";
  latency.xlabel = "weighted layer";
  latency.ylabel = "latency per inference (us, log scale)";
  latency.style = plot::Style::ClusteredHistogram;
  latency.xcol = 0;
  latency.logy = true;
  latency.series = {{static_cast<int>(components.size()) + 3, "latency"}};
  plot::render(dir / "costs.csv", dir / "latency_per_layer.svg", latency);
}

void print_summary(const Simulation& s, const nlohmann::json& j) {
  fmt::print("{}\n{}", s.mapping_report, s.costs.table());
  fmt::print("accuracy {:.2f} % ({} samples, {} mode, decryption unit {}, {} key entries in {} key-SRAM words of {} engines)\n",
             100.0 * s.run.accuracy(), s.run.predictions.size(), j["mode"].get<std::string>(), s.decryption_unit, s.key_entries,
             s.key_rows, s.engines_bound);
  const auto added = j["added_cycles"].get<std::uint64_t>();
  if (added == 0) {
    fmt::print("added_cycles 0: the decryption engines kept up with every read (zero added latency held)\n");
  } else {
    fmt::print("added_cycles {} ({:.4g} per inference): the engines could not keep up with some reads; per layer:",
               added, j["added_cycles_per_inference"].get<double>());
    for (std::size_t l = 0; l < s.run.per_layer.size(); ++l)
      if (s.run.per_layer[l].added_cycles) fmt::print(" {} {}", s.costs.layers[l].name, s.run.per_layer[l].added_cycles);
    fmt::print(" (per step: added_cycles.csv / JSON)\n");
  }
  fmt::print("per inference: {:.0f} cycles ({} .. {}), {:.4g} us, {:.4g} nJ; wall {:.3g} s, {:.3g} synaptic ops/s\n",
             j["cycles_per_inference"].get<double>(), j["cycles_min"].get<std::uint64_t>(), j["cycles_max"].get<std::uint64_t>(),
             j["latency_per_inference_us"].get<double>(), j["energy_per_inference_nj"].get<double>(), s.run.seconds,
             j["synaptic_ops_per_second"].get<double>());
}

// Accuracy, energy and cycles per swept value, one panel each over the same x (the values as
// written, evenly spaced: they may be names or numbers).
void plot_sweep(const fs::path& csv, const fs::path& svg, const std::string& name) {
  plot::Panel accuracy, energy, cycles;
  for (plot::Panel* p : {&accuracy, &energy, &cycles}) {
    p->xlabel = name;
    p->xcol = 0;
  }
  accuracy.title = "Accuracy vs " + name;
  accuracy.ylabel = "accuracy (%)";
  accuracy.yrange = std::pair{0.0, 100.0};
  accuracy.series = {plot::percent(2, "accuracy")};
  energy.title = "Energy per inference vs " + name;
  energy.ylabel = "energy per inference (nJ)";
  energy.series = {{3, "energy"}};
  cycles.title = "Cycles per inference vs " + name;
  cycles.ylabel = "cycles per inference";
  cycles.series = {{4, "cycles"}, {5, "added by decryption"}};
  plot::Figure f{csv, {accuracy, energy, cycles}};
  f.panel_height = 320;
  plot::render(f, svg);
}

void run_sweep(const SimulateOptions& o, const Loaded& m, datasets::FrameSource& frames) {
  const auto eq = o.sweep.find('=');
  if (eq == std::string::npos || eq + 1 >= o.sweep.size())
    throw std::invalid_argument("--sweep '" + o.sweep + "': expected component.param=v1,v2,...");
  const std::string name = o.sweep.substr(0, eq);
  std::vector<std::string> values;
  std::stringstream vs(o.sweep.substr(eq + 1));
  for (std::string v; std::getline(vs, v, ',');) values.push_back(v);
  const std::string safe = [&] {
    std::string s = name;
    std::replace(s.begin(), s.end(), '.', '_');
    return s;
  }();
  for (const auto& v : values) {  // every value checked before the first point is simulated
    rram::ChipConfig probe = base_config(o);
    set_swept(probe, name, v);
  }
  std::string csv = name + ",accuracy,energy_per_inference_nj,cycles_per_inference,added_cycles_per_inference\n";
  nlohmann::json points = nlohmann::json::array();
  for (const auto& v : values) {
    rram::ChipConfig cfg = base_config(o);
    set_swept(cfg, name, v);
    const Simulation s = simulate(m, cfg, frames, o, name + "=" + v);
    const double energy = s.costs.energy_per_inference_pj() * 1e-3, cycles = s.costs.cycles_per_inference();
    const double added = s.costs.added_cycles_per_inference;
    fmt::print("{} = {}: accuracy {:.2f} %, {:.4g} nJ, {:.0f} cycles ({:.4g} added) per inference\n", name, v, 100.0 * s.run.accuracy(),
               energy, cycles, added);
    std::fflush(stdout);  // one line per point as it completes, also in a log or pipe
    csv += fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g}\n", v, s.run.accuracy(), energy, cycles, added);
    points.push_back({{"value", v}, {"accuracy", s.run.accuracy()}, {"energy_per_inference_nj", energy}, {"cycles_per_inference", cycles},
                      {"added_cycles_per_inference", added}});
  }
  const fs::path dir = o.report_dir;
  const nlohmann::json j{{"model", o.model.path}, {"frames", o.frames}, {"mode", o.mode}, {"sweep", name}, {"points", points}};
  {
    io::StagedOutputs staged;  // the sweep's CSV and JSON and --json-out: all or none
    const io::NewFolder report_dir(dir);
    staged.write_text(dir / ("sweep_" + safe + ".csv"), csv);
    staged.write_text(dir / ("sweep_" + safe + ".json"), j.dump(2) + "\n");
    if (!o.json_path.empty()) staged.write_text(o.json_path, j.dump(2) + "\n");
    staged.commit();
    report_dir.keep();
  }
  plot_sweep(dir / ("sweep_" + safe + ".csv"), dir / ("sweep_" + safe + ".svg"), name);
  if (o.json) fmt::print("{}\n", j.dump(2));
}

// Where zero added latency stops holding, for the configured tile, window and a range of lanes:
// latency_map.csv (every point) and latency_map.svg (added cycles per pulse against the share of
// active rows, for a fully keyed tile, the worst case, one line per lane count).
void run_latency_map(const SimulateOptions& o) {
  if (o.report_dir.empty()) throw std::invalid_argument("--latency-map needs --report-dir DIR for its CSV and plot");
  const rram::ChipConfig cfg = base_config(o);
  const rram::EngineGeometry chip = rram::engine_geometry(cfg);
  const std::vector<int> lanes{1, 2, 4, 8, 10, 16};
  const std::vector<double> keys{0.05, 0.25, 0.5, 1.0};
  std::vector<double> inputs;
  for (int i = 0; i <= 20; ++i) inputs.push_back(i / 20.0);
  const auto points = rram::latency_map(chip.tile, chip.window, lanes, keys, inputs, o.trials, 1);
  const fs::path dir = o.report_dir;
  std::string wide = "active_rows";
  for (const int l : lanes) wide += fmt::format(",{} lanes", l);
  wide += "\n";
  for (const double in : inputs) {
    wide += fmt::format("{:g}", in);
    for (const int l : lanes)
      for (const auto& p : points)
        if (p.lanes == l && p.key_density == keys.back() && p.input_density == in) wide += fmt::format(",{:.4g}", p.mean_added);
    wide += "\n";
  }
  {
    io::StagedOutputs staged;  // both CSVs or neither
    const io::NewFolder report_dir(dir);
    staged.write_text(dir / "latency_map.csv", rram::latency_map_csv(points));
    staged.write_text(dir / "latency_map_full_key.csv", wide);
    staged.commit();
    report_dir.keep();
  }
  std::vector<int> ycols;
  for (std::size_t i = 0; i < lanes.size(); ++i) ycols.push_back(static_cast<int>(i) + 2);
  plot::Panel map;
  map.title = fmt::format("Cycles added per pulse, every weight of a {}x{} tile keyed, {}-cycle window", chip.tile.rows, chip.tile.cols,
                          chip.window);
  map.xlabel = "tile rows active in the pulse (%)";
  map.xscale = 100.0;
  map.ylabel = "added cycles per pulse (mean)";
  for (const int y : ycols) map.series.push_back({y});
  plot::render(dir / "latency_map_full_key.csv", dir / "latency_map.svg", map);
  for (const int l : lanes) {
    double frontier = -1.0;  // the largest share of active rows up to which no pulse added a cycle, fully keyed tile
    for (const auto& p : points) {
      if (p.lanes != l || p.key_density != keys.back()) continue;
      if (p.max_added > 0) break;
      frontier = p.input_density;
    }
    fmt::print("{:>2} lanes: zero added latency up to {:.0f} % active rows with every weight keyed\n", l, 100.0 * std::max(frontier, 0.0));
  }
  fmt::print("wrote {}/latency_map.csv and latency_map.svg\n", dir.string());
}

void run(const SimulateOptions& o) {
  if (o.list_params) {
    fmt::print("{}", rram::ChipConfig::describe_all());
    return;
  }
  std::vector<PathArg> inputs = input_paths(o.model);
  inputs.insert(inputs.end(), {{"--frames", o.frames}, {"--config", o.config}});
  check_outputs({{"--outputs", o.outputs}, {"--json-out", o.json_path}}, inputs);
  check_output_folder({"--report-dir", o.report_dir});
  if (o.latency_map) {
    run_latency_map(o);
    return;
  }
  if (o.model.path.empty() || o.frames.empty()) throw std::invalid_argument("simulate: --model and --frames are required");
  if (!o.sweep.empty() && o.report_dir.empty()) throw std::invalid_argument("--sweep needs --report-dir DIR for its CSV and plot");
  const rram::ChipConfig cfg = base_config(o);  // validate the config before asking for secrets
  const Loaded m = load(o.model);
  // Streamed: the samples are read in batches while the chip runs (no whole-file decode, so no
  // memory estimate of the frames); the labels are checked first, so a wrong file fails at once.
  datasets::FrameSource frames(o.frames);
  if (frames.size() == 0) throw std::runtime_error(o.frames + ": holds no samples");  // as read_frames
  snn::check_compatible(m.stored, frames.meta().shape, o.frames);
  {
    auto labels = frames.read_labels();
    if (o.limit > 0 && o.limit < labels.size()) labels.resize(o.limit);
    snn::check_labels(m.stored, labels, o.frames);
  }
  if (!o.sweep.empty()) {
    run_sweep(o, m, frames);
    return;
  }
  const Simulation s = simulate(m, cfg, frames, o, "simulate " + o.mode);
  const auto j = to_json(s, o, cfg);
  {
    io::StagedOutputs staged;  // --outputs, --report-dir and --json-out: all or none
    const io::NewFolder report_dir(o.report_dir);  // created by the rule for output folders
    if (!o.outputs.empty()) write_outputs(staged, o.outputs, s.run, m.stored.num_classes);
    if (!o.report_dir.empty()) write_report_dir(staged, o.report_dir, s, j);
    if (!o.json_path.empty()) staged.write_text(o.json_path, j.dump(2) + "\n");
    staged.commit();
    report_dir.keep();
  }
  if (!o.report_dir.empty()) plot_report_dir(o.report_dir);
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
    return;
  }
  print_summary(s, j);
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto o = std::make_shared<SimulateOptions>();
  auto* cmd = app.add_subcommand(
      "simulate", "Run a model on the RRAM accelerator model (SystemC) with the SNNGX decryption unit: accuracy, cycles, energy");
  add_model_source_options(*cmd, o->model);
  cmd->get_option("--model")->required(false);  // not needed for --list-params (checked in run)
  cmd->add_option("--frames", o->frames, "frame file (*.frames.h5)")->check(CLI::ExistingFile);
  cmd->add_option("--config", o->config, "chip config, YAML or JSON (default: built-in = configs/chip.yaml)")->check(CLI::ExistingFile);
  cmd->add_option("--set", o->sets, "override one chip parameter: component.param=value (repeatable)");
  cmd->add_option("--mode", o->mode, "fast (transaction level, parallel) | cycle (clocked SystemC)")->check(CLI::IsMember({"fast", "cycle"}));
  cmd->add_option("--limit", o->limit, "only the first N samples (0 = all)")->check(at_least(0));
  cmd->add_option("--threads", o->threads, "worker threads in fast mode (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--outputs", o->outputs, "write spike_counts [N,classes], predictions, labels and cycles [N] to this HDF5 file");
  cmd->add_option("--report-dir", o->report_dir, "write report.json, mapping.txt, costs.{txt,csv} and SVG plots here");
  cmd->add_option("--sweep", o->sweep, "component.param=v1,v2,...: accuracy, energy and cycles per value (CSV + plot in --report-dir)");
  cmd->add_option("--json-out", o->json_path, "also write the JSON report to this file");
  cmd->add_flag("--json", o->json, "print the report as JSON");
  cmd->add_flag("--list-params", o->list_params, "list every chip component, implementation and parameter, and exit");
  cmd->add_flag("--latency-map", o->latency_map,
                "map where the decryption engines stop hiding in the read window (key density x active rows x lanes; "
                "CSV + plot in --report-dir), and exit");
  cmd->add_option("--trials", o->trials, "random (key, pulse) pairs per point of --latency-map")->check(CLI::Range(1, 100000));
  cmd->callback([o] { run(*o); });
}

}  // namespace snngx::app
