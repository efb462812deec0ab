// snngx dataset convert|info|view|make-default: argument parsing and presentation only; the
// work is done by snngx_datasets.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "commands.hpp"
#include "report.hpp"
#include "snngx/datasets/default_data.hpp"
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
    double downsample = 1.0;
    std::size_t limit = 0;
    bool sort = false, first_saccade = false;
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
  cmd->add_option("--downsample", a.downsample, "Downsample(spatial_factor) before framing, e.g. 0.25 for DVSGesture")
      ->default_val(1.0)->check(CLI::Range(1e-6, 1.0));
  cmd->add_option("--denoise", a.denoise, "Denoise(filter_time) in microseconds before framing (0 = off)")->default_val(0)->check(CLI::NonNegativeNumber);
  cmd->add_option("--limit", a.limit, "convert only the first N samples (0 = all)")->default_val(0);
  cmd->add_flag("--sort", a.sort, "sort events by time instead of refusing decreasing timestamps");
  cmd->add_flag("--first-saccade", a.first_saccade, "NMNIST: keep only the first saccade (t < 100 ms)");
  cmd->add_option("-o,--output", a.output, "output frame file (*.frames.h5)")->required();
  cmd->callback([] {
    const auto start = std::chrono::steady_clock::now();
    const auto data = ds::open_dataset(a.format, a.root, a.split, {a.first_saccade});
    ds::ConvertOptions o;
    o.time_bins = a.time_bins;
    o.to_frame = a.time_window > 0   ? ds::ToFrame::time_window(a.time_window)
                 : a.event_count > 0 ? ds::ToFrame::event_count(a.event_count)
                                     : ds::ToFrame::n_time_bins(a.time_bins);
    o.downsample = a.downsample;
    o.denoise_us = a.denoise;
    o.limit = a.limit;
    o.sort = a.sort;
    Progress bar("convert " + a.format + " " + a.split, data->num_units(), "files");
    const auto stats = ds::convert_dataset(*data, o, a.output, [&](const ds::ConvertStats& s) {
      const double secs = seconds_since(start);
      bar.update(s.units_done, fmt::format("{:.1f} M events/s", secs > 0 ? static_cast<double>(s.events) / secs / 1e6 : 0.0));
    });
    const double secs = seconds_since(start);
    bar.finish(fmt::format("{:.1f} M events/s", static_cast<double>(stats.events) / secs / 1e6));
    const auto classes = data->classes();
    fmt::print("wrote {}: {} samples, transform {}\n", a.output, stats.samples, ds::describe_transform(o));
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

void add_make_default(CLI::App& dataset) {
  struct Args {
    fs::path out = "data/default";
    std::string size = "full";
    std::uint64_t seed = 1;
  };
  static Args a;
  auto* cmd = dataset.add_subcommand("make-default", "Make the embedded default datasets offline (N-Fashion-MNIST and "
                                                     "synthetic DVS gestures), deterministically for a seed");
  cmd->add_option("--out", a.out, "output folder")->default_val("data/default");
  cmd->add_option("--size", a.size, "small (demo: 2,000 + 500 images, ~200 gestures) or full (70,000 images, ~1,300 gestures)")
      ->check(CLI::IsMember({"small", "full"}))->default_val("full");
  cmd->add_option("--seed", a.seed, "random seed")->default_val(1);
  cmd->callback([] {
    const bool small = a.size == "small";
    const auto start = std::chrono::steady_clock::now();
    const fs::path fashion_root = a.out / "n-fashion-mnist";
    std::unique_ptr<Progress> bar;
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
    fmt::print("done in {}\n", human_duration(seconds_since(start)));
  });
}

}  // namespace

void add_dataset_commands(CLI::App& app) {
  auto* dataset = app.add_subcommand("dataset", "Event datasets: convert to frames, inspect, view, make the default data");
  dataset->require_subcommand(1);
  add_convert(*dataset);
  add_make_default(*dataset);
}

}  // namespace snngx::app
