// snngx train: surrogate-gradient BPTT of a reference network on frame files, then 8-bit
// post-training quantization. The work is done by snngx/snn/train.hpp.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <thread>

#include "checks.hpp"
#include "commands.hpp"
#include "plot.hpp"
#include "report.hpp"
#include "snngx/io/threads.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/memory.hpp"
#include "snngx/io/memory.hpp"
#include "snngx/io/output_files.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"
#include "snngx/snn/spec.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::app {
namespace {
namespace fs = std::filesystem;

// The training defaults are the library's (snn::TrainOptions), not the CLI's.
const snn::TrainOptions kDefaults{};

struct TrainCli {
  std::string arch, spec, init_model, train, test, output, quantized_output, checkpoint, csv, plot, json_path;
  std::string loss = snn::to_string(kDefaults.gradient.loss), reset_gradient = "gated", schedule = "cosine", quant_rule = "max_abs";
  std::string surrogate = snn::to_string(kDefaults.gradient.surrogate);
  std::string layer_lr = snn::to_string(kDefaults.adam.layer_lr);
  int epochs = kDefaults.epochs, threads = 0, patience = 0, bits = 8;
  std::size_t batch = kDefaults.batch_size, chunk = 0, train_limit = 0, test_limit = 0;
  float lr = kDefaults.adam.learning_rate, weight_decay = 0.0f;
  double init_firing_rate = kDefaults.init_firing_rate;
  std::uint64_t seed = 0, init_seed = 0;
  bool resume = false, reuse = false;
};

// "dir/name.snn.h5" -> "dir/name" + suffix
fs::path sibling(const fs::path& model, const std::string& suffix) {
  std::string s = model.string();
  for (const std::string ext : {".snn.h5", ".h5"})
    if (s.size() > ext.size() && s.ends_with(ext)) {
      s.resize(s.size() - ext.size());
      break;
    }
  return s + suffix;
}

// Accuracies and firing rates in percent (as printed); firing_rate_k is the k-th LIF layer's
// spikes per neuron per time step over the epoch's training batches.
std::string csv_text(const std::vector<snn::EpochStats>& history, std::size_t lif_layers) {
  std::ostringstream out;
  out << "epoch,loss,train_accuracy,test_accuracy,samples_per_second,seconds,learning_rate,best,silent_outputs";
  for (std::size_t k = 1; k <= lif_layers; ++k) out << ",firing_rate_" << k;
  out << "\n";
  for (const auto& e : history) {
    out << fmt::format("{},{:.6f},{:.4f},{:.4f},{:.1f},{:.1f},{:.6g},{},{}", e.epoch, e.loss, 100.0 * e.train_accuracy,
                       e.test_accuracy < 0 ? -1.0 : 100.0 * e.test_accuracy, e.samples_per_second, e.seconds,
                       e.learning_rate, e.best ? 1 : 0, e.silent_outputs);
    for (std::size_t k = 0; k < lif_layers; ++k)
      out << (k < e.firing_rate.size() ? fmt::format(",{:.6g}", 100.0 * e.firing_rate[k]) : std::string(","));
    out << "\n";
  }
  return out.str();
}

// "rates 12.1/3.4/0.52 %": per LIF layer, input side first.
std::string rates_text(const std::vector<double>& rates) {
  std::string s;
  for (const double r : rates) s += (s.empty() ? "" : "/") + fmt::format("{:.3g}", 100.0 * r);
  return s.empty() ? "-" : s + " %";
}

// Top: loss (left axis) with train/test accuracy (right axis, %); bottom: firing rate per LIF layer
// (log axis: input layers fire tens of percent, output layers can be below 0.1 %) and silent outputs.
void plot_history(const fs::path& csv, const fs::path& svg, const std::string& arch, int classes, std::size_t lif_layers) {
  plot::Panel curves;
  curves.title = arch + " training: loss and accuracy per epoch";
  curves.xlabel = "epoch";
  curves.ylabel = "training loss";
  curves.y2label = "accuracy (%)";
  curves.series = {{2, "training loss"}, {3, "train accuracy (%)", plot::Axis::Right}, {4, "test accuracy (%)", plot::Axis::Right}};
  curves.y2range = std::pair{0.0, 100.0};
  curves.integer_x = true;
  plot::Panel activity;
  activity.title = fmt::format("Firing rate per LIF layer and silent output neurons (of {})", classes);
  activity.xlabel = "epoch";
  activity.ylabel = "spikes per neuron per step (%)";
  activity.y2label = "silent output neurons";
  activity.logy = true;
  activity.integer_x = true;
  activity.y2range = std::pair{0.0, static_cast<double>(classes)};
  for (std::size_t k = 1; k <= lif_layers; ++k)
    activity.series.push_back({static_cast<int>(9 + k), fmt::format("LIF layer {}{}", k, k == lif_layers ? " (output)" : "")});
  activity.series.push_back({9, "silent output neurons", plot::Axis::Right});
  plot::render(plot::Figure{csv, {curves, activity}}, svg);
}

void run(const TrainCli& c) {
  const fs::path out = c.output;
  const fs::path qout = c.quantized_output.empty() ? sibling(out, "-q" + std::to_string(c.bits) + ".snn.h5") : fs::path(c.quantized_output);
  const fs::path checkpoint = c.checkpoint.empty() ? sibling(out, ".ckpt.h5") : fs::path(c.checkpoint);
  const fs::path csv = c.csv.empty() ? sibling(out, ".train.csv") : fs::path(c.csv);
  const fs::path svg = c.plot.empty() ? sibling(out, ".train.svg") : fs::path(c.plot);
  const fs::path json_path = c.json_path.empty() ? sibling(out, ".train.json") : fs::path(c.json_path);
  check_outputs({{"-o", out}, {"--quantized-output", qout}, {"--checkpoint", checkpoint}, {"--csv", csv}, {"--plot", svg},
                 {"--json-out", json_path}},
                {{"--train", c.train}, {"--test", c.test}, {"--model", c.init_model}, {"--spec", c.spec}});
  if (c.reuse && fs::exists(out) && fs::exists(qout)) {
    const auto f = snn::load_model(out);
    const auto q = snn::load_model(qout);
    fmt::print("reusing {} and {} (arch {}); delete them or drop --reuse to retrain\n", out.string(), qout.string(), f.arch);
    return;
  }
  snn::Network net;
  if (!c.init_model.empty()) {
    net = snn::as_float(snn::load_model(c.init_model));
  } else {
    if (c.arch.empty() && c.spec.empty())
      throw std::invalid_argument("give --arch (nmnist-mlp | dvsgesture-csnn | shd-rsnn), --spec NET.yaml or --model M.snn.h5");
    net = c.spec.empty() ? snn::make_arch(c.arch) : snn::load_network_spec(c.spec);
    snn::init_weights(net, c.init_seed);
  }
  // Frames are streamed: each shuffled batch reads only its samples, the test file is read in
  // batches; the labels are read (and checked) up front so that a wrong file fails at once.
  const auto open_checked = [&](const std::string& path, std::size_t limit) {
    auto source = std::make_unique<datasets::FrameSource>(path);
    if (source->size() == 0) throw std::runtime_error(path + ": holds no samples");  // as read_frames
    snn::check_compatible(net, source->meta().shape, path);
    auto labels = source->read_labels();
    if (limit > 0 && limit < labels.size()) labels.resize(limit);
    snn::check_labels(net, labels, path);
    return source;
  };
  const auto train_set = open_checked(c.train, c.train_limit);
  const std::size_t train_samples = c.train_limit > 0 ? std::min(c.train_limit, train_set->size()) : train_set->size();
  std::unique_ptr<datasets::FrameSource> test_set;
  if (!c.test.empty()) test_set = open_checked(c.test, c.test_limit);
  const std::size_t test_samples = !test_set ? 0 : c.test_limit > 0 ? std::min(c.test_limit, test_set->size()) : test_set->size();
  snn::TrainOptions o;
  o.epochs = c.epochs;
  o.batch_size = c.batch;
  o.adam.learning_rate = c.lr;
  o.adam.weight_decay = c.weight_decay;
  o.adam.layer_lr = snn::parse_layer_lr(c.layer_lr);
  o.schedule = snn::parse_lr_schedule(c.schedule);
  o.gradient.loss = snn::parse_loss(c.loss);
  o.gradient.reset = c.reset_gradient == "detached" ? snn::ResetGradient::Detached : snn::ResetGradient::Gated;
  o.gradient.surrogate = snn::parse_surrogate(c.surrogate);
  o.gradient.threads = c.threads;
  o.gradient.chunk = c.chunk;
  o.seed = c.seed;
  o.init_firing_rate = c.init_model.empty() ? c.init_firing_rate : 0.0;  // given weights are kept as they are
  o.patience = c.patience;
  o.checkpoint = checkpoint;
  o.resume = c.resume;

  // What stays decoded (one training batch, two test batches, the labels) plus BPTT's activations,
  // membranes and gradients of one batch (T from the file).
  const int steps = train_set->meta().shape.t;
  check_fits_in_memory(io::saturating_sum({datasets::frame_set_bytes(train_set->meta().shape, c.batch),
                                           test_set ? datasets::frame_set_bytes(test_set->meta().shape, 2048) : 0,
                                           4 * (train_samples + test_samples), snn::train_memory_bytes(net, steps, o)}),
                       fmt::format("train (one batch of frames decoded; batch {} x {} steps of activations and gradients)",
                                   o.batch_size, steps));

  const int threads = io::thread_count(c.threads);
  fmt::print("training {} ({} parameters) on {} samples{}, {} epochs, batch {}, lr {} ({}, per layer {}), loss {}, surrogate {}, {} threads\n",
             net.arch, net.parameter_count(), train_samples,
             test_set ? fmt::format(", testing on {}", test_samples) : std::string(), c.epochs, c.batch, c.lr,
             c.schedule, c.layer_lr, c.loss, c.surrogate, threads);
  std::unique_ptr<Progress> bar;
  int bar_epoch = 0;
  std::vector<snn::EpochStats> history;
  o.on_batch = [&](const snn::TrainProgress& p) {
    if (!bar || bar_epoch != p.epoch) {
      bar = std::make_unique<Progress>(fmt::format("epoch {}/{}", p.epoch, p.epochs), p.total);
      bar_epoch = p.epoch;
    }
    bar->update(p.done, fmt::format("loss {:.4f} acc {:.1f}%", p.running_loss, 100.0 * p.running_accuracy));
  };
  o.on_epoch = [&](const snn::EpochStats& e) {
    if (bar) bar->finish(fmt::format("loss {:.4f} acc {:.1f}%", e.loss, 100.0 * e.train_accuracy));
    bar.reset();
    fmt::print("epoch {:>3}: loss {:.5f}  train {:.2f} %  test {}  firing {}  silent outputs {}/{}  {:.1f} samples/s  {}{}\n",
               e.epoch, e.loss, 100.0 * e.train_accuracy,
               e.test_accuracy < 0 ? std::string("-") : fmt::format("{:.2f} %", 100.0 * e.test_accuracy), rates_text(e.firing_rate),
               e.silent_outputs, net.num_classes, e.samples_per_second, human_duration(e.seconds), e.best ? "  (best)" : "");
    std::fflush(stdout);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const auto result = snn::train(net, *train_set, test_set.get(), o, c.train_limit, c.test_limit);
  // Training time over all runs of a resumed training (the history keeps every epoch's seconds).
  double seconds = 0.0;
  for (const auto& e : result.history) seconds += e.seconds;
  if (result.history.empty()) seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (result.resumed) fmt::print("resumed from {}\n", o.checkpoint.string());
  if (result.stopped_early) fmt::print("early stop: no test improvement for {} epochs\n", c.patience);

  const auto warnings = snn::training_warnings(result.history, net.num_classes);
  for (const auto& w : warnings) fmt::print(stderr, "snngx: warning: {}: {}\n", c.train, w);
  const std::size_t lif_layers = result.history.empty() ? 0 : result.history.back().firing_rate.size();
  const auto quantized = snn::quantize(result.best, c.bits, snn::parse_quant_rule(c.quant_rule));
  nlohmann::json j = {{"arch", net.arch},
                      {"train", c.train},
                      {"test", c.test},
                      {"epochs_run", result.history.empty() ? 0 : result.history.back().epoch},
                      {"best_epoch", result.best_epoch},
                      {"threads", threads},
                      {"seconds", seconds},
                      {"model", out.string()},
                      {"quantized_model", qout.string()},
                      {"bits", c.bits},
                      {"surrogate", c.surrogate},
                      {"layer_lr", c.layer_lr},
                      {"warnings", warnings}};
  if (!result.history.empty())
    j["last_epoch"] = {{"firing_rate", result.history.back().firing_rate}, {"silent_outputs", result.history.back().silent_outputs}};
  std::string accuracy_line;
  if (test_set) {
    snn::InferenceOptions io;
    io.threads = c.threads;
    io.limit = c.test_limit;
    const double fa = snn::infer(snn::Engine(result.best, io.engine), *test_set, io).accuracy();
    const double qa = snn::infer(snn::Engine(quantized, io.engine), *test_set, io).accuracy();
    j["float_test_accuracy"] = fa;
    j["quantized_test_accuracy"] = qa;
    accuracy_line = fmt::format("test accuracy: float {:.2f} %, {}-bit quantized {:.2f} % ({} samples); trained in {}\n", 100.0 * fa,
                                c.bits, 100.0 * qa, test_samples, human_duration(seconds));
  }
  // The final outputs, all or none (the per-epoch checkpoint is a resume point, written on its
  // own); the plot is drawn from the committed CSV.
  {
    io::StagedOutputs staged;
    staged.write_text(csv, csv_text(result.history, lif_layers));
    snn::save_model(staged.stage(out), result.best);
    snn::save_model(staged.stage(qout), quantized);
    staged.write_text(json_path, j.dump(2) + "\n");
    staged.commit();
  }
  fmt::print("wrote {} (best epoch {}) and {} ({}-bit, {})\n", out.string(), result.best_epoch, qout.string(), c.bits, c.quant_rule);
  fmt::print("{}", accuracy_line);
  plot_history(csv, svg, net.arch, net.num_classes, lif_layers);
  fmt::print("history {} , plot {}\n", csv.string(), svg.string());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto c = std::make_shared<TrainCli>();
  auto* cmd = app.add_subcommand("train", "Train a network with surrogate-gradient BPTT and Adam, then quantize it");
  auto* arch = cmd->add_option("--arch", c->arch, "nmnist-mlp | dvsgesture-csnn | shd-rsnn")
                   ->check(CLI::IsMember({"nmnist-mlp", "dvsgesture-csnn", "shd-rsnn"}));
  auto* spec = cmd->add_option("--spec", c->spec, "a network described in YAML (docs/formats.md), freshly initialised")
                   ->check(CLI::ExistingFile)->excludes(arch);
  cmd->add_option("--model,--init-model", c->init_model, "fine-tune this model (e.g. one from model import) instead of a fresh network")
      ->check(CLI::ExistingFile)->excludes(arch)->excludes(spec);
  cmd->add_option("--init-seed", c->init_seed, "seed of the initial weights (with --arch or --spec)")->check(at_least(0));
  cmd->add_option("--init-firing-rate", c->init_firing_rate,
                  "with --arch or --spec: scale each layer's initial weights so that its LIF layer fires at this rate (spikes per "
                  "neuron per step) on the first batch; 0 = off")
      ->default_val(c->init_firing_rate)->check(bounded(0.0, 0.9));
  cmd->add_option("--train", c->train, "training frames (*.frames.h5)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--test", c->test, "test frames: per-epoch accuracy, best model, early stop")->check(CLI::ExistingFile);
  cmd->add_option("--epochs", c->epochs, "epochs")->default_val(c->epochs)->check(CLI::Range(1, 100000));
  cmd->add_option("--batch", c->batch, "minibatch size")->default_val(c->batch)->check(CLI::Range(std::size_t{1}, std::size_t{65536}));
  cmd->add_option("--lr", c->lr, "Adam learning rate")->default_val(c->lr)->check(positive());
  cmd->add_option("--layer-lr", c->layer_lr,
                  "per-layer learning rate: fan-in (scaled by each layer's initial weight scale 1/sqrt(fan-in), default) | uniform")
      ->default_val(c->layer_lr)->check(CLI::IsMember({"fan-in", "uniform"}));
  cmd->add_option("--schedule", c->schedule, "learning-rate schedule: cosine | constant")->default_val("cosine")->check(CLI::IsMember({"cosine", "constant"}));
  cmd->add_option("--weight-decay", c->weight_decay, "decoupled weight decay (AdamW)")->default_val(0.0f)->check(fraction());
  cmd->add_option("--loss", c->loss, "mse (rate vs one-hot, the STBP loss) | ce (cross-entropy on rates)")->default_val(c->loss)->check(CLI::IsMember({"mse", "ce"}));
  cmd->add_option("--surrogate", c->surrogate,
                  "spike surrogate gradient: fast-sigmoid (support everywhere, default) | rectangular (the paper's window)")
      ->default_val(c->surrogate)->check(CLI::IsMember({"fast-sigmoid", "rectangular"}));
  cmd->add_option("--reset-gradient", c->reset_gradient, "gated (through the reset gate, default) | detached")->default_val("gated")->check(CLI::IsMember({"gated", "detached"}));
  cmd->add_option("--seed", c->seed, "shuffling seed")->default_val(0)->check(at_least(0));
  cmd->add_option("--threads", c->threads, "worker threads (0 = all cores); results do not depend on it")->default_val(0)->check(CLI::Range(0, 1024));
  cmd->add_option("--chunk", c->chunk, "samples per gradient work unit (0 = automatic); changes the summation order")->default_val(0)->check(at_least(0));
  cmd->add_option("--patience", c->patience, "early stop after this many epochs without test improvement (0 = off)")->default_val(0)->check(at_least(0));
  cmd->add_option("--limit-train", c->train_limit, "use only the first N training samples")->default_val(0)->check(at_least(0));
  cmd->add_option("--limit-test", c->test_limit, "use only the first N test samples")->default_val(0)->check(at_least(0));
  cmd->add_option("-o,--output", c->output, "best float model (*.snn.h5)")->required();
  cmd->add_option("--quantized-output", c->quantized_output, "quantized model (default <output>-q<bits>.snn.h5)");
  cmd->add_option("--bits", c->bits, "post-training quantization bits")->default_val(8)->check(CLI::Range(2, 8));
  cmd->add_option("--quant-rule", c->quant_rule, "max_abs | reference")->default_val("max_abs")->check(CLI::IsMember({"max_abs", "reference"}));
  cmd->add_option("--checkpoint", c->checkpoint, "checkpoint written every epoch (default <output>.ckpt.h5)");
  cmd->add_flag("--resume", c->resume, "continue from the checkpoint if it exists");
  cmd->add_flag("--reuse", c->reuse, "if the output models already exist, keep them and do nothing");
  cmd->add_option("--csv", c->csv, "per-epoch history (default <output>.train.csv)");
  cmd->add_option("--plot", c->plot, "plot of the history (default <output>.train.svg)");
  cmd->add_option("--json-out", c->json_path, "summary (default <output>.train.json)");
  cmd->callback([c] { run(*c); });
}

}  // namespace snngx::app
