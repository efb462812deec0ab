#pragma once
// Presentation of the harder attacks of `snngx attack` (issue 19, point 4): the fine-tuning
// learning-rate sweep and the weight-statistics detector. The experiments themselves are in
// snngx_ga (ga/attack.hpp, ga/flip_detector.hpp); these functions print, fill the JSON report,
// stage the CSVs and queue the plots.
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "snngx/ga/attack.hpp"
#include "snngx/io/output_files.hpp"

namespace snngx::app {

/// Where an attack writes: the report's JSON, its staged files, plots drawn after the commit.
struct AttackOutputs {
  std::filesystem::path prefix;  // PREFIX of PREFIX.json, PREFIX.finetune.csv, ...
  nlohmann::json& json;
  io::StagedOutputs& staged;
  std::vector<std::function<void()>>& plots;
  std::vector<std::string>& written;
  double accuracy_without_key = 0.0;
  double accuracy_with_key = -1.0;  // -1: unknown (no --key)
  [[nodiscard]] std::filesystem::path file(const std::string& suffix) const { return prefix.string() + suffix; }
  /// Share of the accuracy lost to encryption that `accuracy` wins back (null without the key).
  [[nodiscard]] nlohmann::json recovered_share(double accuracy) const;
};

/// `json_extra` is merged into the report's "fine_tuning_sweep" object (data, per class, layers).
void report_finetune_sweep(AttackOutputs& out, const ga::FineTuneSweepResult& sweep, const nlohmann::json& json_extra);

void report_weight_statistics(AttackOutputs& out, const std::vector<ga::DetectorResult>& results, std::size_t layer,
                              std::size_t key_bits);

}  // namespace snngx::app
