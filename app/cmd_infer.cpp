#include <fmt/core.h>

#include <H5Cpp.h>

#include <memory>
#include <optional>
#include <thread>

#include "checks.hpp"
#include "commands.hpp"
#include "model_loading.hpp"
#include "report.hpp"
#include "snngx/io/threads.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/datasets/memory.hpp"
#include "snngx/io/output_files.hpp"
#include "snngx/snn/inference.hpp"

namespace snngx::app {
namespace {

struct InferOptions {
  ModelSource model;
  std::string frames, outputs, json_path, engine = "event";
  std::size_t limit = 0;
  int threads = 0;
  bool json = false, record = false;
};

void write_outputs(io::StagedOutputs& staged, const std::string& path, const snn::InferenceResult& r, const snn::OutputTrace* trace) {
  staged.write(path, [&](const std::filesystem::path& tmp) {
    H5::H5File f = h5::create_checksummed_file(tmp);  // headers and every array checksummed (docs/formats.md)
    const hsize_t n = r.size();
    const auto i32 = H5::PredType::STD_I32LE, ni32 = H5::PredType::NATIVE_INT32;
    h5::write_checksummed(f, "spike_counts", i32, {n, static_cast<hsize_t>(r.num_classes)}, ni32, r.spike_counts.data());
    h5::write_checksummed(f, "predictions", i32, {n}, ni32, r.predictions.data());
    h5::write_checksummed(f, "labels", i32, {n}, ni32, r.labels.data());
    if (!trace) return;
    const std::vector<hsize_t> d3 = {trace->samples, static_cast<hsize_t>(trace->time_steps), static_cast<hsize_t>(trace->outputs)};
    h5::write_checksummed(f, "spikes", H5::PredType::STD_U8LE, d3, H5::PredType::NATIVE_UINT8, trace->spikes.data());
    h5::write_checksummed(f, "membrane", H5::PredType::IEEE_F32LE, d3, H5::PredType::NATIVE_FLOAT, trace->membrane.data());
  });
}

nlohmann::json to_json(const snn::InferenceResult& r, const InferOptions& o, int threads) {
  return {{"model", o.model.path},
          {"frames", o.frames},
          {"engine", o.engine},
          {"threads", threads},
          {"samples", r.size()},
          {"accuracy", r.accuracy()},
          {"per_class_accuracy", r.per_class_accuracy()},
          {"confusion", r.confusion()},
          {"seconds", r.seconds},
          {"samples_per_second", r.seconds > 0 ? static_cast<double>(r.size()) / r.seconds : 0.0}};
}

void run(const InferOptions& o) {
  std::vector<PathArg> inputs = input_paths(o.model);
  inputs.push_back({"--frames", o.frames});
  if (o.record && o.outputs.empty()) throw std::invalid_argument("--record needs --outputs (the file the traces go to)");
  check_outputs({{"--outputs", o.outputs}, {"--json-out", o.json_path}}, inputs);
  snn::InferenceOptions io;
  io.engine = snn::parse_engine(o.engine);
  // The engine takes the loaded model over (no copy of its weights).
  const snn::Engine engine(load_model_for_use(o.model), io.engine);
  // Streamed: batches are read and validated while the previous one runs (bounded memory).
  datasets::FrameSource frames(o.frames);
  snn::check_compatible(engine.network(), frames.meta().shape, o.frames);
  Progress bar("infer", o.limit ? std::min(o.limit, frames.size()) : frames.size());
  io.threads = o.threads;
  io.limit = o.limit;
  io.progress = [&](std::size_t done, std::size_t) { bar.update(done); };
  const auto r = snn::infer(engine, frames, io);
  bar.finish();
  std::optional<snn::OutputTrace> trace;
  if (o.record) {
    snn::InferenceOptions ro;
    ro.threads = o.threads;
    // The trace is [N,T,K] anyway, so --record reads the samples it records as one dense set.
    trace = snn::record_output(engine, frames.read_dense(0, o.limit ? o.limit : frames.size()), ro);
  }
  const int threads = io::thread_count(o.threads);
  const auto j = to_json(r, o, threads);
  io::StagedOutputs staged;  // --outputs and --json-out: both or neither
  if (!o.outputs.empty()) write_outputs(staged, o.outputs, r, trace ? &*trace : nullptr);
  if (!o.json_path.empty()) staged.write_text(o.json_path, j.dump(2) + "\n");
  staged.commit();
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("accuracy {:.2f} % ({} samples, {} engine, {} threads, {:.1f} samples/s)\n", 100.0 * r.accuracy(), r.size(),
             o.engine, threads, j["samples_per_second"].get<double>());
  const auto per = r.per_class_accuracy();
  const auto cm = r.confusion();
  fmt::print("per class: ");
  for (std::size_t k = 0; k < per.size(); ++k) fmt::print("{}{}:{:.1f}%", k ? " " : "", k, 100.0 * per[k]);
  fmt::print("\nconfusion matrix (rows = true class, columns = predicted):\n");
  for (const auto& row : cm) {
    for (const auto v : row) fmt::print("{:>6}", v);
    fmt::print("\n");
  }
}

}  // namespace

void add_infer_command(CLI::App& app) {
  auto o = std::make_shared<InferOptions>();
  auto* cmd = app.add_subcommand("infer", "Run a model on a frame file: accuracy, per-class accuracy, confusion, samples/s");
  add_model_source_options(*cmd, o->model);
  cmd->add_option("--frames", o->frames, "frame file (*.frames.h5)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--limit", o->limit, "only the first N samples (0 = all)")->check(at_least(0));
  cmd->add_option("--threads", o->threads, "worker threads (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--engine", o->engine, "event (default) | dense (reference)")->check(CLI::IsMember({"event", "dense"}));
  cmd->add_option("--outputs", o->outputs, "write spike_counts [N,classes] and predictions [N] to this HDF5 file");
  cmd->add_option("--json-out", o->json_path, "also write the report as JSON to this file");
  cmd->add_flag("--record", o->record,
                "also write the output layer's per-step spikes (uint8 [N,T,K]) and membrane (float32 [N,T,K]) to --outputs");
  cmd->add_flag("--json", o->json, "print the report as JSON");
  cmd->callback([o] { run(*o); });
}

}  // namespace snngx::app
