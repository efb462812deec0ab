#pragma once
// Runs the snngx executable (path from the SNNGX_EXE definition) and captures its output.
#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace snngx::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

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

}  // namespace snngx::testing
