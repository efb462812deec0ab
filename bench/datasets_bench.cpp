// Dataset throughput (issue 4): events/s for decoding + framing each format on one core (the
// reference transforms: NMNIST ToFrame(15); DVSGesture Downsample(0.25) + ToFrame(15); SHD
// ToFrame(15) on 700 channels), from in-memory files (no disk), and optionally the wall time of
// converting a whole dataset split with `convert_dataset` on all threads.
// Usage: datasets_bench [--quick] [--convert ROOT]   (ROOT: an N-MNIST tree, e.g.
//        data/default/n-fashion-mnist, whose train split is converted)
#include "bench_common.hpp"
#include <fmt/core.h>
#include <tbb/info.h>

#include <H5Cpp.h>

#include <chrono>
#include <ctime>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"
#include "snngx/datasets/shd.hpp"

using namespace snngx::datasets;
namespace fs = std::filesystem;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// CPU time of the calling thread: per-core rates stay meaningful on a shared, loaded machine.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Time-ordered random events on a sensor, `rate` events per ms on average.
Events synth(std::size_t n, SensorSize s, double events_per_us, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(events_per_us);
  Events e(n);
  double t = 0;
  for (auto& ev : e) {
    t += gap(rng);
    ev = {static_cast<std::int64_t>(t), static_cast<std::uint16_t>(rng() % static_cast<std::uint64_t>(s.w)),
          static_cast<std::uint16_t>(rng() % static_cast<std::uint64_t>(s.h)), static_cast<std::uint8_t>(rng() % s.p)};
  }
  return e;
}

struct Row {
  std::string format, stage, data;
  double events_per_s;
};

// Repeats `work` (returns events processed) for at least `min_s` seconds.
template <typename Work>
double rate(double min_s, Work work) {
  std::fputc('.', stderr);
  std::uint64_t events = 0;
  (void)work();  // warm-up: caches, page faults of first allocations
  const double t0 = thread_cpu_s();
  double elapsed = 0;
  do {
    events += work();
    elapsed = thread_cpu_s() - t0;
  } while (elapsed < min_s);
  return static_cast<double>(events) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Event decoding and ToFrame rates per core; optionally a whole NMNIST conversion", "datasets_bench"};
  bool quick = false;
  std::string convert_root;
  snngx::bench::add_quick_flag(app, quick);
  app.add_option("--convert", convert_root, "also time `dataset convert` of this NMNIST root")->check(CLI::ExistingDirectory);
  return snngx::bench::run(app, argc, argv, [&] {
  const double min_s = quick ? 0.3 : 2.0;
  fmt::print("machine: {}, {} hardware threads; rates per core (events / thread CPU time), files decoded from memory\n", snngx::bench::cpu_name(),
             std::thread::hardware_concurrency());
  std::vector<Row> rows;
  ConvertOptions reference;  // ToFrame(n_time_bins=15)

  {  // NMNIST: 64 files of ~5,000 events over 300 ms (N-MNIST-like), decode + ToFrame(15).
    std::vector<std::vector<std::uint8_t>> files;
    for (int i = 0; i < 64; ++i) files.push_back(encode_nmnist(synth(5000, nmnist_sensor, 5000.0 / 300'000, i)));
    std::vector<std::uint16_t> out(15 * nmnist_sensor.frame_size());
    std::size_t k = 0;
    rows.push_back({"nmnist", "decode", "64 x 5,000 events", rate(min_s, [&] {
                      return decode_nmnist(files[k++ % files.size()], "bench").size();
                    })});
    rows.push_back({"nmnist", "decode + ToFrame(15)", "64 x 5,000 events", rate(min_s, [&] {
                      Events e = decode_nmnist(files[k++ % files.size()], "bench");
                      return frame_sample(e, nmnist_sensor, reference, "bench", out) ? e.size() : 0;
                    })});
  }
  {  // DVSGesture: one recording of 1.2 M events (~40 s at 30,000 events/s), AEDAT decode, then
     // cut by 11 labels + Downsample(0.25) + ToFrame(15) as the reference pipeline.
    const Events rec = synth(1'200'000, dvsgesture_sensor, 0.03, 7);
    const auto bytes = encode_aedat31(rec);
    std::vector<GestureLabel> labels;
    const std::int64_t span = rec.back().t / 11;
    for (int c = 0; c < 11; ++c) labels.push_back({c, c * span, (c + 1) * span});
    ConvertOptions o;
    o.downsample = 0.25;
    std::vector<std::uint16_t> out(15 * 2 * 32 * 32);
    rows.push_back({"dvsgesture", "AEDAT 3.1 decode", "1.2 M events", rate(min_s, [&] { return decode_aedat31(bytes, "bench").size(); })});
    rows.push_back({"dvsgesture", "decode + cut + Downsample + ToFrame(15)", "1.2 M events, 11 samples", rate(min_s, [&] {
                      std::size_t n = 0;
                      for (auto& s : cut_gesture_samples(decode_aedat31(bytes, "bench"), labels, "r", "l")) {
                        n += s.events.size();
                        (void)frame_sample(s.events, dvsgesture_sensor, o, "bench", out);
                      }
                      return n;
                    })});
    const auto npy = encode_gesture_npy(Events(rec.begin(), rec.begin() + 100'000));
    rows.push_back({"dvsgesture", "tonic .npy decode (float64)", "100,000 events", rate(min_s, [&] { return decode_gesture_npy(npy, "bench").size(); })});
  }
  {  // SHD: an HDF5 file of 256 samples x 8,000 spikes (float16 times, uint16 units), read by
     // the reader (HDF5 + conversion) and framed to [15][1][1][700].
    const fs::path file = fs::temp_directory_path() / ("snngx-bench-shd-" + std::to_string(::getpid()) + ".h5");
    {
      H5::H5File f(file.string(), H5F_ACC_TRUNC);
      H5::Group spikes = f.createGroup("spikes");
      const hsize_t n = 256;
      std::vector<std::vector<std::uint16_t>> times(n);  // binary16 bits, rounded as numpy does
      std::vector<std::vector<std::uint16_t>> units(n);
      std::vector<hvl_t> t(n), u(n);
      for (std::size_t i = 0; i < n; ++i) {
        for (const Event& e : synth(8000, shd_sensor, 8000.0 / 800'000, 100 + i)) {
          times[i].push_back(to_half(static_cast<double>(e.t) * 1e-6));
          units[i].push_back(e.x);
        }
        t[i] = {times[i].size(), times[i].data()};
        u[i] = {units[i].size(), units[i].data()};
      }
      H5::FloatType half(H5::PredType::IEEE_F32LE);
      half.setFields(15, 10, 5, 0, 10);
      half.setPrecision(16);
      half.setSize(2);
      half.setEbias(15);
      const H5::DataSpace space(1, &n);
      spikes.createDataSet("times", H5::VarLenType(half), space).write(t.data(), H5::VarLenType(half));
      spikes.createDataSet("units", H5::VarLenType(H5::PredType::STD_U16LE), space)
          .write(u.data(), H5::VarLenType(H5::PredType::NATIVE_UINT16));
      std::vector<std::uint8_t> labels(n, 3);
      f.createDataSet("labels", H5::PredType::STD_U8LE, space).write(labels.data(), H5::PredType::NATIVE_UINT8);
    }
    const auto data = open_dataset("shd", file, "train");
    std::vector<std::uint16_t> out(15 * shd_sensor.frame_size());
    rows.push_back({"shd", "HDF5 read + ToFrame(15)", "256 x 8,000 spikes", rate(min_s, [&] {
                      std::size_t n = 0;
                      for (auto& s : data->load(0)) {
                        n += s.events.size();
                        (void)frame_sample(s.events, shd_sensor, reference, "bench", out);
                      }
                      return n;
                    })});
    fs::remove(file);
  }

  fmt::print("\n| format | stage (1 thread) | data | M events/s |\n|---|---|---|---:|\n");
  for (const auto& r : rows) fmt::print("| {} | {} | {} | {:.1f} |\n", r.format, r.stage, r.data, r.events_per_s / 1e6);
  const double nmnist = rows[1].events_per_s / 1e6;
  fmt::print("\nNMNIST decode + ToFrame target >= 50 M events/s per core: {:.1f} ({})\n", nmnist, nmnist >= 50 ? "met" : "NOT met");

  if (!convert_root.empty()) {
    const auto data = open_dataset("nmnist", convert_root, "train");
    const fs::path out = fs::temp_directory_path() / ("snngx-bench-" + std::to_string(::getpid()) + ".frames.h5");
    const double t0 = now_s();
    const auto stats = convert_dataset(*data, reference, out);
    const double wall = now_s() - t0;
    fmt::print("\nconvert {} train split ({} samples, {:.1f} M events) on {} threads: {:.1f} s wall, {:.1f} M events/s, {:.0f} samples/s\n",
               convert_root, stats.samples, static_cast<double>(stats.events) / 1e6, tbb::info::default_concurrency(), wall,
               static_cast<double>(stats.events) / wall / 1e6, static_cast<double>(stats.samples) / wall);
    fs::remove(out);
  }
  });
}
