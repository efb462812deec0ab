#pragma once
// Outputs that are never half-written: every file is written under a temporary name beside its
// destination and renamed into place when complete; several files of one command are staged
// together and committed together; live temporaries are known process-wide, so an interrupt
// (SIGINT, SIGTERM) removes them before the process exits with 128 + the signal number.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace snngx::io {

/// Installs handlers for SIGINT and SIGTERM: the handler only writes the signal number to a pipe;
/// a cleanup thread then removes every registered temporary (files and folders) and ends the
/// process with exit code 130 (SIGINT) or 143 (SIGTERM). Call once, early in main(); idempotent.
void install_interrupt_cleanup();

/// "<path>.tmp.<pid>": the temporary name an output is written under.
std::filesystem::path temporary_name(const std::filesystem::path& path);

/// A path that must not outlive the process unless released: registered while alive (so an
/// interrupt removes it), removed with everything under it by the destructor.
class Temporary {
 public:
  explicit Temporary(std::filesystem::path path);
  ~Temporary();
  Temporary(const Temporary&) = delete;
  Temporary& operator=(const Temporary&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// The path is no longer a temporary (it was renamed away or is kept on purpose).
  void release();

 private:
  std::filesystem::path path_;
  std::size_t slot_;
  bool released_ = false;
};

/// One output written under its temporary name and renamed to `target` by commit().
/// Destroyed without commit(), the temporary is removed.
class StagedFile {
 public:
  explicit StagedFile(std::filesystem::path target);
  [[nodiscard]] const std::filesystem::path& temp() const { return temp_.path(); }
  [[nodiscard]] const std::filesystem::path& target() const { return target_; }
  void commit();

 private:
  std::filesystem::path target_;
  Temporary temp_;
};

/// The outputs of one command, all or none: each is staged and written under its temporary name,
/// and commit() renames them only once every one of them exists. Destroyed without commit()
/// (an exception, a failed write), every staged file is removed and no target is touched.
class StagedOutputs {
 public:
  /// The temporary path to write `target` to.
  const std::filesystem::path& stage(const std::filesystem::path& target);
  /// stage(target) and fill it through `write(tmp)`.
  void write(const std::filesystem::path& target, const std::function<void(const std::filesystem::path& tmp)>& write);
  void write_text(const std::filesystem::path& target, std::string_view text);
  /// Throws "<target>: was not written" if a staged file is missing; otherwise renames all.
  void commit();

 private:
  std::vector<std::unique_ptr<StagedFile>> files_;
};

/// An output folder a command creates, with its missing parents, when it does not exist yet
/// (nothing happens for an empty path or an existing folder). The topmost created folder is a
/// registered temporary until keep(): a failed or interrupted run leaves no new folder behind.
class NewFolder {
 public:
  explicit NewFolder(const std::filesystem::path& dir);
  void keep() const;

 private:
  std::unique_ptr<Temporary> created_;
};

/// Runs `write(tmp)` on the temporary name of `path` and renames it to `path` only if `write`
/// returns normally.
void write_atomically(const std::filesystem::path& path, const std::function<void(const std::filesystem::path& tmp)>& write);
/// Bytes / text to a file written atomically; `owner_only` makes it readable by its owner only
/// (before any byte is written). Errors name the file.
void write_bytes_to(const std::filesystem::path& tmp, std::span<const std::uint8_t> bytes, bool owner_only = false);
void write_bytes_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes, bool owner_only = false);
void write_text_atomically(const std::filesystem::path& path, std::string_view text, bool owner_only = false);

/// Paths of the temporaries registered right now (for tests).
std::vector<std::filesystem::path> live_temporaries();

}  // namespace snngx::io
