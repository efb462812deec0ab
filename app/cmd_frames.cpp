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
  std::string layout = "sparse";
};

struct ConvertOptions {
  std::string input, output, layout;
  int deflate = 0;
};

void add_convert(CLI::App& frames) {
  auto* cmd = frames.add_subcommand("convert", "Rewrite a frame file in another layout (streamed, bounded memory)");
  auto o = std::make_shared<ConvertOptions>();
  cmd->add_option("IN", o->input, "input frame file (layout 1 or 2)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "output frame file")->required();
  cmd->add_option("--layout", o->layout, "dense (layout 1) or sparse (layout 2)")->required()->check(CLI::IsMember({"dense", "sparse"}));
  cmd->add_option("--deflate", o->deflate, "layout 2 only: shuffle + deflate level 1..9 on the event datasets (0 = none, "
                                           "fastest to read)")->default_val(0)->check(CLI::Range(0, 9));
  cmd->callback([o] {
    check_outputs({{"-o", o->output}}, {{"IN", o->input}});
    const auto layout = datasets::parse_layout(o->layout);
    const std::size_t n = datasets::convert_frames(o->input, o->output, layout, o->deflate);
    fmt::print("wrote {} ({} samples, layout {} ({}))\n", o->output, n, static_cast<int>(layout), o->layout);
  });
}
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
  synth->add_option("--layout", o->layout, "sparse (layout 2, default) or dense (layout 1)")->check(CLI::IsMember({"dense", "sparse"}));
  synth->add_option("-o,--output", o->output, "output frame file")->required();
  synth->callback([o] {
    check_outputs({{"-o", o->output}});
    const datasets::FrameShape s{o->shape[0], o->shape[1], o->shape[2], o->shape[3]};
    datasets::write_synth_frames(o->output, s, o->count, o->density, o->classes, o->seed, datasets::parse_layout(o->layout));
    fmt::print("wrote {} ({} samples of [{},{},{},{}], density {})\n", o->output, o->count, s.t, s.c, s.h, s.w, o->density);
  });
  add_convert(*frames);
}

}  // namespace snngx::app
