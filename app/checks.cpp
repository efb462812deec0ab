#include "checks.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "snngx/io/memory.hpp"

namespace snngx::app {
namespace fs = std::filesystem;
namespace {

std::string quoted(const PathArg& a) { return a.option + " " + a.path.string(); }

[[noreturn]] void refuse(const PathArg& a, const std::string& problem) { throw std::invalid_argument(quoted(a) + ": " + problem); }

fs::path folder_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }

bool writable_folder(const fs::path& dir) { return ::access(dir.c_str(), W_OK | X_OK) == 0; }

// Absolute, symlinks resolved where the path exists: two spellings of one file compare equal.
fs::path resolved(const fs::path& p) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(p).lexically_normal();
  const fs::path r = fs::weakly_canonical(absolute, ec);
  return ec ? absolute : r;
}

void check_folder_exists(const PathArg& a, const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) refuse(a, "the folder " + dir.string() + " does not exist");
  if (!fs::is_directory(dir, ec)) refuse(a, dir.string() + " is not a folder");
  if (!writable_folder(dir)) refuse(a, "the folder " + dir.string() + " is not writable");
}

void check_output(const PathArg& a) {
  std::error_code ec;
  if (a.path.filename().empty() || fs::is_directory(a.path, ec)) refuse(a, "is a folder, not a file");
  check_folder_exists(a, folder_of(a.path));
  if (fs::exists(a.path, ec) && !fs::is_regular_file(a.path, ec)) refuse(a, "exists and is not a regular file");
}

}  // namespace

void check_outputs(const std::vector<PathArg>& outputs, const std::vector<PathArg>& inputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const PathArg& out = outputs[i];
    if (out.path.empty()) continue;
    check_output(out);
    const fs::path me = resolved(out.path);
    for (const PathArg& in : inputs)
      if (!in.path.empty() && resolved(in.path) == me) refuse(out, "the output would overwrite the input " + in.option);
    for (std::size_t j = 0; j < i; ++j)
      if (!outputs[j].path.empty() && resolved(outputs[j].path) == me) refuse(out, "the same file is also the output " + outputs[j].option);
  }
}

void check_output_folder(const PathArg& folder) {
  if (folder.path.empty()) return;
  std::error_code ec;
  fs::path existing = fs::absolute(folder.path).lexically_normal();
  while (!fs::exists(existing, ec) && existing.has_relative_path()) existing = existing.parent_path();
  if (!fs::is_directory(existing, ec)) refuse(folder, existing.string() + " is not a folder");
  if (!writable_folder(existing)) refuse(folder, "the folder " + existing.string() + " is not writable");
}

CLI::Validator bounded(double lo, double hi, bool lo_open) {
  const std::string range = std::isinf(hi) ? fmt::format("{} {:g}", lo_open ? ">" : ">=", lo)
                                           : fmt::format("in {}{:g}, {:g}]", lo_open ? "(" : "[", lo, hi);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end == nullptr || *end != '\0') return "'" + text + "' is not a number";
        const bool ok = !std::isnan(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
        return ok ? std::string{} : "'" + text + "' must be " + range;
      },
      "NUMBER " + range);
}

void check_fits_in_memory(std::uint64_t estimate_bytes, const std::string& what) {
  io::check_memory(estimate_bytes, what, io::memory_limit());
}

void warn_if_at_chance(double accuracy, int classes, const std::string& what) {
  const double chance = 1.0 / std::max(classes, 1);
  if (accuracy <= 1.5 * chance)
    std::fprintf(stderr,
                 "snngx: warning: %s: the plain model is at chance (%.2f %%, chance %.2f %%): its encryption protects nothing; "
                 "train it first\n",
                 what.c_str(), 100.0 * accuracy, 100.0 * chance);
}

}  // namespace snngx::app
