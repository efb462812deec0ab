#include <fmt/core.h>

#include <memory>
#include <stdexcept>

#include "checks.hpp"
#include "commands.hpp"
#include "snngx/datasets/frames.hpp"

namespace snngx::app {

namespace {
struct SynthOptions {
  std::vector<int> shape;
  std::size_t count = 0;
  double density = 0.02;
  int classes = 10;
  std::uint64_t seed = 0;
  std::string output;
};
}  // namespace

void add_frames_commands(CLI::App& app) {
  auto* frames = app.add_subcommand("frames", "Frame files (*.frames.h5)");
  frames->require_subcommand(1);
  auto* synth = frames->add_subcommand("synth", "Synthetic Poisson event-count frames with uniform labels");
  auto o = std::make_shared<SynthOptions>();
  synth->add_option("--shape", o->shape, "T,C,H,W")->required()->delimiter(',')->expected(4)->check(CLI::Range(1, 100000));
  synth->add_option("--count", o->count, "number of samples")->required()->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  synth->add_option("--density", o->density, "probability that a cell is nonzero")->default_val(0.02)->check(fraction());
  synth->add_option("--classes", o->classes, "number of classes")->default_val(10)->check(CLI::Range(1, 100000));
  synth->add_option("--seed", o->seed, "random seed")->default_val(0)->check(at_least(0));
  synth->add_option("-o,--output", o->output, "output frame file")->required();
  synth->callback([o] {
    check_outputs({{"-o", o->output}});
    const datasets::FrameShape s{o->shape[0], o->shape[1], o->shape[2], o->shape[3]};
    if (static_cast<double>(s.sample_size()) * static_cast<double>(o->count) > 4e9)
      throw std::invalid_argument("frames synth: " + std::to_string(o->count) + " samples of that shape exceed 4e9 cells (8 GB)");
    datasets::write_frames(o->output, datasets::synth_frames(s, o->count, o->density, o->classes, o->seed));
    fmt::print("wrote {} ({} samples of [{},{},{},{}], density {})\n", o->output, o->count, s.t, s.c, s.h, s.w, o->density);
  });
}

}  // namespace snngx::app
