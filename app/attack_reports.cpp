#include "attack_reports.hpp"

#include <fmt/core.h>

#include <sstream>

#include "plot.hpp"

namespace snngx::app {

nlohmann::json AttackOutputs::recovered_share(double accuracy) const {
  if (accuracy_with_key <= accuracy_without_key) return nullptr;
  return (accuracy - accuracy_without_key) / (accuracy_with_key - accuracy_without_key);
}

void report_finetune_sweep(AttackOutputs& out, const ga::FineTuneSweepResult& sweep, const nlohmann::json& json_extra) {
  std::vector<nlohmann::json> runs;
  std::ostringstream csv;
  csv << "learning_rate,validation_accuracy,test_accuracy_float,test_accuracy_quantized,seconds,chosen\n";
  for (std::size_t i = 0; i < sweep.runs.size(); ++i) {
    const auto& r = sweep.runs[i];
    const bool chosen = i == sweep.chosen;
    runs.push_back({{"learning_rate", r.learning_rate},
                    {"validation_accuracy", r.validation_accuracy},
                    {"accuracy_float", r.float_accuracy},
                    {"accuracy_quantized", r.quantized_accuracy},
                    {"recovered_share", out.recovered_share(r.quantized_accuracy)},
                    {"seconds", r.seconds},
                    {"chosen", chosen}});
    csv << fmt::format("{:.6g},{:.6f},{:.6f},{:.6f},{:.3f},{}\n", r.learning_rate, r.validation_accuracy, r.float_accuracy,
                       r.quantized_accuracy, r.seconds, chosen ? 1 : 0);
    fmt::print("fine-tuning lr {:.0e}: held-out {:.2f} %, test {:.2f} % (float) / {:.2f} % (re-quantized), {:.1f} s{}\n", r.learning_rate,
               100 * r.validation_accuracy, 100 * r.float_accuracy, 100 * r.quantized_accuracy, r.seconds,
               chosen ? "  <- chosen on the held-out samples" : "");
  }
  const auto& best = sweep.best();
  double seconds = 0.0;
  for (const auto& r : sweep.runs) seconds += r.seconds;
  nlohmann::json j = json_extra;
  j.update({{"train_samples", sweep.train_samples},
            {"validation_samples", sweep.validation_samples},
            {"validation_is_training_data", sweep.validation_is_training_data},
            {"epochs", sweep.epochs},
            {"runs", runs},
            {"chosen_learning_rate", best.learning_rate},
            {"accuracy_quantized", best.quantized_accuracy},
            {"recovered_share", out.recovered_share(best.quantized_accuracy)},
            {"attacker_seconds", seconds}});
  out.json["fine_tuning_sweep"] = j;
  fmt::print("fine-tuning with the attacker's lr sweep ({} training + {} held-out samples{}, {} epochs per lr, {:.1f} s in all): "
             "lr {:.0e} chosen, test accuracy {:.2f} % (re-quantized)\n",
             sweep.train_samples, sweep.validation_samples, sweep.validation_is_training_data ? " = the training samples" : "",
             sweep.epochs, seconds, best.learning_rate, 100 * best.quantized_accuracy);
  const auto path = out.file(".finetune.csv");
  out.staged.write_text(path, csv.str());
  out.plots.emplace_back([path, svg = out.file(".finetune.svg")] {
    plot::Panel p;
    p.title = "Fine-tuning attack: the attacker's learning-rate sweep";
    p.xlabel = "learning rate (log scale)";
    p.ylabel = "accuracy (%)";
    p.logx = true;
    p.yrange = std::pair{0.0, 100.0};
    p.series = {plot::percent(2, "held-out (attacker's choice)"), plot::percent(3, "test, float"), plot::percent(4, "test, re-quantized")};
    plot::render(path, svg, p);
  });
  out.written.push_back(out.file(".finetune.{csv,svg}").string());
}

void report_weight_statistics(AttackOutputs& out, const std::vector<ga::DetectorResult>& results, std::size_t layer,
                              std::size_t key_bits) {
  std::vector<nlohmann::json> jd;
  std::ostringstream roc, top;
  roc << "false_positive_rate";
  top << "factor,guesses";
  for (const auto& r : results) roc << ',' << ga::to_string(r.detector);
  for (const auto& r : results) top << ",accuracy_" << ga::to_string(r.detector) << ",key_bits_" << ga::to_string(r.detector);
  roc << '\n';
  top << '\n';
  constexpr int kRocPoints = 200;  // the curve on a fixed FPR grid: one CSV for all detectors
  for (int i = 0; i <= kRocPoints; ++i) {
    const double fpr = static_cast<double>(i) / kRocPoints;
    roc << fmt::format("{:.4f}", fpr);
    for (const auto& r : results) roc << fmt::format(",{:.6f}", ga::tpr_at(r.roc, fpr));
    roc << '\n';
  }
  for (std::size_t g = 0; !results.empty() && g < results.front().guesses.size(); ++g) {
    top << fmt::format("{:.6g},{}", results.front().guesses[g].factor, results.front().guesses[g].guesses);
    for (const auto& r : results) top << fmt::format(",{:.6f},{}", r.guesses[g].accuracy, r.guesses[g].true_key_bits);
    top << '\n';
  }
  for (const auto& r : results) {
    std::vector<nlohmann::json> guesses;
    for (const auto& g : r.guesses)
      guesses.push_back({{"factor", g.factor},
                         {"guesses", g.guesses},
                         {"true_key_bits", g.true_key_bits},
                         {"accuracy", g.accuracy},
                         {"recovered_share", out.recovered_share(g.accuracy)}});
    jd.push_back({{"detector", ga::to_string(r.detector)}, {"auc", r.auc}, {"seconds", r.seconds}, {"top_l", guesses}});
    fmt::print("weight statistics, {}: ROC AUC {:.3f}", ga::to_string(r.detector), r.auc);
    for (const auto& g : r.guesses)
      fmt::print("; top {} ({}x L): {} key bits, accuracy {:.2f} %", g.guesses, g.factor, g.true_key_bits, 100 * g.accuracy);
    fmt::print("\n");
  }
  out.json["weight_statistics"] = {{"layer", layer}, {"key_bits", key_bits}, {"detectors", jd}};
  const auto roc_csv = out.file(".weight_stats.roc.csv"), top_csv = out.file(".weight_stats.top.csv");
  out.staged.write_text(roc_csv, roc.str());
  out.staged.write_text(top_csv, top.str());
  out.plots.emplace_back([roc_csv, top_csv, roc_svg = out.file(".weight_stats.roc.svg"), top_svg = out.file(".weight_stats.top.svg"),
                          n = static_cast<int>(results.size()), key_bits] {
    plot::Panel p;
    p.title = fmt::format("Weight-statistics detectors vs the true key ({} bits): ROC", key_bits);
    p.xlabel = "false positive rate (%)";
    p.ylabel = "true positive rate (%)";
    p.xscale = 100.0;
    p.yrange = std::pair{0.0, 100.0};
    for (int c = 0; c < n; ++c) p.series.push_back(plot::percent(2 + c));
    plot::render(roc_csv, roc_svg, p);
    plot::Panel a;
    a.title = "Accuracy after flipping back the detector's top-L guesses";
    a.xlabel = "guesses L (sign bits flipped back)";
    a.ylabel = "test accuracy (%)";
    a.xcol = 2;
    a.yrange = std::pair{0.0, 100.0};
    for (int c = 0; c < n; ++c) a.series.push_back(plot::percent(3 + 2 * c));
    plot::render(top_csv, top_svg, a);
  });
  out.written.push_back(out.file(".weight_stats.{roc,top}.{csv,svg}").string());
}

}  // namespace snngx::app
