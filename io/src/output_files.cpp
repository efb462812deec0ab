#include "snngx/io/output_files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

namespace snngx::io {
namespace fs = std::filesystem;

namespace {

// Live temporaries. Slots are reused; a slot's index is the Temporary's handle. Never destroyed
// (a leaked singleton), so an interrupt during static destruction still finds it.
class Registry {
 public:
  static Registry& get() {
    static Registry* const instance = new Registry;
    return *instance;
  }

  std::size_t add(const fs::path& p) {
    const std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (!slots_[i]) {
        slots_[i] = p;
        return i;
      }
    slots_.emplace_back(p);
    return slots_.size() - 1;
  }

  void remove(std::size_t slot) {
    const std::lock_guard lock(mutex_);
    slots_.at(slot).reset();
  }

  std::vector<fs::path> paths() {
    const std::lock_guard lock(mutex_);
    std::vector<fs::path> out;
    for (const auto& s : slots_)
      if (s) out.push_back(*s);
    return out;
  }

  /// Held by StagedOutputs::commit: an interrupt waits until every rename of a commit is done.
  [[nodiscard]] std::unique_lock<std::recursive_mutex> hold() { return std::unique_lock(mutex_); }

  // Removes every temporary and ends the process while holding the lock, so no new temporary
  // is registered in between.
  [[noreturn]] void remove_all_and_exit(int signal_number) {
    mutex_.lock();
    std::size_t removed = 0;
    for (const auto& s : slots_) {
      std::error_code ignored;
      if (s && fs::remove_all(*s, ignored) > 0) ++removed;
    }
    const std::string line = std::string("snngx: interrupted by ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") + ", " +
                             std::to_string(removed) + " temporary file(s) removed\n";
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
    ::_exit(128 + signal_number);
  }

 private:
  // Recursive: commit() holds it across its renames while releasing temporaries (which lock it again).
  std::recursive_mutex mutex_;
  std::vector<std::optional<fs::path>> slots_;
};

int signal_pipe[2] = {-1, -1};

// Async-signal-safe: only write(2) of the signal number.
extern "C" void on_interrupt(int signal_number) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(signal_number);
  [[maybe_unused]] const auto n = ::write(signal_pipe[1], &byte, 1);
  errno = saved;
}

void cleanup_loop() {
  unsigned char byte = 0;
  while (true) {
    const auto n = ::read(signal_pipe[0], &byte, 1);
    if (n == 1) Registry::get().remove_all_and_exit(byte);
    if (n < 0 && errno == EINTR) continue;
    return;  // the pipe is gone: nothing to watch
  }
}

}  // namespace

void install_interrupt_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::pipe2(signal_pipe, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    std::thread(cleanup_loop).detach();
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (const int s : {SIGINT, SIGTERM}) ::sigaction(s, &sa, nullptr);
  });
}

fs::path temporary_name(const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  return tmp;
}

Temporary::Temporary(fs::path path) : path_(std::move(path)), slot_(Registry::get().add(path_)) {}

Temporary::~Temporary() {
  if (!released_) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  Registry::get().remove(slot_);
}

void Temporary::release() { released_ = true; }

StagedFile::StagedFile(fs::path target) : target_(std::move(target)), temp_(temporary_name(target_)) {}

void StagedFile::commit() {
  fs::rename(temp_.path(), target_);
  temp_.release();
}

const fs::path& StagedOutputs::stage(const fs::path& target) {
  files_.push_back(std::make_unique<StagedFile>(target));
  return files_.back()->temp();
}

void StagedOutputs::write(const fs::path& target, const std::function<void(const fs::path&)>& write) { write(stage(target)); }

void StagedOutputs::write_text(const fs::path& target, std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  write_bytes_to(stage(target), {bytes, text.size()});
}

void StagedOutputs::commit() {
  std::error_code ec;
  for (const auto& f : files_)
    if (!fs::exists(f->temp(), ec)) throw std::runtime_error(f->target().string() + ": was not written");
  // All renames under the registry's lock: SIGINT / SIGTERM arriving now are handled after the
  // last rename (then nothing is left to remove), never between two of them. A rename that fails
  // (the folder vanished) removes the targets this commit already renamed: none, not some.
  const auto no_interrupt = Registry::get().hold();
  std::size_t renamed = 0;
  try {
    for (; renamed < files_.size(); ++renamed) files_[renamed]->commit();
  } catch (const fs::filesystem_error& e) {
    for (std::size_t i = 0; i < renamed; ++i) fs::remove(files_[i]->target(), ec);
    throw std::runtime_error(files_[renamed]->target().string() + ": cannot write (" + e.code().message() + ")");
  }
  files_.clear();
}

NewFolder::NewFolder(const fs::path& dir) {
  std::error_code ec;
  if (dir.empty() || fs::exists(dir, ec)) return;
  fs::path top = fs::absolute(dir).lexically_normal();
  if (!top.has_filename()) top = top.parent_path();  // "a/b/" names the folder "b"
  while (top.has_parent_path() && top.parent_path() != top && !fs::exists(top.parent_path(), ec)) top = top.parent_path();
  created_ = std::make_unique<Temporary>(top);
  fs::create_directories(dir);
}

void NewFolder::keep() const {
  if (created_) created_->release();
}

void write_atomically(const fs::path& path, const std::function<void(const fs::path&)>& write) {
  StagedFile staged(path);
  write(staged.temp());
  staged.commit();
}

void write_bytes_to(const fs::path& tmp, std::span<const std::uint8_t> bytes, bool owner_only) {
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(tmp.string() + ": cannot create file");
  if (owner_only) fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error(tmp.string() + ": write failed");
}

void write_bytes_atomically(const fs::path& path, std::span<const std::uint8_t> bytes, bool owner_only) {
  try {
    write_atomically(path, [&](const fs::path& tmp) { write_bytes_to(tmp, bytes, owner_only); });
  } catch (const fs::filesystem_error& e) {
    throw std::runtime_error(path.string() + ": cannot write (" + e.code().message() + ")");
  }
}

void write_text_atomically(const fs::path& path, std::string_view text, bool owner_only) {
  write_bytes_atomically(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, owner_only);
}

std::vector<fs::path> live_temporaries() { return Registry::get().paths(); }

}  // namespace snngx::io
