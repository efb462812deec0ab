#pragma once
// Checks every command runs before any work: output locations (one rule for -o, --key,
// --outputs, --report, --report-dir, --json-out, --trace, ...) and numeric option bounds.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace snngx::app {

/// A path given on the command line, named by its option ("-o", "--model", ...).
struct PathArg {
  std::string option;
  std::filesystem::path path;
};

/// Throws std::invalid_argument "<option> <path>: <problem>" unless every non-empty output can be
/// written: its folder exists and is writable, it is not a folder itself, it is no input and no
/// other output ("-o a.snn.h5: the output would overwrite the input --model").
void check_outputs(const std::vector<PathArg>& outputs, const std::vector<PathArg>& inputs = {});
/// The same rule for an output folder (--report-dir, --out): an existing writable folder, or one
/// that can be created under the nearest existing folder. Nothing is created here.
void check_output_folder(const PathArg& folder);

/// Prints "snngx: warning: ..." when a plain model's accuracy is at most 1.5 x chance: encrypting
/// or attacking such a model measures nothing (train it first).
void warn_if_at_chance(double accuracy, int classes, const std::string& what);

/// Refuses, with the estimate and the limit in the message, work whose estimated memory exceeds
/// the machine's available memory (or --max-memory).
void check_fits_in_memory(std::uint64_t estimate_bytes, const std::string& what);

/// A number in [lo, hi] (or (lo, hi] with `lo_open`); NaN is refused; bounds printed readably.
CLI::Validator bounded(double lo, double hi, bool lo_open = false);
inline CLI::Validator at_least(double lo) { return bounded(lo, std::numeric_limits<double>::infinity()); }
inline CLI::Validator positive() { return bounded(0.0, std::numeric_limits<double>::infinity(), true); }
inline CLI::Validator fraction() { return bounded(0.0, 1.0); }

}  // namespace snngx::app
