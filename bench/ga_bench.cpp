// SNNGX search speed: the paper's NMNIST command (population 100, 16-sample subset, epsilon 50,
// 125 generations) on layer fc2 and on fc1, with the incremental fitness, compared with the
// reference PyTorch implementation on a 2-core CPU (~17 s per generation for fc2, ~95 s for fc1;
// issue #6). Targets: fc2 < 15 s, fc1 < 2 min on 2 cores.
//
//   ga_bench [--model Q.snn.h5 --frames F.frames.h5] [--density D] [--generations G]
//            [--threads N] [--layers 1,0]
// Without --model/--frames: a randomly initialised, 8-bit quantized NMNIST MLP and synthetic
// NMNIST-shaped frames with a share D of nonzero cells per step (default 0.1, about real NMNIST).
#include "bench_common.hpp"
#include <fmt/core.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "snngx/datasets/frames.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/ga/genetic.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"

namespace {

/// User + system CPU seconds of this process (on a shared machine wall time alone misleads).
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace snngx;
  std::string model_path, frames_path;
  double density = 0.1;
  int generations = 125, threads = 0;
  std::vector<std::size_t> layers{1, 0};
  bool quick = false;
  CLI::App app{"SNNGX search: setup and search time per layer against the reference's time", "ga_bench"};
  app.add_option("--model", model_path, "model file (default: a random 8-bit nmnist-mlp, seed 1)")->check(CLI::ExistingFile);
  app.add_option("--frames", frames_path, "frame file the 16-sample subset is drawn from (default: synthetic)")->check(CLI::ExistingFile);
  app.add_option("--density", density, "input density of the synthetic frames")->check(CLI::Range(0.0, 1.0));
  app.add_option("--generations", generations, "GA generations")->check(CLI::Range(1, 1000000));
  app.add_option("--threads", threads, "worker threads (0 = all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--layers", layers, "weighted layers to search, in order")->delimiter(',');
  snngx::bench::add_quick_flag(app, quick);
  return snngx::bench::run(app, argc, argv, [&] {
    if (quick) generations = std::min(generations, 10);
    snn::Network net;
    if (model_path.empty()) {
      net = snn::make_nmnist_mlp();
      snn::init_weights(net, 1);
      net = snn::quantize(net, 8, snn::QuantRule::MaxAbs);
    } else {
      net = snn::load_model(model_path);
    }
    const datasets::FrameSet pool =
        frames_path.empty() ? datasets::synth_frames({net.time_steps, 2, 34, 34}, 64, density, net.num_classes, 7)
                            : datasets::read_frames(frames_path);
    ga::GaParams p;  // the reference defaults: epsilon 50, population 100, retain 0.6, mutation 0.05, seed 70
    p.generations = generations;
    const auto subset = ga::select_subset(pool, 16, 0, p.seed);
    const int used = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());

    fmt::print("SNNGX search benchmark: {} ({} hardware threads), {} threads used\n", snngx::bench::cpu_name(), std::thread::hardware_concurrency(), used);
    fmt::print("model: {}; subset: 16 samples of {}\n", model_path.empty() ? "random nmnist-mlp (seed 1), 8-bit" : model_path,
               frames_path.empty() ? fmt::format("synthetic frames (density {})", density) : frames_path);
    fmt::print("{:<6} {:>10} {:>6} {:>10} {:>10} {:>9} {:>10} {:>12} {:>9}\n", "layer", "sign bits", "gens", "setup s", "search s", "s/gen",
               "CPU s", "reference s", "speed-up");
    for (const std::size_t layer : layers) {
      const auto t0 = std::chrono::steady_clock::now();
      const double cpu0 = cpu_seconds();
      ga::SubsetEvaluator ev(net, ga::SearchSpace::layer(net, layer), subset, threads);
      const double setup = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const auto r = ga::run_search(p, ev.space().size(), ev);
      const double cpu = cpu_seconds() - cpu0;
      // Reference: ~17 s (fc2) / ~95 s (fc1) per generation on a 2-core CPU, 126 scorings.
      const double ref_per_gen = layer + 1 == net.num_weighted() ? 17.0 : 95.0;
      const double ref = ref_per_gen * generations;
      fmt::print("{:<6} {:>10} {:>6} {:>10.2f} {:>10.2f} {:>9.3f} {:>10.2f} {:>12.0f} {:>8.0f}x   (flipped {}, subset acc {:.3f}, {} evaluations)\n",
                 layer, ev.space().size(), generations, setup, r.seconds, r.seconds / std::max(generations, 1), cpu, ref,
                 ref / (setup + r.seconds), r.best.count(), r.accuracy, r.evaluations);
    }
  });
}
