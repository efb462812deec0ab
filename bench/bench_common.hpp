#pragma once
// Shared by the benchmarks: argument parsing (CLI11, one rule for every bench program) and a
// description of the machine the numbers were measured on.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <exception>
#include <fstream>
#include <string>

namespace snngx::bench {

/// The CPU model from /proc/cpuinfo ("unknown CPU" elsewhere).
inline std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

/// `--quick`: shorter runs. Every bench program accepts it, so that `scripts/bench.sh --quick`
/// can pass it to all of them.
inline CLI::Option* add_quick_flag(CLI::App& app, bool& quick) {
  return app.add_flag("--quick", quick, "shorter runs (fewer repetitions, smaller inputs)");
}

/// Parses the arguments, then runs `body`. `--help` prints the options and exits 0; a bad
/// argument prints CLI11's message and exits 2 (usage); an exception from `body` prints
/// "<program>: error: <message>" as one line and exits 1.
template <class Body>
int run(CLI::App& app, int argc, char** argv, Body&& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    fmt::print(stderr, "{}: error: {} (see --help)\n", app.get_name(), e.what());
    return 2;
  }
  try {
    body();
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", app.get_name(), e.what());
    return 1;
  }
  return 0;
}

}  // namespace snngx::bench
