// Outputs never half-written: staged files, all-or-none commits, and the interrupt cleanup.
#include "snngx/io/output_files.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "temp_dir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(OutputFiles, TemporaryNameIsBesideTheTargetWithThePid) {
  EXPECT_EQ(io::temporary_name("d/a.h5"), fs::path("d/a.h5.tmp." + std::to_string(::getpid())));
}

TEST(OutputFiles, FailedWriteLeavesTheOldFileAndNoTemporary) {
  const TempDir dir;
  io::write_text_atomically(dir / "a.txt", "old");
  EXPECT_THROW(io::write_atomically(dir / "a.txt",
                                    [](const fs::path& tmp) {
                                      std::ofstream(tmp) << "half";
                                      throw std::runtime_error("disk full");
                                    }),
               std::runtime_error);
  EXPECT_EQ(read_text(dir / "a.txt"), "old");
  EXPECT_EQ(names_in(dir.path), std::set<std::string>{"a.txt"});
  EXPECT_TRUE(io::live_temporaries().empty());
}

TEST(OutputFiles, StagedOutputsCommitAllTogether) {
  const TempDir dir;
  io::StagedOutputs out;
  out.write_text(dir / "a.txt", "A");
  out.write_text(dir / "b.txt", "B");
  EXPECT_EQ(io::live_temporaries().size(), 2u);
  EXPECT_EQ(names_in(dir.path).count("a.txt"), 0u);  // nothing visible before the commit
  out.commit();
  EXPECT_EQ(names_in(dir.path), (std::set<std::string>{"a.txt", "b.txt"}));
  EXPECT_EQ(read_text(dir / "b.txt"), "B");
  EXPECT_TRUE(io::live_temporaries().empty());
}

TEST(OutputFiles, StagedOutputsDroppedBeforeCommitLeaveNothing) {
  const TempDir dir;
  {
    io::StagedOutputs out;
    out.write_text(dir / "model", "M");
    out.write_text(dir / "key", "K");
  }  // e.g. an exception between staging and commit
  EXPECT_TRUE(names_in(dir.path).empty());
}

TEST(OutputFiles, CommitRefusesWhenAStagedFileWasNotWrittenAndTouchesNoTarget) {
  const TempDir dir;
  io::write_text_atomically(dir / "a.txt", "old");
  {
    io::StagedOutputs out;
    out.write_text(dir / "a.txt", "new");
    (void)out.stage(dir / "b.txt");  // never written
    try {
      out.commit();
      FAIL() << "commit accepted a missing file";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), (dir / "b.txt").string() + ": was not written");
    }
  }
  EXPECT_EQ(read_text(dir / "a.txt"), "old");
  EXPECT_EQ(names_in(dir.path), std::set<std::string>{"a.txt"});
}

TEST(OutputFiles, CommitThatFailsHalfwayRemovesWhatItRenamed) {
  const TempDir dir;
  {
    io::StagedOutputs out;
    out.write_text(dir / "a.txt", "A");
    out.write_text(dir / "b", "B");
    fs::create_directories(dir / "b" / "in-the-way");  // the second rename cannot replace a non-empty folder
    try {
      out.commit();
      FAIL() << "commit renamed over a non-empty folder";
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with((dir / "b").string() + ": cannot write")) << e.what();
    }
  }
  EXPECT_EQ(names_in(dir.path), std::set<std::string>{"b"});  // a.txt was renamed, then removed again
  EXPECT_TRUE(io::live_temporaries().empty());
}

// SIGTERM while a commit renames many files: the clean-up waits for the commit, so the folder
// holds every output (or, had the signal come first, none), never some.
TEST(OutputFiles, SigtermDuringACommitLeavesAllOrNone) {
  const TempDir dir;
  constexpr int kFiles = 3000;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    io::install_interrupt_cleanup();
    io::StagedOutputs out;
    for (int i = 0; i < kFiles; ++i) out.write_text(dir / ("f" + std::to_string(i)), "x");
    std::thread watcher([&] {  // signals as soon as the first rename is visible
      while (!fs::exists(dir / "f0")) std::this_thread::yield();
      ::kill(::getpid(), SIGTERM);
    });
    out.commit();
    watcher.join();
    for (int i = 0; i < 500; ++i) ::usleep(10'000);  // the cleanup thread ends the process
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 143);
  const auto names = names_in(dir.path);
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kFiles)) << "a commit was cut short by the signal";
  EXPECT_EQ(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.find(".tmp.") != std::string::npos; }), 0);
}

TEST(OutputFiles, OwnerOnlyFilesAreNotReadableByOthers) {
  const TempDir dir;
  io::write_text_atomically(dir / "secret", "k", /*owner_only=*/true);
  const auto perms = fs::status(dir / "secret").permissions();
  EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

TEST(OutputFiles, TemporaryFolderIsRemovedWithItsContents) {
  const TempDir dir;
  {
    const io::Temporary t(dir / "staging");
    fs::create_directories(t.path() / "sub");
    std::ofstream(t.path() / "sub" / "f") << "x";
    EXPECT_EQ(io::live_temporaries(), std::vector<fs::path>{dir / "staging"});
  }
  EXPECT_TRUE(names_in(dir.path).empty());
}

// A child process stages a file, a folder and an HDF5-like growing file, then gets the signal:
// it must exit 128 + signal with every temporary gone and the committed output kept.
void expect_interrupt_cleans_up(int signal_number) {
  const TempDir dir;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    io::install_interrupt_cleanup();
    io::write_text_atomically(dir / "done.txt", "kept");
    io::StagedOutputs out;
    out.write_text(dir / "a.txt", "A");
    const io::Temporary folder(dir / "tree.tmp");
    fs::create_directories(folder.path() / "x");
    ::kill(::getpid(), signal_number);
    for (int i = 0; i < 500; ++i) ::usleep(10'000);  // the cleanup thread ends the process
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of exiting";
  EXPECT_EQ(WEXITSTATUS(status), 128 + signal_number);
  EXPECT_EQ(names_in(dir.path), std::set<std::string>{"done.txt"});
}

TEST(OutputFiles, SigtermRemovesTemporariesAndExits143) { expect_interrupt_cleans_up(SIGTERM); }
TEST(OutputFiles, SigintRemovesTemporariesAndExits130) { expect_interrupt_cleans_up(SIGINT); }

}  // namespace
}  // namespace snngx
