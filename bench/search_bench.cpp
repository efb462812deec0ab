// Search methods compared (issue 19, points 3 and 5): for every fitness subset (K random samples
// per class, one draw per seed), every method (ga | sensitivity | hybrid) and every budget, the
// key's test accuracy without the key (exact: the searched layer's test inputs are cached once
// and every key is evaluated incrementally, identical to snn::infer), flipped bits and search
// time. One CSV row per run; scripts/search_compare.sh drives it and draws the tables and plots.
//
//   search_bench --model Q.snn.h5 --train TRAIN.frames.h5 --test TEST.frames.h5 [--layer L]
//                [--methods ga,sensitivity,hybrid] [--budgets 950] [--seeds 1,2,3,4,5]
//                [--per-class 1] [--mutation 0.005] [--generations 1500] [--hybrid-generations G]
//                [--rounds 10]
//                [--threads 2] [--test-limit 0] [--out runs.csv]
#include <fmt/core.h>

#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/ga/genetic.hpp"
#include "snngx/ga/sensitivity.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = s.find(',', start);
    v.push_back(s.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return v;
}
std::vector<std::uint64_t> split_numbers(const std::string& s) {
  std::vector<std::uint64_t> v;
  for (const auto& x : split(s)) v.push_back(std::stoull(x));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace snngx;
  std::string model_path, train_path, test_path, out_path = "search_runs.csv", methods = "ga,sensitivity,hybrid";
  std::string budgets = "950", seeds = "1,2,3,4,5", per_class = "1";
  int layer = -1, generations = 1500, hybrid_generations = -1, rounds = 10, threads = 2;
  double mutation = 0.005;
  std::size_t test_limit = 0;
  CLI::App app{"Search methods compared (GA, sensitivity, hybrid) over budgets and seeds; one CSV row per run", "search_bench"};
  app.add_option("--model", model_path, "model file")->required()->check(CLI::ExistingFile);
  app.add_option("--train", train_path, "frame file the subsets are drawn from")->required()->check(CLI::ExistingFile);
  app.add_option("--test", test_path, "frame file the keys are scored on")->required()->check(CLI::ExistingFile);
  app.add_option("--layer", layer, "weighted layer to search (default: the last)");
  app.add_option("--methods", methods, "comma-separated: ga, sensitivity, hybrid");
  app.add_option("--budgets", budgets, "comma-separated bit budgets");
  app.add_option("--seeds", seeds, "comma-separated seeds");
  app.add_option("--per-class", per_class, "comma-separated subset samples per class");
  app.add_option("--mutation", mutation, "GA mutation rate")->check(CLI::Range(0.0, 1.0));
  app.add_option("--generations", generations, "GA generations")->check(CLI::Range(1, 1000000));
  app.add_option("--hybrid-generations", hybrid_generations, "generations of the hybrid's GA (default: --generations)");
  app.add_option("--rounds", rounds, "sensitivity rounds")->check(CLI::Range(1, 1000000));
  app.add_option("--threads", threads, "worker threads")->check(CLI::Range(0, 1024));
  app.add_option("--test-limit", test_limit, "score on this many test samples (0 = all)");
  app.add_option("--out", out_path, "CSV file of the runs");
  return snngx::bench::run(app, argc, argv, [&] {
    const snn::Network plain = snn::load_model(model_path);
    const std::size_t l = layer >= 0 ? static_cast<std::size_t>(layer) : plain.num_weighted() - 1;
    const auto space = ga::SearchSpace::layer(plain, l);
    const auto train = datasets::read_frames(train_path);
    auto test = datasets::read_frames(test_path);
    if (test_limit > 0 && test_limit < test.size()) test = ga::select_subset(test, test_limit, 0, 1);
    const ga::SubsetEvaluator on_test(plain, space, test, threads);
    const double plain_acc = on_test.accuracy(ga::BitVector(space.size()));
    std::ofstream out(out_path);
    out << "model,layer,method,per_class,seed,budget,flipped_bits,subset_accuracy,test_accuracy,plain_test_accuracy,test_samples,"
           "search_seconds,evaluations\n";
    std::cerr << fmt::format("{}: layer {} ({} sign bits), plain test accuracy {:.2f} % on {} samples, {}\n", model_path, l, space.size(),
                             100 * plain_acc, test.size(), bench::cpu_name());
    for (const auto k : split_numbers(per_class))
      for (const auto seed : split_numbers(seeds)) {
        const auto subset = train.select(ga::random_per_class_indices(train, static_cast<int>(k), seed));
        const ga::SubsetEvaluator ev(plain, space, subset, threads);
        for (const auto& m : split(methods))
          for (const auto budget : split_numbers(budgets)) {
            const auto method = ga::parse_search_method(m);
            ga::GaParams p;
            p.epsilon = static_cast<int>(budget);
            p.mutation = mutation;
            p.generations = generations;
            p.seed = seed;
            ga::SearchResult r;
            if (method == ga::SearchMethod::Sensitivity) {
              r = ga::sensitivity_search(plain, space, subset, ev, {static_cast<int>(budget), rounds}, threads);
            } else if (method == ga::SearchMethod::Hybrid) {
              ga::CandidateEvaluator c(ev, ga::hybrid_candidates(plain, space, subset, ev, 2 * budget, threads), subset, plain.time_steps,
                                       plain.num_classes, threads);
              ga::GaParams hp = p;
              if (hybrid_generations >= 0) hp.generations = hybrid_generations;
              r = ga::hybrid_search(hp, c, c, ev);
            } else {
              // The evaluator's accuracies() is the parallel path the GA uses.
              r = ga::run_search(p, space.size(), const_cast<ga::SubsetEvaluator&>(ev));
            }
            const double acc = on_test.accuracy(r.best);
            const std::string row = fmt::format("{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{},{:.3f},{}", model_path, l, m, k, seed, budget,
                                                r.best.count(), r.accuracy, acc, plain_acc, test.size(), r.seconds, r.evaluations);
            out << row << '\n' << std::flush;
            std::cerr << row << '\n';
          }
      }
  });
}
