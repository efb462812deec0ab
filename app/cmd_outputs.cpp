// snngx outputs export: the arrays of an outputs file (infer/simulate/cosim --outputs) as CSV
// or NumPy .npy files. The work is done by snngx/datasets/outputs_export.hpp.
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "checks.hpp"
#include "commands.hpp"
#include "snngx/datasets/outputs_export.hpp"

namespace snngx::app {
namespace {
namespace fs = std::filesystem;

struct ExportOptions {
  fs::path file, csv_dir, npy_dir;
};

void run_export(const ExportOptions& o) {
  const bool csv = !o.csv_dir.empty();
  const fs::path dir = csv ? o.csv_dir : o.npy_dir;
  const std::string option = csv ? "--csv" : "--npy";
  check_output_folder({option, dir});
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw std::invalid_argument(option + " " + dir.string() + ": is not a folder");
  const auto written =
      datasets::export_outputs(o.file, dir, csv ? datasets::ExportFormat::csv : datasets::ExportFormat::npy);
  for (const auto& p : written) fmt::print("wrote {}\n", p.string());
}

}  // namespace

void add_outputs_commands(CLI::App& app) {
  auto* outputs = app.add_subcommand("outputs", "Outputs files (*.h5 written by infer/simulate/cosim --outputs)");
  outputs->require_subcommand(1);
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = outputs->add_subcommand("export", "Write every array of an outputs file (spike_counts, predictions, labels, "
                                                "cycles, ...) as <name>.csv or <name>.npy into a folder, for readers without HDF5");
  cmd->add_option("FILE", o->file, "outputs file (HDF5)")->required();
  auto* csv = cmd->add_option("--csv", o->csv_dir, "folder for one CSV per array (header row, one row per sample)");
  auto* npy = cmd->add_option("--npy", o->npy_dir, "folder for one NumPy .npy (format 1.0) per array");
  csv->excludes(npy);
  cmd->callback([o, csv, npy] {
    if (csv->count() + npy->count() != 1) throw std::invalid_argument("outputs export: give --csv DIR or --npy DIR");
    run_export(*o);
  });
}

}  // namespace snngx::app
