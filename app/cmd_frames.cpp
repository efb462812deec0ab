#include <fmt/core.h>

#include <sstream>

#include "commands.hpp"
#include "snngx/datasets/frames.hpp"

namespace snngx::app {

void add_frames_commands(CLI::App& app) {
  auto* frames = app.add_subcommand("frames", "Frame files (*.frames.h5)");
  frames->require_subcommand(1);
  auto* synth = frames->add_subcommand("synth", "Synthetic Poisson event-count frames with uniform labels");
  static std::vector<int> shape;
  static std::size_t count = 0;
  static double density = 0.02;
  static int classes = 10;
  static std::uint64_t seed = 0;
  static std::string out;
  synth->add_option("--shape", shape, "T,C,H,W")->required()->delimiter(',')->expected(4);
  synth->add_option("--count", count, "number of samples")->required()->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  synth->add_option("--density", density, "probability that a cell is nonzero")->default_val(0.02)->check(CLI::Range(0.0, 1.0));
  synth->add_option("--classes", classes, "number of classes")->default_val(10)->check(CLI::Range(1, 100000));
  synth->add_option("--seed", seed, "random seed")->default_val(0);
  synth->add_option("-o,--output", out, "output frame file")->required();
  synth->callback([] {
    const datasets::FrameShape s{shape[0], shape[1], shape[2], shape[3]};
    const auto f = datasets::synth_frames(s, count, density, classes, seed);
    datasets::write_frames(out, f);
    fmt::print("wrote {} ({} samples of [{},{},{},{}], density {})\n", out, count, s.t, s.c, s.h, s.w, density);
  });
}

}  // namespace snngx::app
