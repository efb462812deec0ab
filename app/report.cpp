#include "report.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "snngx/io/output_files.hpp"

namespace snngx::app {
namespace fs = std::filesystem;

std::string human_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  const auto t = static_cast<long>(s + 0.5);
  return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60) : fmt::format("{}:{:02}", t / 60, t % 60);
}

Progress::Progress(std::string label, std::size_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), start_(std::chrono::steady_clock::now()),
      last_print_(start_), tty_(::isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() {
  if (!finished_ && tty_) std::fputc('\n', stderr);
}

void Progress::update(std::size_t done, const std::string& extra) {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  // Throttle; the final state is printed once, by finish().
  if (since < (tty_ ? 0.1 : 2.0) || (done >= total_ && !finishing_)) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : 0.0;
  constexpr int width = 28;
  const int filled = total_ ? static_cast<int>(width * std::min(done, total_) / total_) : width;
  const std::string bar = std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.');
  const std::string line = fmt::format("{} [{}] {}/{} {:.1f} {}/s ETA {}{}{}", label_, bar, done, total_, rate, unit_,
                                       human_duration(eta), extra.empty() ? "" : "  ", extra);
  if (tty_) std::fprintf(stderr, "\r%s\033[K", line.c_str());
  else std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

void Progress::finish(const std::string& extra) {
  if (finished_) return;
  last_print_ = {};
  finishing_ = true;
  update(total_, extra);
  if (tty_) std::fputc('\n', stderr);
  finished_ = true;
}

void write_text_atomically(const fs::path& path, const std::string& text) { io::write_text_atomically(path, text); }

void write_json(const fs::path& path, const nlohmann::json& j) { write_text_atomically(path, j.dump(2) + "\n"); }

}  // namespace snngx::app
