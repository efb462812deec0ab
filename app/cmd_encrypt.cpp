// `snngx encrypt`: the SNNGX genetic search for the sign bits to encrypt, writing the encrypted
// model, the sealed key and a report. `snngx attack`: the security evaluation of the result.
// Parsing and presentation only; the work is in snngx_ga (ga/).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "attack_reports.hpp"
#include "checks.hpp"
#include "commands.hpp"
#include "model_loading.hpp"
#include "plot.hpp"
#include "report.hpp"
#include "snngx/io/threads.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/datasets/memory.hpp"
#include "snngx/ga/attack.hpp"
#include "snngx/ga/distributed.hpp"
#include "snngx/ga/encryption.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/ga/memory.hpp"
#include "snngx/ga/restarts.hpp"
#include "snngx/ga/sensitivity.hpp"
#include "snngx/io/memory.hpp"
#include "snngx/io/output_files.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::app {
namespace {

namespace fs = std::filesystem;

// ---- encrypt -----------------------------------------------------------------------------------

struct EncryptOptions {
  std::string model, subset, test, output, key, report, validation;
  SecretSource secret;
  KdfOptions kdf;
  int layer = -1;
  bool whole = false;
  int per_class = 0;
  std::size_t subset_size = 16, test_limit = 0, validation_size = 2000;
  std::optional<std::uint64_t> subset_seed;  // default: --seed
  int restarts = 1;
  int threads = 0;
  std::string method = "ga";          // ga | sensitivity | hybrid
  int rounds = 10;                    // sensitivity: greedy rounds
  std::size_t candidates = 0;         // hybrid: best-ranked bits the GA searches (0 = 2 x epsilon)
  bool quiet = false;
  ga::GaParams ga;  // ga.reference_compat: --reference-compat
};

/// How close the search came to a drop: weights keeping the exponent up (ga::ExponentBlockers),
/// the fewest per generation (reference order: `population` evaluations each) and overall.
nlohmann::json blockers_json(const ga::ExponentBlockers& b, int population) {
  const auto& per = b.per_evaluation;
  const auto pop = static_cast<std::size_t>(population);
  std::vector<std::uint32_t> fewest_per_generation;
  for (std::size_t first = 0; first < per.size(); first += pop)
    fewest_per_generation.push_back(*std::min_element(per.begin() + static_cast<std::ptrdiff_t>(first),
                                                      per.begin() + static_cast<std::ptrdiff_t>(std::min(per.size(), first + pop))));
  const auto fewest = std::min_element(per.begin(), per.end());
  return {{"large_positive", b.large_positive},
          {"large_negative", b.large_negative},
          {"fewest", fewest == per.end() ? nlohmann::json(nullptr) : nlohmann::json(*fewest)},
          {"fewest_at_evaluation", fewest == per.end() ? nlohmann::json(nullptr) : nlohmann::json(fewest - per.begin())},
          {"evaluations_with_none", std::count(per.begin(), per.end(), 0U)},
          {"fewest_per_generation", fewest_per_generation}};
}

/// What a --reference-compat search did to the searched layer's exponent, and the test accuracy
/// the reference code would have reported (its returned model: the best individual decoded with
/// the exponent left by the last evaluation).
nlohmann::json reference_compat_json(const ga::SubsetEvaluator& ev, const snn::Network& plain, std::size_t layer,
                                     const ga::BitVector& best, int population, const ga::TestFrames* test, int threads) {
  const auto exponent = [](std::optional<int> e) { return e ? nlohmann::json(*e) : nlohmann::json("silent"); };
  std::vector<nlohmann::json> drops;
  for (const auto& d : ev.exponent_drops())
    drops.push_back({{"evaluation", d.evaluation}, {"generation", d.evaluation / static_cast<std::size_t>(population)},
                     {"from", d.from}, {"to", exponent(d.to)}});
  int lo = 0, hi = 0;  // the plain layer's signed magnitudes: drops need max < 64 after flips
  for (const auto b : plain.weights(layer).quant->weight_bits) lo = std::min(lo, snn::signed_magnitude(b)), hi = std::max(hi, snn::signed_magnitude(b));
  nlohmann::json j = {{"plain_exponent", plain.weights(layer).quant->exponent},
                      {"plain_signed_magnitude_range", {lo, hi}},
                      {"plain_exponent_as_reference_reads_it", ev.reference_plain_exponent()},
                      {"weights_wrapped_by_reference_reading", ev.reference_wrapped_weights()},
                      {"evaluations", ev.reference_evaluations()},
                      {"exponent_drops", ev.exponent_drops().size()},
                      {"drops", drops},
                      {"blocking_weights", blockers_json(ev.exponent_blockers(), population)},
                      {"final_exponent", exponent(ev.reference_next_exponent())}};
  if (test) j["test_accuracy_reported_by_reference"] = test->accuracy(ev.reference_loaded_model(best), threads);
  return j;
}

fs::path report_path(const EncryptOptions& o, const std::string& suffix) {
  if (!o.report.empty()) return o.report + suffix;
  std::string base = o.output;
  for (const std::string ext : {".h5", ".snn"})
    if (base.size() > ext.size() && base.ends_with(ext)) base.resize(base.size() - ext.size());
  return base + ".ga" + suffix;
}

void write_history_csv(io::StagedOutputs& staged, const fs::path& path, const ga::SearchResult& r) {
  std::ostringstream csv;
  csv << "generation,best_fitness,mean_fitness,best_flipped_bits,best_subset_accuracy,evaluations,seconds\n";
  for (const auto& g : r.history)
    csv << g.generation << ',' << fmt::format("{:.6g}", g.best_fitness) << ',' << fmt::format("{:.6g}", g.mean_fitness) << ','
        << g.best_flipped << ',' << fmt::format("{:.6g}", g.best_accuracy) << ',' << g.evaluations << ','
        << fmt::format("{:.3f}", g.seconds) << '\n';
  staged.write_text(path, csv.str());
}

// Top: best and mean fitness and the best individual's flipped bits (log axis: they fall by decades);
// bottom: the best individual's accuracy on the fitness subset.
void plot_search_history(const fs::path& csv, const fs::path& svg) {
  plot::Panel search;
  search.title = "SNNGX search per generation";
  search.xlabel = "generation";
  search.ylabel = "fitness (lower is better) / flipped bits";
  search.logy = true;
  search.integer_x = true;
  search.series = {{2, "best fitness"}, {3, "mean fitness"}, {4, "flipped bits of the best"}};
  plot::Panel accuracy;
  accuracy.title = "Accuracy of the best individual on the fitness subset";
  accuracy.xlabel = "generation";
  accuracy.ylabel = "subset accuracy (%)";
  accuracy.integer_x = true;
  accuracy.yrange = std::pair{0.0, 100.0};
  accuracy.series = {plot::percent(5, "best individual")};
  plot::render(plot::Figure{csv, {search, accuracy}}, svg);
}

// Test accuracies of the restarts' keys are reported (to show how validation tracks test),
// never used to choose; empty without --test.
void write_restarts_csv(io::StagedOutputs& staged, const fs::path& path, const ga::RestartsResult& r,
                        const std::vector<double>& test_accuracy) {
  std::ostringstream csv;
  csv << "restart,seed,flipped_bits,best_fitness,subset_accuracy,validation_accuracy,test_accuracy,chosen\n";
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const auto& run = r.runs[i];
    csv << i << ',' << run.seed << ',' << run.result.best.count() << ',' << fmt::format("{:.6g}", run.result.fitness) << ','
        << fmt::format("{:.6g}", run.result.accuracy) << ',' << fmt::format("{:.6g}", run.validation_accuracy) << ','
        << (test_accuracy.empty() ? std::string{} : fmt::format("{:.6g}", test_accuracy[i])) << ',' << (i == r.chosen ? 1 : 0) << '\n';
  }
  staged.write_text(path, csv.str());
}

nlohmann::json restarts_json(const ga::RestartsResult& r, const std::vector<double>& test_accuracy) {
  std::vector<nlohmann::json> runs;
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const auto& run = r.runs[i];
    runs.push_back({{"seed", run.seed},
                    {"flipped_bits", run.result.best.count()},
                    {"best_fitness", run.result.fitness},
                    {"subset_accuracy", run.result.accuracy},
                    {"validation_accuracy", run.validation_accuracy},
                    {"test_accuracy_without_key", test_accuracy.empty() ? nlohmann::json(nullptr) : nlohmann::json(test_accuracy[i])},
                    {"search_seconds", run.result.seconds}});
  }
  return runs;
}

void print_restarts(const ga::RestartsResult& r, const std::vector<double>& test_accuracy) {
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const auto& run = r.runs[i];
    fmt::print("restart {} (seed {}): flipped {}, subset accuracy {:.1f} %, validation accuracy {:.2f} %{}{}\n", i, run.seed,
               run.result.best.count(), 100 * run.result.accuracy, 100 * run.validation_accuracy,
               test_accuracy.empty() ? std::string{} : fmt::format(", test accuracy {:.2f} %", 100 * test_accuracy[i]),
               i == r.chosen ? "  <- kept" : "");
  }
}

// Populations plus the frames held decoded: the fitness subset, the validation draw and a drawn
// test set (a whole test file is streamed: two batches), and every label of the subset file.
std::uint64_t encrypt_memory_bytes(const EncryptOptions& o, std::size_t search_bits) {
  const datasets::FrameSource subset(o.subset);
  const auto held = [](const std::string& path, std::size_t samples) {  // `samples` of the file (0 = all), decoded
    return datasets::read_frames_bytes(path, samples);
  };
  const std::size_t classes = std::max<std::size_t>(subset.meta().classes.size(), 1);
  const std::size_t subset_samples = o.per_class > 0 ? static_cast<std::size_t>(o.per_class) * classes : o.subset_size;
  std::uint64_t frames = io::saturating_sum({held(o.subset, std::max<std::size_t>(subset_samples, 1)), 4 * subset.size()});
  if (!o.validation.empty()) frames = io::saturating_sum({frames, held(o.validation, o.validation_size)});
  if (!o.test.empty()) frames = io::saturating_sum({frames, held(o.test, o.test_limit > 0 ? o.test_limit : 2048)});
  return io::saturating_sum({ga::search_memory_bytes(o.ga, search_bits), frames});
}

void run_encrypt(const EncryptOptions& o) {
  check_outputs({{"-o", o.output}, {"--key", o.key}, {"--report", report_path(o, ".json")}},
                {{"--model", o.model}, {"--subset", o.subset}, {"--validation", o.validation}, {"--test", o.test},
                 {"--passphrase-file", o.secret.passphrase_file}, {"--device-key", o.secret.device_key}});
  o.ga.validate();
  const ga::SearchMethod method = ga::parse_search_method(o.method);
  ga::SensitivityParams sensitivity{o.ga.epsilon, o.rounds};
  sensitivity.validate();
  if (method != ga::SearchMethod::Ga && o.restarts > 1)
    throw std::invalid_argument("--restarts works with --method ga only (--method " + o.method + " is deterministic)");
  ga::check_restarts(o.restarts, !o.validation.empty());  // before minutes of loading
  if (o.ga.reference_compat && method != ga::SearchMethod::Ga)
    throw std::invalid_argument("--reference-compat reproduces the reference's GA: it takes --method ga only");
  if (o.ga.reference_compat && (o.whole || o.restarts > 1))
    throw std::invalid_argument("--reference-compat reproduces the reference's single layer-wise search: no --whole, no --restarts");
  ga::MpiSession mpi;
  if (o.ga.reference_compat && mpi.size() > 1)
    throw std::invalid_argument("--reference-compat evaluates individuals in one chain: run it on one MPI rank");
  const snn::Network plain = snn::load_model(o.model);
  if (plain.state != snn::ModelState::Quantized)
    throw std::invalid_argument(o.model + ": model state is '" + snn::to_string(plain.state) + "', encrypt needs a quantized model");
  const auto layer = o.layer >= 0 ? static_cast<std::size_t>(o.layer) : plain.num_weighted() - 1;
  const ga::SearchSpace space = o.whole ? ga::SearchSpace::whole(plain) : ga::SearchSpace::layer(plain, layer);
  check_fits_in_memory(encrypt_memory_bytes(o, space.size()),
                       fmt::format("encrypt (population {} x {} searched bits, frames decoded)", o.ga.population, space.size()));
  // Every rank needs the subset; only rank 0 scores (and so reads) the validation set.
  const ga::SearchData data = ga::read_search_data(
      {o.subset, o.subset_size, o.per_class, o.subset_seed.value_or(o.ga.seed), o.validation, o.validation_size}, mpi.rank() == 0);
  const datasets::FrameSet& subset = data.subset;
  snn::check_compatible(plain, subset, o.subset);
  if (data.validation) snn::check_compatible(plain, *data.validation, o.validation);
  ga::SubsetEvaluator local(plain, space, subset, o.threads, o.ga.reference_compat);
  if (local.reference_wrapped_weights() > 0)
    std::fprintf(stderr, "snngx: warning: --reference-compat: %zu weights of layer %zu wrap when re-read at the reference's exponent\n",
                 local.reference_wrapped_weights(), layer);
  // The hybrid's GA searches the best-ranked candidates only; every rank ranks them (the same,
  // deterministic ranking) so that the distributed evaluation scores the same sub-space.
  std::unique_ptr<ga::CandidateEvaluator> candidates;
  if (method == ga::SearchMethod::Hybrid) {
    const std::size_t count = o.candidates > 0 ? o.candidates : 2 * static_cast<std::size_t>(o.ga.epsilon);
    candidates = std::make_unique<ga::CandidateEvaluator>(local, ga::hybrid_candidates(plain, space, subset, local, count, o.threads),
                                                          subset, plain.time_steps, plain.num_classes, o.threads);
  }
  ga::FitnessEvaluator& scored = candidates ? static_cast<ga::FitnessEvaluator&>(*candidates) : local;
  ga::DistributedEvaluator evaluator(mpi, scored, candidates ? candidates->size() : space.size());
  if (mpi.rank() != 0) {
    evaluator.serve();
    return;
  }
  // The greedy search evaluates one flip set per round: no independent work for other ranks.
  if (method == ga::SearchMethod::Sensitivity) evaluator.stop();
  // Ask for the secret and check the KDF options before the search, not after it.
  const crypto::KdfParams kdf = o.kdf.params();
  const crypto::KeySecret secret = obtain_key_secret(o.secret, o.key, SecretUse::Seal);
  const int threads = io::thread_count(o.threads);
  // The test set is opened and checked before the search, so a wrong file fails in seconds.
  std::optional<ga::TestFrames> test;
  if (!o.test.empty()) {
    test.emplace(o.test, o.test_limit, o.ga.seed);
    test->check_compatible(plain);
  }
  std::unique_ptr<ga::SubsetEvaluator> validator;
  if (data.validation) validator = std::make_unique<ga::SubsetEvaluator>(plain, space, *data.validation, o.threads);
  const std::string where = o.whole ? "whole model" : fmt::format("layer {}", layer);
  if (!o.quiet && method == ga::SearchMethod::Sensitivity)
    fmt::print(stderr, "sensitivity search over {} sign bits ({}, {} ranking), subset {} samples, budget {} bits in {} rounds, {} threads\n",
               space.size(), where, ga::to_string(ga::ranking_for(plain, space)), subset.size(), o.ga.epsilon, o.rounds, threads);
  else if (!o.quiet)
    fmt::print(stderr, "searching {}{} sign bits ({}), subset {} samples, population {}, {} generations, {} restart(s){}, {} rank(s) x {} threads\n",
               candidates ? fmt::format("the {} best-ranked ({}) of ", candidates->size(), ga::to_string(ga::ranking_for(plain, space)))
                          : std::string{},
               space.size(), where, subset.size(), o.ga.population, o.ga.generations, o.restarts,
               data.validation ? fmt::format(" kept by accuracy on {} held-out samples", data.validation->size()) : std::string{},
               mpi.size(), threads);
  const auto per_restart = method == ga::SearchMethod::Sensitivity ? static_cast<std::size_t>(o.rounds) + 1
                                                                   : static_cast<std::size_t>(o.ga.generations) + 1;
  Progress bar("encrypt", per_restart * static_cast<std::size_t>(o.restarts), "generations");
  int restart = 0;
  const auto status = [&](double f, std::size_t flipped, double acc) {
    const std::string prefix = o.restarts > 1 ? fmt::format("restart {}/{} ", restart + 1, o.restarts) : std::string{};
    return fmt::format("{}best F {:.4g} flipped {} subset acc {:.1f}%", prefix, f, flipped, 100.0 * acc);
  };
  const auto on_generation = [&](const ga::GenerationStats& g) {
    bar.update(static_cast<std::size_t>(restart) * per_restart + static_cast<std::size_t>(g.generation) + 1,
               status(g.best_fitness, g.best_flipped, g.best_accuracy));
  };
  ga::RestartsResult outcome;
  if (method == ga::SearchMethod::Ga) {
    outcome = ga::run_restarts(o.ga, o.restarts, space.size(), evaluator, validator.get(), [&](int r) { restart = r; }, on_generation);
  } else {  // one run, reported as a single restart so the key is written the GA's way
    outcome = ga::single_restart(o.ga.seed,
                                 method == ga::SearchMethod::Sensitivity
                                     ? ga::sensitivity_search(plain, space, subset, local, sensitivity, o.threads, on_generation)
                                     : ga::hybrid_search(o.ga, *candidates, evaluator, local, on_generation),
                                 validator.get());
  }
  evaluator.stop();
  const ga::SearchResult& result = outcome.best().result;
  restart = static_cast<int>(outcome.chosen);
  bar.finish(status(result.fitness, result.best.count(), result.accuracy));
  const crypto::XorKey key = ga::make_key(plain, space, result.best);
  if (!ga::reached_epsilon(key.flipped_bits(), o.ga.epsilon))
    std::fprintf(stderr,
                 "snngx: warning: epsilon not reached: the key flips %zu bits, above --epsilon %d (more --generations or a "
                 "higher --mutation let the search shrink it)\n",
                 static_cast<std::size_t>(key.flipped_bits()), o.ga.epsilon);
  // Model, key and reports are staged and committed together: all of them or none.
  io::StagedOutputs staged;
  snn::Network encrypted = keyed::encrypt(plain, key);
  keyed::seal_for_model(encrypted, key, staged.stage(o.key), secret, kdf);  // sets state "encrypted" and key_fingerprint
  snn::save_model(staged.stage(o.output), encrypted);

  nlohmann::json j = {
      {"model", o.model},
      {"subset", o.subset},
      {"subset_samples", subset.size()},
      {"mode", o.whole ? "whole" : "layer"},
      {"method", ga::to_string(method)},
      {"ranking", method == ga::SearchMethod::Ga ? nlohmann::json(nullptr) : nlohmann::json(ga::to_string(ga::ranking_for(plain, space)))},
      {"hybrid_candidates", candidates ? nlohmann::json(candidates->size()) : nlohmann::json(nullptr)},
      {"layer", o.whole ? nlohmann::json(nullptr) : nlohmann::json(layer)},
      {"parameters",
       {{"epsilon", o.ga.epsilon}, {"population", o.ga.population}, {"generations", o.ga.generations}, {"retain", o.ga.retain},
        {"mutation", o.ga.mutation}, {"swaps", o.ga.swaps}, {"seed", o.ga.seed}, {"subset_size", o.subset_size},
        {"per_class", o.per_class}, {"subset_seed", o.subset_seed.value_or(o.ga.seed)}, {"restarts", o.restarts},
        {"rounds", o.rounds}}},
      {"ranks", mpi.size()},
      {"threads", threads},
      {"search_seconds", result.seconds},
      {"chosen_seed", outcome.best().seed},
      {"evaluations", result.evaluations},
      {"search_seconds_all_restarts", outcome.total_seconds()},
      {"evaluations_all_restarts", outcome.total_evaluations()},
      {"flipped_bits", key.flipped_bits()},
      {"reached_epsilon", ga::reached_epsilon(key.flipped_bits(), o.ga.epsilon)},
      {"search_space_bits", space.size()},
      {"model_weight_bits", snn::weight_bit_count(plain)},
      {"flipped_share_of_model_bits", static_cast<double>(key.flipped_bits()) / static_cast<double>(snn::weight_bit_count(plain))},
      {"best_fitness", result.fitness},
      {"best_subset_accuracy", result.accuracy},
      {"encrypted_model", o.output},
      {"key", o.key},
      {"key_fingerprint", encrypted.key_fingerprint},
      {"encrypted_weights_fingerprint", keyed::weights_fingerprint(encrypted)},
      {"best_fitness_per_generation", [&] {
         std::vector<double> v;
         for (const auto& g : result.history) v.push_back(g.best_fitness);
         return v;
       }()}};
  j["reference_compat"] = o.ga.reference_compat ? reference_compat_json(local, plain, layer, result.best, o.ga.population, test ? &*test : nullptr, o.threads)
                                                 : nlohmann::json(false);
  std::vector<nlohmann::json> per_layer;
  for (const auto& lk : key.layers) per_layer.push_back({{"layer", lk.layer}, {"flipped_bits", lk.positions.size()}, {"total_bits", lk.total_bits}});
  j["key_layers"] = per_layer;
  std::vector<double> restart_test_accuracy;
  if (test) {
    const ga::EncryptionAccuracies acc = ga::measure_encryption(plain, encrypted, key, *test, o.threads);
    warn_if_at_chance(acc.plain, plain.num_classes, o.test);
    j["test"] = {{"frames", o.test}, {"samples", test->size()}, {"accuracy_plain", acc.plain}, {"accuracy_encrypted_without_key", acc.without_key},
                 {"accuracy_with_key", acc.with_key}, {"chance", 1.0 / plain.num_classes}};
    if (o.restarts > 1) restart_test_accuracy = ga::restart_test_accuracies(plain, space, outcome, *test, acc.without_key, o.threads);
    fmt::print("test accuracy: plain {:.2f} %, encrypted without key {:.2f} %, with key {:.2f} % ({} samples)\n", 100 * acc.plain,
               100 * acc.without_key, 100 * acc.with_key, test->size());
  }
  if (data.validation) {
    j["validation"] = {{"frames", o.validation},
                       {"samples", data.validation->size()},
                       {"subset_samples_excluded", data.excluded_from_validation},
                       {"accuracy_plain", ga::test_accuracy(plain, *data.validation, o.threads)},
                       {"accuracy_encrypted_without_key", outcome.best().validation_accuracy}};
    j["restarts"] = restarts_json(outcome, restart_test_accuracy);
    j["chosen_restart"] = outcome.chosen;
    print_restarts(outcome, restart_test_accuracy);
  }
  const auto csv = report_path(o, ".csv"), svg = report_path(o, ".svg"), json = report_path(o, ".json");
  write_history_csv(staged, csv, result);
  const auto rcsv = report_path(o, ".restarts.csv");
  if (o.restarts > 1) write_restarts_csv(staged, rcsv, outcome, restart_test_accuracy);
  staged.write_text(json, j.dump(2) + "\n");
  staged.commit();
  // The plots are views of the committed CSVs, drawn after the commit.
  plot_search_history(csv, svg);
  std::vector<std::string> written{o.output, o.key, json.string(), csv.string(), svg.string()};
  if (o.restarts > 1) {
    const auto rsvg = report_path(o, ".restarts.svg");
    std::vector<int> columns{5, 6};  // subset and validation accuracy (+ test accuracy when measured)
    if (!restart_test_accuracy.empty()) columns.push_back(7);
    plot::Panel restarts;
    restarts.title = fmt::format("SNNGX restarts: restart {} kept (lowest validation accuracy)", outcome.chosen);
    restarts.xlabel = "restart";
    restarts.ylabel = "accuracy without the key (%)";
    restarts.style = plot::Style::ClusteredHistogram;
    restarts.xcol = 0;
    restarts.yrange = std::pair{0.0, 100.0};
    for (const int c : columns) restarts.series.push_back(plot::percent(c));
    plot::render(rcsv, rsvg, restarts);
    written.push_back(rcsv.string());
    written.push_back(rsvg.string());
  }
  fmt::print("flipped {} of {} sign bits searched = {:.6f} % of the model's {} weight bits; search {:.1f} s ({} evaluations{})\n",
             key.flipped_bits(), space.size(), 100.0 * j["flipped_share_of_model_bits"].get<double>(), snn::weight_bit_count(plain),
             outcome.total_seconds(), outcome.total_evaluations(), o.restarts > 1 ? fmt::format(", {} restarts", o.restarts) : std::string{});
  fmt::print("wrote {}\n", fmt::join(written, ", "));
}

// ---- attack ------------------------------------------------------------------------------------

struct AttackOptions {
  std::string model, test, key, report, finetune_data;
  SecretSource secret;
  std::size_t test_limit = 1000;
  int trials = 100, known_trials = 10, threads = 0;
  std::vector<double> known_fractions{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0};
  std::vector<double> baseline_fractions;
  int finetune_per_class = 0, finetune_epochs = 5;
  float finetune_lr = 1e-3f;
  std::vector<float> finetune_lrs;         // the attacker's sweep (empty: --finetune-lr only)
  std::string finetune_layers = "all";     // all | encrypted
  double finetune_holdout = 0.2;
  bool weight_stats = false;
  std::vector<double> weight_stats_factors{0.5, 1.0, 2.0};
  std::string recover_data;
  std::vector<int> recover_per_class;
  int recover_rounds = 10;
  std::uint64_t seed = 1;
  bool reference_compat = false;
};

nlohmann::json to_json(const ga::Distribution& d) {
  return {{"fraction", d.fraction}, {"bits", d.bits},   {"mean", d.mean()},          {"min", d.min()},
          {"max", d.max()},         {"stddev", d.stddev()}, {"accuracies", d.accuracies}};
}

void write_distribution_csv(io::StagedOutputs& staged, const fs::path& path, const std::vector<ga::Distribution>& ds) {
  std::ostringstream csv;
  csv << "fraction,mean_accuracy,min_accuracy,max_accuracy,bits\n";
  for (const auto& d : ds) csv << fmt::format("{:.8g},{:.6f},{:.6f},{:.6f},{}\n", d.fraction, d.mean(), d.min(), d.max(), d.bits);
  staged.write_text(path, csv.str());
}

// Mean, min and max test accuracy (%) against a share (%) of bits: columns of write_distribution_csv.
void plot_accuracy_distribution(const fs::path& csv, const fs::path& svg, const std::string& title, const std::string& xlabel,
                                bool logx) {
  plot::Panel p;
  p.title = title;
  p.xlabel = xlabel;
  p.ylabel = "test accuracy (%)";
  p.xscale = 100.0;
  p.logx = logx;
  p.yrange = std::pair{0.0, 100.0};
  p.series = {plot::percent(2, "mean"), plot::percent(3, "min"), plot::percent(4, "max")};
  plot::render(csv, svg, p);
}

void write_histogram_csv(io::StagedOutputs& staged, const fs::path& path, const ga::Distribution& d) {
  std::ostringstream csv;
  csv << "accuracy_bin_percent,trials\n";
  std::vector<int> bins(21, 0);  // 5 % bins
  for (const double a : d.accuracies) ++bins[static_cast<std::size_t>(std::clamp(static_cast<int>(a * 20.0), 0, 20))];
  for (std::size_t b = 0; b < bins.size(); ++b) csv << b * 5 << ',' << bins[b] << '\n';
  staged.write_text(path, csv.str());
}

// The one weighted layer the key touches, with the key file named when there is none or several.
std::size_t key_layer_of(const crypto::XorKey& key, const std::string& key_path) {
  try {
    return ga::key_layer(key);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(key_path + ": " + e.what());
  }
}

void run_attack(const AttackOptions& o) {
  const fs::path prefix = o.report.empty() ? fs::path(fs::path(o.model).replace_extension("").replace_extension("").string() + ".attack")
                                           : fs::path(o.report);
  const auto out = [&](const std::string& suffix) { return fs::path(prefix.string() + suffix); };
  check_outputs({{"--report", out(".json")}}, {{"--model", o.model}, {"--test", o.test}, {"--key", o.key}, {"--finetune-data", o.finetune_data},
                                               {"--recover-data", o.recover_data},
                                               {"--passphrase-file", o.secret.passphrase_file}, {"--device-key", o.secret.device_key}});
  const snn::Network encrypted = snn::load_model(o.model);
  if (encrypted.state != snn::ModelState::Encrypted)
    throw std::invalid_argument(o.model + ": model state is '" + snn::to_string(encrypted.state) + "', attack needs an encrypted model");
  if (!o.recover_per_class.empty() && (o.recover_data.empty() || o.key.empty()))
    throw std::invalid_argument("--recover-per-class needs --recover-data TRAIN.frames.h5 and --key (the ground truth)");
  if (o.finetune_per_class > 0 && o.finetune_data.empty())
    throw std::invalid_argument("--finetune-per-class needs --finetune-data TRAIN.frames.h5");
  if (!o.finetune_lrs.empty() && o.finetune_per_class == 0) throw std::invalid_argument("--finetune-lrs needs --finetune-per-class K");
  if (o.finetune_layers == "encrypted" && o.key.empty())
    throw std::invalid_argument("--finetune-layers encrypted needs --key (the encrypted layer is named in its header)");
  if (o.weight_stats && o.key.empty()) throw std::invalid_argument("--weight-stats needs --key (the ground truth)");
  // Unseal first: a wrong key or secret fails before minutes of experiments.
  std::optional<crypto::XorKey> key;
  if (!o.key.empty())
    key = keyed::unseal_for_model(
              o.key, encrypted, [&] { return obtain_key_secret(o.secret, o.key, SecretUse::Unseal); }, o.model)
              .key;
  check_fits_in_memory(datasets::read_frames_bytes(o.test, o.test_limit), "attack (test frames decoded)");
  const auto test = ga::read_test_samples(o.test, o.test_limit, o.seed);  // only the drawn samples are read
  snn::check_compatible(encrypted, test, o.test);
  const double chance = 1.0 / encrypted.num_classes;
  const std::uint64_t model_bits = snn::weight_bit_count(encrypted);
  nlohmann::json j = {{"model", o.model}, {"test", o.test}, {"test_samples", test.size()}, {"chance", chance}, {"seed", o.seed},
                      {"model_weight_bits", model_bits}};
  const double acc_without = ga::test_accuracy(encrypted, test, o.threads);
  j["accuracy_without_key"] = acc_without;
  fmt::print("accuracy without the key: {:.2f} % (chance {:.2f} %, {} test samples)\n", 100 * acc_without, 100 * chance, test.size());
  if (o.reference_compat) {
    const snn::Network as_reference = ga::reference_decoding(encrypted);
    std::vector<int> exponents;
    for (std::size_t l = 0; l < as_reference.num_weighted(); ++l) exponents.push_back(as_reference.weights(l).quant->exponent);
    const double acc_ref = ga::test_accuracy(as_reference, test, o.threads);
    j["reference_decoding"] = {{"exponents", exponents}, {"accuracy_without_key", acc_ref}};
    fmt::print("accuracy without the key as the reference code decodes the stored model: {:.2f} % (exponents {})\n", 100 * acc_ref,
               fmt::join(exponents, ", "));
  }
  std::vector<std::string> written{out(".json").string()};
  io::StagedOutputs staged;                  // the report's files: all or none
  std::vector<std::function<void()>> plots;  // drawn from the CSVs once they are committed

  double acc_plain = -1.0;
  if (key) {
    // Brute force: the key space from the public facts (L, and which layers the key touches).
    const ga::KeySpace bf = ga::brute_force_key_space(*key, model_bits);
    j["brute_force"] = {{"flipped_bits", bf.flipped_bits},
                        {"candidate_sign_bits", bf.candidate_sign_bits},
                        {"log2_keyspace_sign_bits_of_key_layers", bf.log2_sign_bits},
                        {"log2_keyspace_all_bits", bf.log2_all_bits}};
    fmt::print("brute force: log2 C({}, {}) = {:.1f} bits (attacker knows the layers and that only sign bits are flipped); "
               "log2 C({}, {}) = {:.1f} bits over all weight bits\n",
               bf.candidate_sign_bits, bf.flipped_bits, bf.log2_sign_bits, model_bits, bf.flipped_bits, bf.log2_all_bits);

    snn::Network plain = encrypted;
    keyed::decrypt(plain, *key);
    acc_plain = ga::test_accuracy(plain, test, o.threads);
    warn_if_at_chance(acc_plain, plain.num_classes, o.test);
    j["accuracy_with_key"] = acc_plain;
    fmt::print("accuracy with the key: {:.2f} %\n", 100 * acc_plain);

    std::fflush(stdout);  // results so far appear before the progress bar on stderr
    std::vector<double> baseline = o.baseline_fractions;
    const double share = static_cast<double>(bf.flipped_bits) / static_cast<double>(model_bits);
    if (baseline.empty()) baseline = {share, std::min(1.0, 10 * share), std::min(1.0, 100 * share), 1e-3, 1e-2};
    std::sort(baseline.begin(), baseline.end());  // the plot's x axis
    const std::size_t total = o.known_fractions.size() * static_cast<std::size_t>(o.known_trials) +
                              static_cast<std::size_t>(o.trials) * (1 + baseline.size());
    Progress bar("attack", total, "trials");
    std::size_t done = 0;
    const auto tick = [&] { bar.update(++done); };
    ga::Rng rng(o.seed);
    const auto curve = ga::partial_key_attack(encrypted, *key, test, o.known_fractions, o.known_trials, rng, o.threads, tick);
    const auto same_count = ga::random_sign_flips(plain, *key, test, o.trials, rng, o.threads, tick);
    std::vector<ga::Distribution> base;
    for (const double f : baseline) base.push_back(ga::random_bit_baseline(plain, std::min(f, 1.0), test, o.trials, rng, o.threads, tick));
    bar.finish();

    std::vector<nlohmann::json> jc, jb;
    for (const auto& d : curve) jc.push_back(to_json(d));
    for (const auto& d : base) jb.push_back(to_json(d));
    j["partial_key"] = jc;
    j["random_sign_flips_same_count"] = to_json(same_count);
    j["random_bit_baseline"] = jb;
    fmt::print("partial key (known share -> mean accuracy):");
    for (const auto& d : curve) fmt::print(" {:.0f}%->{:.1f}%", 100 * d.fraction, 100 * d.mean());
    fmt::print("\nsame number ({}) of random sign flips: mean {:.2f} % (min {:.2f}, max {:.2f}) over {} trials\n", same_count.bits,
               100 * same_count.mean(), 100 * same_count.min(), 100 * same_count.max(), o.trials);
    for (const auto& d : base)
      fmt::print("random baseline, {:.6f} % of all bits ({} bits): mean {:.2f} % (min {:.2f}, max {:.2f})\n", 100 * d.fraction, d.bits,
                 100 * d.mean(), 100 * d.min(), 100 * d.max());

    write_distribution_csv(staged, out(".partial_key.csv"), curve);
    write_distribution_csv(staged, out(".baseline.csv"), base);
    write_histogram_csv(staged, out(".random_flips.csv"), same_count);
    plots.emplace_back([&, bits = same_count.bits] {
      plot_accuracy_distribution(out(".partial_key.csv"), out(".partial_key.svg"), "Accuracy vs. known share of the key",
                                 "known share of the key (%)", false);
      plot_accuracy_distribution(out(".baseline.csv"), out(".baseline.svg"), "Random bit-flip baseline",
                                 "share of all weight bits flipped (%, log scale)", true);
      plot::Panel flips;
      flips.title = fmt::format("{} random sign flips, {} trials", bits, o.trials);
      flips.xlabel = "test accuracy (%), 5-point bins";
      flips.ylabel = "trials";
      flips.style = plot::Style::Boxes;
      flips.series = {{2, "trials"}};
      plot::render(out(".random_flips.csv"), out(".random_flips.svg"), flips);
    });
    for (const std::string s : {".partial_key", ".baseline", ".random_flips"}) written.push_back(out(s + ".{csv,svg}").string());
  } else {
    fmt::print("no --key: the key-dependent experiments (brute force, partial key, random flips, baseline) are skipped\n");
  }

  AttackOutputs outputs{prefix, j, staged, plots, written, acc_without, acc_plain};
  if (o.weight_stats) {
    const std::size_t layer = key_layer_of(*key, o.key);
    fmt::print(stderr, "weight-statistics detectors on layer {}...\n", layer);
    report_weight_statistics(outputs, ga::weight_statistics_attack(encrypted, *key, layer, test, o.weight_stats_factors, o.threads), layer,
                             key->flipped_bits());
  }
  const std::optional<std::size_t> finetune_layer =
      o.finetune_layers == "encrypted" ? std::optional<std::size_t>(key_layer_of(*key, o.key)) : std::nullopt;
  // The attacker's labelled samples: K per class, only those read from the file.
  const auto read_finetune_data = [&] {
    datasets::FrameSource finetune(o.finetune_data);
    if (finetune.size() == 0) throw std::runtime_error(o.finetune_data + ": holds no samples");  // as read_frames
    return ga::read_subset(finetune, 0, o.finetune_per_class, o.seed).frames;
  };
  if (o.finetune_per_class > 0 && !o.finetune_lrs.empty()) {
    const auto data = read_finetune_data();
    fmt::print(stderr, "fine-tuning the encrypted model at {} learning rates...\n", o.finetune_lrs.size());
    const ga::FineTuneSweepParams params{o.finetune_lrs, o.finetune_epochs, finetune_layer, o.finetune_holdout, o.seed, o.threads};
    report_finetune_sweep(outputs, ga::fine_tuning_lr_sweep(encrypted, data, test, params),
                          {{"data", o.finetune_data}, {"per_class", o.finetune_per_class}, {"samples", data.size()},
                           {"layers", o.finetune_layers}, {"trained_layer", finetune_layer ? nlohmann::json(*finetune_layer) : nlohmann::json("all")},
                           {"holdout", o.finetune_holdout}});
  } else if (o.finetune_per_class > 0) {
    const auto data = read_finetune_data();
    fmt::print(stderr, "fine-tuning the encrypted model on {} samples for {} epochs...\n", data.size(), o.finetune_epochs);
    const auto ft = ga::fine_tuning_attack(encrypted, data, test, o.finetune_epochs, o.finetune_lr, o.seed, o.threads, finetune_layer);
    nlohmann::json jf = {{"data", o.finetune_data},         {"per_class", o.finetune_per_class}, {"samples", ft.samples},
                         {"epochs", ft.epochs},             {"learning_rate", o.finetune_lr},   {"accuracy_float", ft.float_accuracy},
                         {"accuracy_quantized", ft.quantized_accuracy}, {"layers", o.finetune_layers}};
    // Share of the accuracy lost to encryption that the attacker wins back (needs the plain accuracy).
    if (acc_plain > acc_without) jf["recovered_share"] = (ft.quantized_accuracy - acc_without) / (acc_plain - acc_without);
    j["fine_tuning"] = jf;
    fmt::print("fine-tuning attack ({} samples, {} epochs): {:.2f} % (float), {:.2f} % (re-quantized)\n", ft.samples, ft.epochs,
               100 * ft.float_accuracy, 100 * ft.quantized_accuracy);
  }
  if (!o.recover_per_class.empty()) {
    const std::size_t layer = key_layer_of(*key, o.key);  // public in the key header
    datasets::FrameSource source(o.recover_data);
    if (source.size() == 0) throw std::runtime_error(o.recover_data + ": holds no samples");  // as read_frames
    snn::check_compatible(encrypted, source.meta().shape, o.recover_data);
    const std::vector<std::int32_t> labels = source.read_labels();  // the draws need the labels only
    const int classes = datasets::num_classes(source.meta().classes, labels);
    std::vector<nlohmann::json> jr;
    std::ostringstream csv;
    csv << "per_class,samples,accuracy,share_of_key_found,flipped_bits,seconds\n";
    for (const int k : o.recover_per_class) {
      const auto data = source.read_selected(ga::random_per_class_indices(labels, classes, k, o.seed));
      fmt::print(stderr, "key recovery by search with {} samples per class...\n", k);
      const auto r = ga::key_recovery_attack(encrypted, *key, layer, data, test, o.recover_rounds, o.threads);
      jr.push_back({{"per_class", k}, {"samples", r.samples}, {"accuracy", r.accuracy}, {"flipped_bits", r.flipped},
                    {"true_key_bits_found", r.true_key_bits_found}, {"key_bits", r.key_bits}, {"share_of_key_found", r.share_found()},
                    {"seconds", r.seconds},
                    {"recovered_share", acc_plain > acc_without ? nlohmann::json((r.accuracy - acc_without) / (acc_plain - acc_without))
                                                                : nlohmann::json(nullptr)}});
      csv << fmt::format("{},{},{:.6f},{:.6f},{},{:.3f}\n", k, r.samples, r.accuracy, r.share_found(), r.flipped, r.seconds);
      fmt::print("key recovery by search, {} per class ({} samples, {:.1f} s): accuracy {:.2f} %, {} of the {} key bits found ({:.1f} %)\n", k,
                 r.samples, r.seconds, 100 * r.accuracy, r.true_key_bits_found, r.key_bits, 100 * r.share_found());
    }
    j["key_recovery"] = {{"data", o.recover_data}, {"layer", layer}, {"rounds", o.recover_rounds}, {"runs", jr}};
    staged.write_text(out(".key_recovery.csv"), csv.str());
    plots.emplace_back([&] {
      plot::Panel p;
      p.title = "Key recovery by sensitivity search";
      p.xlabel = "labelled samples per class (log scale)";
      p.ylabel = "percent";
      p.logx = true;
      p.yrange = std::pair{0.0, 100.0};
      p.series = {plot::percent(3, "test accuracy"), plot::percent(4, "share of the key found")};
      plot::render(out(".key_recovery.csv"), out(".key_recovery.svg"), p);
    });
    written.push_back(out(".key_recovery.{csv,svg}").string());
  }
  staged.write_text(out(".json"), j.dump(2) + "\n");
  staged.commit();
  for (const auto& plot : plots) plot();
  fmt::print("wrote {}\n", fmt::join(written, ", "));
}

}  // namespace

void add_encrypt_commands(CLI::App& app) {
  static EncryptOptions e;
  auto* enc = app.add_subcommand("encrypt", "SNNGX: search the fewest sign bits whose XOR makes the model useless; write the encrypted model and key");
  enc->add_option("--model", e.model, "plain quantized model (*.snn.h5)")->required()->check(CLI::ExistingFile);
  enc->add_option("--subset", e.subset, "frames the fitness subset is drawn from (e.g. the training set)")->required()->check(CLI::ExistingFile);
  auto* layer = enc->add_option("--layer", e.layer, "weighted layer to search (conv0 = 0, ...; default: the last)")->check(at_least(0));
  auto* whole = enc->add_flag("--whole", e.whole, "search the sign bits of all weighted layers");
  layer->excludes(whole);
  enc->add_option("--per-class", e.per_class, "subset = the first K samples of each class (instead of --subset-size random ones)")
      ->check(CLI::NonNegativeNumber);
  enc->add_option("--subset-size", e.subset_size, "random fitness subset size")->default_val(16)->check(at_least(1));
  enc->add_option("--epsilon", e.ga.epsilon, "target number of flipped bits")->default_val(50)->check(at_least(0));
  enc->add_option("--population", e.ga.population, "population size")->default_val(100)->check(at_least(4));
  enc->add_option("--generations", e.ga.generations, "generations")->default_val(125)->check(at_least(1));
  enc->add_option("--retain", e.ga.retain, "fraction of the population kept as parents")->default_val(0.6)->check(bounded(0.0, 1.0, true));
  enc->add_option("--mutation", e.ga.mutation, "probability that a flipped bit is restored")->default_val(0.05)->check(fraction());
  enc->add_option("--swaps", e.ga.swaps, "index positions swapped between the parent halves")->default_val(5)->check(at_least(0));
  enc->add_option("--seed", e.ga.seed, "random seed of the search (restart r uses seed + r)")->default_val(70)->check(at_least(0));
  enc->add_option("--subset-seed", e.subset_seed, "seed of the random subset and validation draws (default: --seed)")->check(at_least(0));
  enc->add_option("--restarts", e.restarts,
                  "run the search K times (seeds seed..seed+K-1) and keep the key with the lowest --validation accuracy")
      ->default_val(1)->check(at_least(1));
  enc->add_option("--validation", e.validation,
                  "held-out frames the restarts' keys are compared on (e.g. the training set; the subset's samples are left out)")
      ->check(CLI::ExistingFile);
  enc->add_option("--validation-size", e.validation_size, "validation samples drawn at random (0 = all)")->default_val(2000)->check(at_least(0));
  enc->add_option("--method", e.method,
                  "search: ga (spec §4), sensitivity (greedy over ranked sign bits, budget --epsilon) or hybrid (the GA over the "
                  "best-ranked --candidates bits)")
      ->default_val("ga")->check(CLI::IsMember({"ga", "sensitivity", "hybrid"}));
  enc->add_option("--rounds", e.rounds, "sensitivity: greedy rounds (re-evaluate and re-rank after each)")->default_val(10)->check(at_least(1));
  enc->add_option("--candidates", e.candidates, "hybrid: best-ranked sign bits the GA searches (0 = 2 x epsilon)")
      ->default_val(0)->check(at_least(0));
  enc->add_option("--test", e.test, "test frames: report plain / encrypted / decrypted accuracy")->check(CLI::ExistingFile);
  enc->add_option("--test-limit", e.test_limit, "use N test samples drawn at random with --seed (0 = all)")->default_val(0)->check(at_least(0));
  enc->add_option("-o,--output", e.output, "encrypted model to write")->required();
  enc->add_option("--key", e.key, "sealed key file to write")->required();
  add_secret_options(*enc, e.secret);
  add_kdf_options(*enc, e.kdf);
  enc->add_option("--report", e.report, "prefix of the report files (default: <output>.ga): .json, .csv, .svg");
  enc->add_option("--threads", e.threads, "threads per rank (0 = all)")->default_val(0)->check(bounded(0, 1024));
  enc->add_flag("-q,--quiet", e.quiet, "no banner");
  enc->add_flag("--reference-compat", e.ga.reference_compat,
                "reproduce the authors' code, quirks included (exponent re-derived from the previously evaluated individual; "
                "docs/encryption.md)");
  enc->callback([] { run_encrypt(e); });

  static AttackOptions a;
  auto* att = app.add_subcommand("attack", "Security evaluation of an encrypted model: no key, partial key, random flips, brute force, fine-tuning, key recovery, weight statistics");
  att->add_option("--model", a.model, "encrypted model (*.snn.h5)")->required()->check(CLI::ExistingFile);
  att->add_option("--test", a.test, "test frames")->required()->check(CLI::ExistingFile);
  att->add_option("--test-limit", a.test_limit, "N test samples drawn at random with --seed, used by every experiment (0 = all)")->default_val(1000)->check(at_least(0));
  att->add_option("--key", a.key, "the key file (ground truth for the key-dependent experiments)")->check(CLI::ExistingFile);
  add_secret_options(*att, a.secret);
  att->add_option("--trials", a.trials, "trials of the random experiments")->default_val(100)->check(at_least(1));
  att->add_option("--known-trials", a.known_trials, "trials per point of the partial-key curve")->default_val(10)->check(at_least(1));
  att->add_option("--known-fractions", a.known_fractions, "known key shares of the partial-key curve")->delimiter(',')->check(fraction());
  att->add_option("--baseline-fractions", a.baseline_fractions,
                  "shares of ALL weight bits flipped at random (default: key share x1, x10, x100, 0.1 %, 1 %)")
      ->delimiter(',')->check(fraction());
  att->add_option("--finetune-data", a.finetune_data, "frames the fine-tuning attacker trains on")->check(CLI::ExistingFile);
  att->add_option("--finetune-per-class", a.finetune_per_class, "samples per class the attacker has (0 = no fine-tuning attack)")
      ->default_val(0)->check(at_least(0));
  att->add_option("--finetune-epochs", a.finetune_epochs, "fine-tuning epochs")->default_val(5)->check(at_least(1));
  att->add_option("--finetune-lr", a.finetune_lr, "fine-tuning learning rate (Adam)")->default_val(1e-3f)->check(positive());
  att->add_option("--finetune-lrs", a.finetune_lrs,
                  "the attacker's learning-rate sweep, e.g. 1e-5,1e-4,1e-3 (chosen on its own held-out samples; replaces --finetune-lr)")
      ->delimiter(',')->check(positive());
  att->add_option("--finetune-holdout", a.finetune_holdout, "share of each class's fine-tuning samples held out to choose the lr")
      ->default_val(0.2)->check(fraction());
  att->add_option("--finetune-layers", a.finetune_layers, "layers the attacker trains: all, or the encrypted one only (needs --key)")
      ->default_val("all")->check(CLI::IsMember({"all", "encrypted"}));
  att->add_flag("--weight-stats", a.weight_stats,
                "weight-statistics detectors: score each weight of the key's layer for a flipped sign; ROC AUC on the key, accuracy "
                "after flipping back the top guesses (needs --key)");
  att->add_option("--weight-stats-factors", a.weight_stats_factors, "guesses flipped back, as multiples of the key's bit count L")
      ->delimiter(',')->check(CLI::NonNegativeNumber);
  att->add_option("--recover-data", a.recover_data, "frames the key-recovery attacker draws its labelled samples from")
      ->check(CLI::ExistingFile);
  att->add_option("--recover-per-class", a.recover_per_class,
                  "key recovery by search: labelled samples per class, e.g. 1,10,100 (needs --key as the ground truth)")
      ->delimiter(',')->check(at_least(1));
  att->add_option("--recover-rounds", a.recover_rounds, "key recovery: greedy rounds of the search")->default_val(10)->check(at_least(1));
  att->add_option("--seed", a.seed, "random seed of the experiments")->default_val(1)->check(at_least(0));
  att->add_option("--report", a.report, "prefix of the report files (default: <model>.attack)");
  att->add_flag("--reference-compat", a.reference_compat,
                "also report the accuracy without the key as the authors' code decodes the stored model (exponents re-derived "
                "from its signed maxima; docs/encryption.md)");
  att->add_option("--threads", a.threads, "threads (0 = all)")->default_val(0)->check(bounded(0, 1024));
  att->callback([] { run_attack(a); });
}

}  // namespace snngx::app
