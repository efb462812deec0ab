// snngx cosim: the accelerator with the Verilated RTL decryption unit (docs/rtl.md).
#include <fmt/core.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.hpp"

#ifdef SNNGX_HAVE_COSIM
#include <H5Cpp.h>


#include "model_loading.hpp"
#include "report.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/datasets/memory.hpp"
#include "snngx/io/output_files.hpp"
#include "snngx/rram/config.hpp"
#include "snngx/rtl/cosim.hpp"
#include "snngx/rtl/run.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#endif

namespace snngx::app {

#ifdef SNNGX_HAVE_COSIM
namespace {

struct CosimCliOptions {
  ModelSource model;
  std::string frames, config, mode = "cycle", trace, outputs, json_path;
  std::size_t limit = 0;
  bool json = false;
};

template <class T>
void write_dataset(H5::H5File& f, const std::string& name, const std::vector<T>& v, std::size_t rows, const H5::PredType& file_type,
                   const H5::PredType& mem_type) {
  const hsize_t cols = rows ? v.size() / rows : 0;
  const std::vector<hsize_t> dims = cols == 1 ? std::vector<hsize_t>{rows} : std::vector<hsize_t>{rows, cols};
  h5::write_checksummed(f, name, file_type, dims, mem_type, v.data());  // checksummed (docs/formats.md, outputs files)
}

void write_outputs(io::StagedOutputs& staged, const std::string& path, const rtl::CosimReport& r) {
  const std::size_t n = r.rtl.predictions.size();
  staged.write(path, [&](const std::filesystem::path& tmp) {
    H5::H5File f = h5::create_checksummed_file(tmp);  // headers and every array checksummed (docs/formats.md)
    const auto i32 = H5::PredType::STD_I32LE, ni32 = H5::PredType::NATIVE_INT32;
    write_dataset(f, "spike_counts", r.rtl.spike_counts, n, i32, ni32);
    write_dataset(f, "predictions", r.rtl.predictions, n, i32, ni32);
    write_dataset(f, "labels", r.rtl.labels, n, i32, ni32);
    write_dataset(f, "software_spike_counts", r.software.spike_counts, n, i32, ni32);
    write_dataset(f, "cycles_per_sample", r.rtl.cycles_per_sample, n, H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64);
    write_dataset(f, "baseline_cycles_per_sample", r.baseline.cycles_per_sample, n, H5::PredType::STD_U64LE,
                  H5::PredType::NATIVE_UINT64);
  });
}

nlohmann::json to_json(const rtl::CosimReport& r, const CosimCliOptions& o) {
  const auto v = rtl::verilated_config();
  return {{"model", o.model.path},
          {"frames", o.frames},
          {"mode", o.mode},
          {"samples", r.rtl.predictions.size()},
          {"rtl_unit", {{"rows", v.rows}, {"cols", v.cols}, {"lanes", v.lanes}}},
          {"key_entries", r.key_entries},
          {"rtl_clock_edges", r.rtl_edges},
          {"accuracy_rtl", r.rtl.accuracy()},
          {"accuracy_software", r.software.accuracy()},
          {"accuracy_without_key", r.without_key.accuracy()},
          {"samples_differing_without_key", r.encrypted_differs},
          {"cycles_rtl", r.rtl.total().cycles},
          {"cycles_without_unit", r.baseline.total().cycles},
          {"cycles_per_sample_rtl", r.rtl.cycles_per_sample},
          {"cycles_per_sample_without_unit", r.baseline.cycles_per_sample},
          {"spike_mismatches", r.spike_mismatches},
          {"cycle_mismatches", r.cycle_mismatches},
          {"added_cycles", r.added_cycles},
          {"unaccounted_cycles", r.unaccounted_cycles},
          {"counters_rtl", r.rtl.total().to_json()},
          {"seconds_rtl", r.rtl.seconds},
          {"passed", r.passed()}};
}

void run(const CosimCliOptions& o) {
  std::vector<PathArg> inputs = input_paths(o.model);
  inputs.insert(inputs.end(), {{"--frames", o.frames}, {"--config", o.config}});
  check_outputs({{"--trace", o.trace}, {"--outputs", o.outputs}, {"--json-out", o.json_path}}, inputs);
  if (o.model.key.empty()) throw std::invalid_argument("cosim: --key is required (the RTL key store is loaded from it)");
  // The crossbars hold the stored (encrypted) model; the key goes to the RTL key store; the
  // plain model is what the key restores (software reference and cycle baseline).
  const snn::Network stored = snn::load_model(o.model.path);
  if (stored.state != snn::ModelState::Encrypted)
    throw std::runtime_error(o.model.path + ": cosim needs an encrypted model (state is " + snn::to_string(stored.state) + ")");
  crypto::XorKey key = unseal_key_for_model(o.model, stored).key;  // checks the key belongs to `stored`
  snn::Network plain = stored;
  keyed::decrypt(plain, key);

  // Streamed: each of the four runs reads the file in batches; the labels are checked first.
  datasets::FrameSource frames(o.frames);
  if (frames.size() == 0) throw std::runtime_error(o.frames + ": holds no samples");  // as read_frames
  snn::check_compatible(stored, frames.meta().shape, o.frames);
  {
    auto labels = frames.read_labels();
    if (o.limit > 0 && o.limit < labels.size()) labels.resize(o.limit);
    snn::check_labels(stored, labels, o.frames);
  }
  rtl::CosimOptions co;
  if (!o.config.empty()) co.config = rram::ChipConfig::load(o.config);
  co.mode = rram::parse_mode(o.mode);
  // --trace, --outputs and --json-out: all or none. The waveform is written under its temporary
  // name while the RTL runs (run_cosim closes it before returning).
  io::StagedOutputs staged;
  if (!o.trace.empty()) co.trace = staged.stage(o.trace);
  std::map<std::string, std::unique_ptr<Progress>> bars;
  co.progress = [&](const std::string& stage, std::size_t done, std::size_t total) {
    auto& bar = bars[stage];
    if (!bar) bar = std::make_unique<Progress>("cosim " + stage, total);
    bar->update(done);
    if (done == total) bar->finish();
  };
  const rtl::CosimReport r = rtl::run_cosim(stored, key, stored.key_fingerprint, plain, frames, co);
  crypto::wipe(key);  // the key lives only as long as the run needs it
  bars.clear();

  const auto j = to_json(r, o);
  if (!o.outputs.empty()) write_outputs(staged, o.outputs, r);
  if (!o.json_path.empty()) staged.write_text(o.json_path, j.dump(2) + "\n");
  staged.commit();  // also when the check below fails: the outputs are a complete record of that run
  const std::size_t n = r.rtl.predictions.size();
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("cosim: {} samples, {} mode, RTL decryption unit with {} key entries\n", n, o.mode, r.key_entries);
    fmt::print("  accelerator + RTL unit, encrypted crossbars  : accuracy {:6.2f} %  cycles {:>12}  RTL clock edges {}\n",
               100.0 * r.rtl.accuracy(), r.rtl.total().cycles, r.rtl_edges);
    fmt::print("  accelerator without unit, plain crossbars    : accuracy {:6.2f} %  cycles {:>12}\n", 100.0 * r.baseline.accuracy(),
               r.baseline.total().cycles);
    fmt::print("  software engine, plain model                 : accuracy {:6.2f} %\n", 100.0 * r.software.accuracy());
    fmt::print("  accelerator without unit, encrypted crossbars: accuracy {:6.2f} %  ({}/{} samples differ from the software)\n",
               100.0 * r.without_key.accuracy(), r.encrypted_differs, n);
    fmt::print("  spike counts equal to the software engine: {}/{} samples; cycles equal with and without the unit: {}/{} samples\n",
               n - r.spike_mismatches, n, n - r.cycle_mismatches, n);
    fmt::print("  cycles added by the decryption unit: {} (unaccounted: {})\n", r.added_cycles, r.unaccounted_cycles);
    if (!o.trace.empty()) fmt::print("  waveform: {}\n", o.trace);
  }
  if (!r.passed())
    throw std::runtime_error(fmt::format("cosim: {} samples differ from the software engine; {} samples took a different number "
                                         "of cycles than the chip without the unit, which the {} added cycles leave {} cycles "
                                         "unaccounted",
                                         r.spike_mismatches, r.cycle_mismatches, r.added_cycles, r.unaccounted_cycles));
}

}  // namespace

void add_cosim_command(CLI::App& app) {
  // Decryption unit "rtl" for every command's chip config (e.g. `snngx simulate` with
  // decryption_unit: {impl: rtl}); nothing is simulated until a unit is used.
  rtl::register_rtl_decryption_unit();
  auto o = std::make_shared<CosimCliOptions>();
  auto* cmd = app.add_subcommand("cosim",
                                 "Run the accelerator with the Verilated RTL decryption unit; check spike counts against the "
                                 "software engine and cycles against a chip without the unit");
  add_model_source_options(*cmd, o->model);
  cmd->get_option("--key")->required();
  cmd->add_option("--frames", o->frames, "frame file (*.frames.h5); keep it small in cycle mode")->required()->check(CLI::ExistingFile);
  cmd->add_option("--config", o->config, "chip config (YAML/JSON); decryption_unit.impl is set by cosim")->check(CLI::ExistingFile);
  cmd->add_option("--mode", o->mode, "cycle (default: the unit is clocked every chip cycle) | fast")
      ->check(CLI::IsMember({"cycle", "fast"}));
  cmd->add_option("--limit", o->limit, "only the first N samples (0 = all)")->check(at_least(0));
  cmd->add_option("--trace", o->trace, "write the RTL waveform (FST) to this file");
  cmd->add_option("--outputs", o->outputs, "write spike counts, predictions and cycles per sample to this HDF5 file");
  cmd->add_option("--json-out", o->json_path, "also write the report as JSON to this file");
  cmd->add_flag("--json", o->json, "print the report as JSON");
  cmd->callback([o] { run(*o); });
}

#else

void add_cosim_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("cosim", "RTL co-simulation (not built: configure with -DSNNGX_BUILD_RTL=ON and verilator installed)");
  cmd->allow_extras();
  cmd->callback([] { throw std::runtime_error("cosim: this snngx was built without the RTL co-simulation (SNNGX_BUILD_RTL=OFF or no verilator)"); });
}

#endif

}  // namespace snngx::app
