// snngx dataset convert|info|view|make-default: argument parsing and presentation only; the
// work is done by snngx_datasets.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "checks.hpp"
#include "commands.hpp"
#include "report.hpp"
#include "snngx/io/threads.hpp"
#include "snngx/datasets/default_data.hpp"
#include "snngx/datasets/inspect.hpp"
#include "snngx/datasets/memory.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"

namespace snngx::app {
namespace fs = std::filesystem;
namespace ds = snngx::datasets;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void add_convert(CLI::App& dataset) {
  struct Args {
    std::string format, split = "train", output;
    fs::path root;
    int time_bins = 15;
    std::int64_t time_window = 0, event_count = 0, denoise = 0;
    double downsample = 0;  // 0 = the format's default
    std::size_t limit = 0;
    bool sort = false, first_saccade = false;
    std::string layout = "sparse";
  };
  static Args a;
  auto* cmd = dataset.add_subcommand("convert", "Frame a dataset in its original format into a *.frames.h5 file");
  cmd->add_option("--format", a.format, "nmnist, dvsgesture or shd")->required()->check(CLI::IsMember({"nmnist", "dvsgesture", "shd"}));
  cmd->add_option("--root", a.root, "dataset root (NMNIST: folder with Train/ Test/; DVSGesture: folder with the .aedat files "
                                    "and trials_to_*.txt, or with ibmGestureTrain/ ibmGestureTest/; SHD: folder with shd_*.h5 or the file)")->required();
  cmd->add_option("--split", a.split, "train or test")->check(CLI::IsMember({"train", "test"}))->default_val("train");
  cmd->add_option("--time-bins", a.time_bins, "frames per sample: ToFrame(n_time_bins); with --time-window/--event-count the "
                                              "number kept (zero-padded)")->default_val(15)->check(CLI::Range(1, 100000));
  auto* tw = cmd->add_option("--time-window", a.time_window, "ToFrame(time_window) in microseconds instead of n_time_bins")
                 ->check(CLI::PositiveNumber);
  cmd->add_option("--event-count", a.event_count, "ToFrame(event_count) instead of n_time_bins")->check(CLI::PositiveNumber)->excludes(tw);
  cmd->add_option("--downsample", a.downsample, "Downsample(spatial_factor) before framing; default 0.25 for dvsgesture "
                                                "(128x128 -> the CSNN's 32x32, as the reference), 1 (none) otherwise")
      ->check(bounded(1e-6, 1.0));
  cmd->add_option("--denoise", a.denoise, "Denoise(filter_time) in microseconds before framing (0 = off)")->default_val(0)->check(CLI::NonNegativeNumber);
  cmd->add_option("--limit", a.limit, "convert only the first N samples (0 = all)")->default_val(0)->check(at_least(0));
  cmd->add_flag("--sort", a.sort, "sort events by time instead of refusing decreasing timestamps");
  cmd->add_flag("--first-saccade", a.first_saccade, "NMNIST: keep only the first saccade (t < 100 ms)");
  cmd->add_option("--layout", a.layout, "frame file layout: sparse (layout 2, default) or dense (layout 1)")
      ->check(CLI::IsMember({"sparse", "dense"}));
  cmd->add_option("-o,--output", a.output, "output frame file (*.frames.h5)")->required();
  cmd->callback([] {
    check_outputs({{"-o", a.output}}, {{"--root", a.root}});
    const auto start = std::chrono::steady_clock::now();
    const auto data = ds::open_dataset(a.format, a.root, a.split, {a.first_saccade});
    ds::ConvertOptions o;
    o.time_bins = a.time_bins;
    o.to_frame = a.time_window > 0   ? ds::ToFrame::time_window(a.time_window)
                 : a.event_count > 0 ? ds::ToFrame::event_count(a.event_count)
                                     : ds::ToFrame::n_time_bins(a.time_bins);
    o.downsample = a.downsample > 0 ? a.downsample : ds::default_downsample(a.format);
    o.denoise_us = a.denoise;
    o.limit = a.limit;
    o.sort = a.sort;
    o.layout = ds::parse_layout(a.layout);
    const auto shape = ds::converted_shape(*data, o);
    check_fits_in_memory(ds::convert_memory_bytes(shape, ds::convert_block_units(data->num_units(), o.limit),
                                                  io::thread_count(0), o.layout),
                         fmt::format("dataset convert ([T={}, C={}, H={}, W={}] per sample)", shape.t, shape.c, shape.h, shape.w));
    Progress bar("convert " + a.format + " " + a.split, data->num_units(), "files");
    const auto stats = ds::convert_dataset(*data, o, a.output, [&](const ds::ConvertStats& s) {
      const double secs = seconds_since(start);
      bar.update(s.units_done, fmt::format("{:.1f} M events/s", secs > 0 ? static_cast<double>(s.events) / secs / 1e6 : 0.0));
    });
    const double secs = seconds_since(start);
    bar.finish(fmt::format("{:.1f} M events/s", static_cast<double>(stats.events) / secs / 1e6));
    const auto classes = data->classes();
    fmt::print("wrote {}: {} samples, layout {} ({}), {:.1f} MB, transform {}\n", a.output, stats.samples,
               static_cast<int>(o.layout), ds::to_string(o.layout), static_cast<double>(fs::file_size(a.output)) / 1e6,
               ds::describe_transform(o));
    fmt::print("  events: {} total, {:.0f} per sample on average, {:.1f} M events/s ({:.1f} s)\n", stats.events,
               stats.samples ? static_cast<double>(stats.events) / static_cast<double>(stats.samples) : 0.0,
               static_cast<double>(stats.events) / secs / 1e6, secs);
    fmt::print("  samples per class:\n");
    for (std::size_t c = 0; c < stats.per_class.size(); ++c)
      fmt::print("    {:2}  {:<28} {}\n", c, c < classes.size() ? classes[c] : "", stats.per_class[c]);
    if (stats.frames_padded + stats.frames_truncated > 0)
      fmt::print("  {} samples had fewer than {} frames (zero-padded), {} had more (truncated)\n", stats.frames_padded,
                 a.time_bins, stats.frames_truncated);
  });
}

void print_class_counts(const std::vector<std::size_t>& counts, const std::vector<std::string>& classes) {
  for (std::size_t c = 0; c < counts.size(); ++c)
    fmt::print("    {:2}  {:<28} {}\n", c, c < classes.size() ? classes[c] : "", counts[c]);
}

void add_info(CLI::App& dataset) {
  static fs::path file;
  auto* cmd = dataset.add_subcommand("info", "Describe a frame file (*.frames.h5) or a raw dataset root / raw file");
  cmd->add_option("FILE", file, "frame file, dataset root (N-MNIST tree, DVS128 Gesture folder, SHD folder or file), "
                                "or one .bin/.aedat/.npy file")->required();
  cmd->callback([] {
    if (ds::is_frame_file(file)) {
      const auto s = ds::summarize_frame_file(file);
      const auto& m = s.meta;
      fmt::print("{}: frame file, {} samples of [T={}, C={}, H={}, W={}] uint16 counts\n", file.string(), s.samples, m.shape.t,
                 m.shape.c, m.shape.h, m.shape.w);
      fmt::print("  layout:      {} ({}), {:.1f} MB on disk\n", static_cast<int>(s.layout), ds::to_string(s.layout),
                 static_cast<double>(s.file_bytes) / 1e6);
      fmt::print("  source:      {}\n  transform:   {}\n  sensor_size: [{}, {}, {}] (W, H, P)\n", m.source, m.transform,
                 m.sensor_size[0], m.sensor_size[1], m.sensor_size[2]);
      const double n = static_cast<double>(std::max<std::size_t>(1, s.samples));
      fmt::print("  events framed: {} ({:.0f} per sample), max count per cell {}, nonzero density {:.2f} % of cells, {} empty samples\n",
                 s.total_count, static_cast<double>(s.total_count) / n, s.max_count,
                 100.0 * static_cast<double>(s.nonzero_cells) / (n * static_cast<double>(m.shape.sample_size())), s.empty_samples);
      fmt::print("  samples per class:\n");
      print_class_counts(s.per_class, m.classes);
      return;
    }
    const auto s = ds::summarize_raw(file);
    fmt::print("{}: {} (sensor {}x{}x{})\n", file.string(), s.format, s.sensor.w, s.sensor.h, s.sensor.p);
    if (s.splits.empty()) {
      fmt::print("  {} events ({} ON, {} OFF), t from {} to {} us ({:.3f} s)\n", s.events, s.on_events, s.events - s.on_events,
                 s.t_first, s.t_last, static_cast<double>(s.t_last - s.t_first) * 1e-6);
      return;
    }
    for (const auto& split : s.splits) {
      fmt::print("  {}: {} samples in {} {} ({:.1f} MB), reader {}\n", split.split, split.samples, split.units,
                 s.format == "shd" ? "blocks" : "files", static_cast<double>(split.bytes) / 1e6, split.description);
      print_class_counts(split.per_class, s.classes);
    }
  });
}

void add_view(CLI::App& dataset) {
  struct Args {
    fs::path file, output;
    std::size_t index = 0;
  };
  static Args a;
  auto* cmd = dataset.add_subcommand("view", "Picture of one sample's T frames (ON orange, OFF blue) as a PNG");
  cmd->add_option("FILE", a.file, "frame file (*.frames.h5)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--index", a.index, "sample index")->default_val(0)->check(at_least(0));
  cmd->add_option("-o,--output", a.output, "output PNG")->required();
  cmd->callback([] {
    check_outputs({{"-o", a.output}}, {{"FILE", a.file}});
    const auto f = ds::read_frames_range(a.file, a.index, 1);
    if (f.size() != 1) {
      const std::size_t n = ds::frame_file_samples(a.file);
      throw std::invalid_argument(a.file.string() + ": " + (n == 0 ? std::string("holds no samples")
                                                                   : fmt::format("--index {} is past the last sample (the file holds {} samples, "
                                                                                 "indices 0..{})", a.index, n, n - 1)));
    }
    const auto png = ds::render_sample_png(f.sample(0), f.shape);
    ds::write_file_bytes(a.output, png);
    const auto label = f.labels[0];
    std::uint64_t events = 0;
    for (const auto c : f.sample(0)) events += c;
    fmt::print("wrote {}: sample {} of {}, label {} ({}), {} frames, {} events\n", a.output.string(), a.index, a.file.string(),
               label, static_cast<std::size_t>(label) < f.classes.size() ? f.classes[static_cast<std::size_t>(label)] : "?",
               f.shape.t, events);
  });
}

void add_make_default(CLI::App& dataset) {
  struct Args {
    fs::path out = "data/default";
    std::string size = "full";
    std::uint64_t seed = 1;
  };
  static Args a;
  auto* cmd = dataset.add_subcommand("make-default", "Make the embedded default datasets offline (N-Fashion-MNIST, "
                                                     "synthetic DVS gestures and synthetic SHD), deterministically for a seed");
  cmd->add_option("--out", a.out, "output folder")->default_val("data/default");
  cmd->add_option("--size", a.size, "small (demo: 2,000 + 500 images, ~200 gestures, 600 + 200 SHD words) or full (70,000 images, ~1,300 gestures, 2,400 + 600 words)")
      ->check(CLI::IsMember({"small", "full"}))->default_val("full");
  cmd->add_option("--seed", a.seed, "random seed")->default_val(1)->check(at_least(0));
  cmd->callback([] {
    check_output_folder({"--out", a.out});
    const bool small = a.size == "small";
    const auto start = std::chrono::steady_clock::now();
    const fs::path fashion_root = a.out / "n-fashion-mnist";
    std::unique_ptr<Progress> bar;
    std::unique_ptr<Progress> gesture_bar;
    const fs::path gesture_root = a.out / "dvs-gesture";
    const auto gestures = ds::make_synthetic_gestures(gesture_root, ds::gesture_plan(a.size), a.seed,
                                                      [&](std::size_t done, std::size_t total) {
                                                        if (!gesture_bar) gesture_bar = std::make_unique<Progress>("synthetic gestures", total, "recordings");
                                                        gesture_bar->update(done);
                                                      });
    if (gesture_bar) gesture_bar->finish();
    fmt::print("synthetic gestures (DVS128 Gesture AEDAT 3.1 layout) in {}: {} recordings, {} train + {} test samples, "
               "{:.0f} events per sample on average\n",
               gesture_root.string(), gestures.recordings, gestures.train.samples, gestures.test.samples,
               static_cast<double>(gestures.train.events + gestures.test.events) /
                   static_cast<double>(std::max<std::size_t>(1, gestures.train.samples + gestures.test.samples)));
    const auto report = ds::make_n_fashion_mnist(fashion_root, small ? 2000 : 0, small ? 500 : 0, a.seed, ds::fashion_mnist_dir,
                                                 [&](std::size_t done, std::size_t total) {
                                                   if (!bar) bar = std::make_unique<Progress>("N-Fashion-MNIST", total, "images");
                                                   bar->update(done);
                                                 });
    if (bar) bar->finish();
    fmt::print("N-Fashion-MNIST (NMNIST .bin tree) in {}: {} train + {} test samples, {:.0f} events per sample on average\n",
               fashion_root.string(), report.train.samples, report.test.samples,
               static_cast<double>(report.train.events + report.test.events) /
                   static_cast<double>(std::max<std::size_t>(1, report.train.samples + report.test.samples)));
    const fs::path shd_root = a.out / "shd";
    const auto shd = ds::make_synthetic_shd(shd_root, small ? 600 : 2400, small ? 200 : 600, a.seed);
    fmt::print("synthetic SHD (shd_train.h5 / shd_test.h5, the SHD HDF5 layout) in {}: {} train + {} test samples, "
               "{:.0f} spikes per sample on average\n",
               shd_root.string(), shd.train.samples, shd.test.samples,
               static_cast<double>(shd.train.events + shd.test.events) /
                   static_cast<double>(std::max<std::size_t>(1, shd.train.samples + shd.test.samples)));
    fmt::print("done in {}\n", human_duration(seconds_since(start)));
  });
}

}  // namespace

void add_dataset_commands(CLI::App& app) {
  auto* dataset = app.add_subcommand("dataset", "Event datasets: convert to frames, inspect, view, make the default data");
  dataset->require_subcommand(1);
  add_convert(*dataset);
  add_info(*dataset);
  add_view(*dataset);
  add_make_default(*dataset);
}

}  // namespace snngx::app
