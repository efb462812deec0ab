#pragma once
// Runs the snngx executable (path from the SNNGX_EXE definition) and captures its output.
#include <array>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

namespace snngx::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitized = true;
#else
inline constexpr bool kAddressSanitized = false;
#endif

/// A peak-RSS cap for a measured command: under AddressSanitizer the shadow memory (1/8 of the
/// heap) and redzones add a bounded share, so the cap grows by half; the claim checked (far below
/// the dense size) stays the same.
inline double peak_rss_cap_mb(double release_cap_mb) {
  return kAddressSanitized ? 1.5 * release_cap_mb : release_cap_mb;
}

/// Runs snngx with `args` as its own child (stdout to /dev/null) and returns its exit code and
/// peak resident set in MB (wait4's rusage covers exactly that process).
inline std::pair<int, double> run_snngx_measured(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if constexpr (kAddressSanitized) {
      // ASan's quarantine holds up to 256 MB of freed blocks by default: a peak that measures
      // the sanitizer, not the command.
      const char* given = std::getenv("ASAN_OPTIONS");
      const std::string options =
          std::string(given ? given : "") + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
      ::setenv("ASAN_OPTIONS", options.c_str(), 1);
    }
    std::vector<char*> argv{const_cast<char*>(SNNGX_EXE)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (std::freopen("/dev/null", "w", stdout) == nullptr) ::_exit(126);
    ::execv(SNNGX_EXE, argv.data());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, static_cast<double>(usage.ru_maxrss) / 1024.0};
}

/// Runs `snngx <args>` through the shell with stdin closed; stderr goes to a temp file.
inline CommandResult run_snngx(const std::string& args, const std::string& env = "") {
  std::string err_file = "/tmp/snngx-cli-stderr-XXXXXX";
  const int fd = ::mkstemp(err_file.data());
  if (fd >= 0) ::close(fd);
  const std::string cmd = env + " " + SNNGX_EXE + std::string(" ") + args + " </dev/null 2>" + err_file;
  CommandResult r;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    while (const size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  if (FILE* e = std::fopen(err_file.c_str(), "r")) {
    std::array<char, 4096> buf{};
    while (const size_t n = std::fread(buf.data(), 1, buf.size(), e)) r.err.append(buf.data(), n);
    std::fclose(e);
    std::remove(err_file.c_str());
  }
  return r;
}

/// A path quoted for the shell command line run_snngx builds.
inline std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// Every file and folder below `dir`: what a command left behind.
inline std::set<std::filesystem::path> files_under(const std::filesystem::path& dir) {
  std::set<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) files.insert(e.path());
  return files;
}

}  // namespace snngx::testing
