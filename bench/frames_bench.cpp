// Issue 17: the engine alone vs streamed inference on a frame file (any layout).
// Usage: frames_bench --model M.snn.h5 --frames F.frames.h5 [--threads 2] [--batch 1024]
// "engine alone": every sample already decoded into one in-memory sparse batch, timed over the
// engine only; "streamed": snn::infer over a FrameSource (reading + validating + engine), as
// `snngx infer` runs it. The whole command (process start to exit) is timed by
// bench/whole_command.sh with /usr/bin/time (both networks, markdown rows).
#include "bench_common.hpp"
#include <fmt/core.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <chrono>
#include <ctime>
#include <cstring>
#include <string>

#include "snngx/datasets/frames.hpp"
#include "snngx/io/memory.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"

using namespace snngx;

int main(int argc, char** argv) {
  CLI::App app{"The engine alone vs streamed snn::infer on one frame file (either layout)", "frames_bench"};
  std::string model, frames;
  int threads = 2;
  std::size_t batch = 1024;
  bool quick = false;
  app.add_option("--model", model, "model file (*.snn.h5)")->required()->check(CLI::ExistingFile);
  app.add_option("--frames", frames, "frame file (*.frames.h5)")->required()->check(CLI::ExistingFile);
  app.add_option("--threads", threads, "worker threads")->check(CLI::Range(1, 1024));
  app.add_option("--batch", batch, "samples per streamed batch (snngx infer uses 1,024)")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  bench::add_quick_flag(app, quick)->description("accepted for scripts/bench.sh; no effect here (the file sets the size)");
  return bench::run(app, argc, argv, [&] {
  (void)io::use_huge_page_heap();  // as the snngx executable does at start-up (streamed: same allocations)
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
  });
}
