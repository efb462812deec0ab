// Issue 17: the engine alone vs streamed inference on a frame file (any layout).
// Usage: frames_bench --model M.snn.h5 --frames F.frames.h5 [--threads 2] [--batch 4096]
// "engine alone": every sample already decoded into one in-memory sparse batch, timed over the
// engine only; "streamed": snn::infer over a FrameSource (reading + validating + engine), as
// `snngx infer` runs it. The whole command (process start to exit) is timed by
// bench/whole_command.sh with /usr/bin/time (both networks, markdown rows).
#include <fmt/core.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <chrono>
#include <ctime>
#include <cstring>
#include <string>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"

using namespace snngx;

int main(int argc, char** argv) {
  std::string model, frames;
  int threads = 2;
  std::size_t batch = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) model = argv[i + 1];
    else if (!std::strcmp(argv[i], "--frames")) frames = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch")) batch = static_cast<std::size_t>(std::atoll(argv[i + 1]));
  }
  if (model.empty() || frames.empty()) {
    fmt::print(stderr, "usage: frames_bench --model M --frames F [--threads N] [--batch N]\n");
    return 2;
  }
  const snn::Network net = snn::load_model(model);
  const snn::Engine engine(net, snn::EngineKind::Event);
  datasets::FrameSource source(frames);
  const auto t_read = std::chrono::steady_clock::now();
  const datasets::SparseBatch all = source.read_batch(0, source.size());
  const double read_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_read).count();
  double engine_s = 0, engine_cpu_s = 0;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    tbb::enumerable_thread_specific<std::unique_ptr<snn::Engine::State>> states([&] { return engine.new_state(); });
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();  // process CPU time: the fair figure on a shared machine
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, all.size(), 16), [&](const tbb::blocked_range<std::size_t>& r) {
      auto& s = states.local();
      for (std::size_t i = r.begin(); i != r.end(); ++i) (void)engine.run(*s, all.sample(i));
    });
    engine_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    engine_cpu_s = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  }
  datasets::FrameSource again(frames);
  snn::InferenceOptions o;
  o.threads = threads;
  const auto r = snn::infer(engine, again, o, batch);
  const double n = static_cast<double>(all.size());
  fmt::print(
      "| {} | {} | layout {} | {} samples | read all {:.3f} s | engine alone {:.0f} samples/s | streamed {:.0f} samples/s | "
      "engine {:.0f} samples per CPU-s |\n",
      net.arch, frames, static_cast<int>(source.layout()), all.size(), read_s, n / engine_s, n / r.seconds, n / engine_cpu_s);
}
