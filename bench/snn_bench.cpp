// Inference throughput (issue 3): samples/s for both reference architectures, batch 1 and 64,
// 1 and 2 threads, input densities 1 %, 2 %, 5 %, 20 %, event-driven and dense engines, on
// PyTorch-default random weights quantized to 8 bits (and float at 2 %).
// Usage: snn_bench [--quick] [--json FILE] [--arch NAME] [--engine event|dense] [--weights int8|float32]
//                  [--batch N] [--threads N] [--density PERCENT] [--seconds S]
// The filters keep only the matching rows (for quick runs while profiling).
#include "bench_common.hpp"
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <sys/utsname.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/quantize.hpp"

using namespace snngx;

namespace {

struct Row {
  std::string arch, precision, engine;
  double density;
  int batch, threads;
  double samples_per_s;
};

// Runs batches of `batch` samples until `min_seconds` have passed (at least one batch).
double measure(const snn::Engine& engine, const datasets::FrameSet& frames, int batch, int threads, double min_seconds) {
  snn::InferenceOptions o;
  o.threads = threads;
  std::size_t done = 0, next = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    const auto slice = frames.slice(next % frames.size(), static_cast<std::size_t>(batch));
    const auto r = snn::infer(engine, slice, o);
    done += r.size();
    next += static_cast<std::size_t>(batch);
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (elapsed < min_seconds);
  return static_cast<double>(done) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string json_path, only_arch, only_engine, only_weights;
  int only_batch = 0, only_threads = 0;
  double only_density = 0, seconds = 0;
  CLI::App app{"Inference engines: samples/s per network, precision, engine, density, batch and threads", "snn_bench"};
  snngx::bench::add_quick_flag(app, quick);
  app.add_option("--json", json_path, "also write the rows as JSON to this file");
  app.add_option("--arch", only_arch, "only this network")->check(CLI::IsMember({"nmnist-mlp", "dvsgesture-csnn"}));
  app.add_option("--engine", only_engine, "only this engine")->check(CLI::IsMember({"event", "dense"}));
  app.add_option("--weights", only_weights, "only this precision")->check(CLI::IsMember({"float32", "int8"}));
  app.add_option("--batch", only_batch, "only this batch size")->check(CLI::IsMember({1, 64}));
  app.add_option("--threads", only_threads, "only this thread count")->check(CLI::IsMember({1, 2}));
  app.add_option_function<double>("--density", [&](double percent) { only_density = percent / 100; },
                                  "only this input density, in percent")->check(CLI::Range(0.0, 100.0));
  app.add_option("--seconds", seconds, "time each row for at least this long")->check(CLI::PositiveNumber);
  return snngx::bench::run(app, argc, argv, [&] {
  const auto keep = [&](const std::string& filter, const std::string& value) { return filter.empty() || filter == value; };
  fmt::print("# snngx inference benchmark\nmachine: {}, {} hardware threads\n\n", snngx::bench::cpu_name(), std::thread::hardware_concurrency());
  fmt::print("| arch | weights | engine | density | batch | threads | samples/s |\n|---|---|---|---|---|---|---|\n");
  std::vector<Row> rows;
  const double min_s = seconds > 0 ? seconds : quick ? 0.2 : 1.0;
  for (const std::string arch : {"nmnist-mlp", "dvsgesture-csnn"}) {
    if (!keep(only_arch, arch)) continue;
    snn::Network net = snn::make_arch(arch);
    snn::init_weights(net, 1);
    const snn::Network q8 = snn::quantize(net, 8, snn::QuantRule::MaxAbs);
    const datasets::FrameShape shape{net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]};
    for (const double density : {0.01, 0.02, 0.05, 0.20}) {
      if (only_density > 0 && std::abs(density - only_density) > 1e-9) continue;
      const auto frames = datasets::synth_frames(shape, 256, density, net.num_classes, 7);
      for (const auto kind : {snn::EngineKind::Event, snn::EngineKind::Dense}) {
        // The dense reference is slow on the CSNN; measure it once per density at batch 64.
        const bool dense = kind == snn::EngineKind::Dense;
        if (!keep(only_engine, dense ? "dense" : "event")) continue;
        for (const bool quantized : {true, false}) {
          if (!quantized && density != 0.02) continue;
          if (!keep(only_weights, quantized ? "int8" : "float32")) continue;
          const snn::Engine engine(quantized ? q8 : net, kind);
          for (const int batch : {1, 64}) {
            if (only_batch && batch != only_batch) continue;
            for (const int threads : {1, 2}) {
              if (only_threads && threads != only_threads) continue;
              if (dense && (batch == 1 || (arch == "dvsgesture-csnn" && threads == 1))) continue;
              if (batch == 1 && threads == 2) continue;  // one sample at a time runs on one thread
              const double sps = measure(engine, frames, dense && arch == "dvsgesture-csnn" ? 4 : batch, threads, min_s);
              const Row r{arch, quantized ? "int8" : "float32", dense ? "dense" : "event", density, batch, threads, sps};
              rows.push_back(r);
              fmt::print("| {} | {} | {} | {:.0f} % | {} | {} | {:.1f} |\n", r.arch, r.precision, r.engine, 100 * density,
                         r.batch, r.threads, r.samples_per_s);
              std::fflush(stdout);
            }
          }
        }
      }
    }
  }
  if (!json_path.empty()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rows)
      j.push_back({{"arch", r.arch}, {"weights", r.precision}, {"engine", r.engine}, {"density", r.density},
                   {"batch", r.batch}, {"threads", r.threads}, {"samples_per_s", r.samples_per_s}});
    std::ofstream(json_path) << j.dump(2) << "\n";
  }
  });
}
