#pragma once
// A directory tree built beside its destination and swapped in at the end, so that a dataset on
// disk is never mixed or half-made: the staging tree is removed unless publish() was called.
#include "snngx/io/output_files.hpp"

#include <filesystem>
#include <string>
#include <system_error>

namespace snngx::datasets::detail {

class StagedDirectory {
 public:
  explicit StagedDirectory(std::filesystem::path root)
      : root_(std::move(root)), staging_(io::temporary_name(root_)), temporary_(staging_) {
    std::filesystem::remove_all(staging_);
    std::filesystem::create_directories(staging_);
  }
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;
  ~StagedDirectory() = default;  // the Temporary removes an unpublished tree

  [[nodiscard]] const std::filesystem::path& path() const { return staging_; }

  /// Replaces the destination with the finished tree.
  void publish() {
    std::filesystem::remove_all(root_);
    if (root_.has_parent_path()) std::filesystem::create_directories(root_.parent_path());
    std::filesystem::rename(staging_, root_);
    temporary_.release();
  }

 private:
  std::filesystem::path root_, staging_;
  io::Temporary temporary_;  // registered: an interrupt removes the staging tree
};

}  // namespace snngx::datasets::detail
