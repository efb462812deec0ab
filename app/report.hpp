#pragma once
// Presentation helpers shared by the subcommands: progress bar, atomic text/JSON output.
// Plots: plot.hpp.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace snngx::app {

/// A one-line progress bar on stderr with rate and ETA ("[#####....] 412/1000 812.3 samples/s ETA 0:01").
/// On a non-terminal stderr (CI, logs) it prints a plain line at most every 2 s instead.
class Progress {
 public:
  Progress(std::string label, std::size_t total, std::string unit = "samples");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void update(std::size_t done, const std::string& extra = "");
  void finish(const std::string& extra = "");

 private:
  std::string label_, unit_;
  std::size_t total_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool tty_, finished_ = false, finishing_ = false;
};

/// Writes text to `path` atomically (temporary file + rename).
void write_text_atomically(const std::filesystem::path& path, const std::string& text);
void write_json(const std::filesystem::path& path, const nlohmann::json& j);

/// "12,345" style number, and human durations "1:02:03".
std::string human_duration(double seconds);

}  // namespace snngx::app
