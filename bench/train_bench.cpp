// Training throughput (samples/s of forward + BPTT backward + Adam) of both reference networks at
// 1 and 2 threads, on synthetic frames with the event density of the default data.
// Usage: train_bench [batches=4] [batch=32]
#include "bench_common.hpp"
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <numeric>
#include <thread>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/train.hpp"

namespace {
using namespace snngx;

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Rate {
  double wall = 0.0;  // samples per wall-clock second
  double cpu = 0.0;   // samples per CPU second of the process (x threads = idle-machine estimate)
};

// On a shared machine the wall-clock rate depends on the other jobs; the CPU-time rate does not
// (much), so both are printed.
Rate samples_per_second(const snn::Network& initial, const datasets::FrameSet& data, int threads, int batches,
                        std::size_t batch) {
  snn::Network net = initial;
  snn::AdamState adam;
  snn::GradientOptions go;
  go.threads = threads;
  snn::GradientComputer computer(go);
  std::vector<std::size_t> idx(batch);
  // One warm-up batch, then timed batches.
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  adam_step(net, adam, computer.compute(net, data, idx), {}, 1e-3f);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = process_cpu_seconds();
  for (int b = 0; b < batches; ++b) {
    std::iota(idx.begin(), idx.end(), static_cast<std::size_t>(b + 1) * batch % (data.size() - batch + 1));
    adam_step(net, adam, computer.compute(net, data, idx), {}, 1e-3f);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = process_cpu_seconds() - c0;
  const double n = static_cast<double>(batches) * static_cast<double>(batch);
  return {n / s, n / cpu};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Training throughput: forward + BPTT + Adam per network, 1 and 2 threads", "train_bench"};
  int batches = 4;
  std::size_t batch = 32;
  bool quick = false;
  app.add_option("--batches", batches, "timed batches per row")->check(CLI::Range(1, 1000000));
  app.add_option("--batch", batch, "samples per batch")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  snngx::bench::add_quick_flag(app, quick);
  return snngx::bench::run(app, argc, argv, [&] {
  if (quick) batches = 1;
  struct Case {
    std::string arch;
    datasets::FrameShape shape;
    double density;
  };
  // Densities: fraction of nonzero cells per step, measured on the default data (docs/training.md).
  const Case cases[] = {{"nmnist-mlp", {15, 2, 34, 34}, 0.07}, {"dvsgesture-csnn", {15, 2, 32, 32}, 0.21}};
  fmt::print("training throughput: forward + BPTT + Adam, batch {}, {} timed batches, machine: {} hardware threads\n",
             batch, batches, std::thread::hardware_concurrency());
  fmt::print("{:<18} {:>14} {:>8} {:>12} {:>16} {:>14}\n", "arch", "data", "threads", "samples/s", "samples/CPU-s",
             "idle estimate");
  for (const auto& c : cases) {
    snn::Network net = snn::make_arch(c.arch);
    snn::init_weights(net, 1);
    const auto data = datasets::synth_frames(c.shape, batch * static_cast<std::size_t>(batches + 1), c.density, net.num_classes, 7);
    for (const int threads : {1, 2}) {
      const Rate r = samples_per_second(net, data, threads, batches, batch);
      // Idle-machine estimate: the CPU-time rate times the threads (assumes linear scaling).
      fmt::print("{:<18} {:>14} {:>8} {:>12.1f} {:>16.1f} {:>14.1f}\n", c.arch, fmt::format("synth d={}", c.density), threads,
                 r.wall, r.cpu, r.cpu * threads);
      std::fflush(stdout);
    }
  }
  });
}
