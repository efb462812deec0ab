// SIGTERM while snngx works (dataset convert, train, encrypt): exit status 143 and no temporary
// or partial file left in the output folder. Resource guards: absurd requests are refused at
// once with the estimate and the limit, and nothing is written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::run_snngx;
using testing::TempDir;

using testing::q;

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

bool has_temporary(const fs::path& dir) {
  for (const auto& n : names_in(dir))
    if (n.find(".tmp") != std::string::npos) return true;
  return false;
}

// snngx started with fork + exec (no shell in between, so the signal reaches snngx itself);
// stdin from /dev/null, stdout and stderr to the given files.
pid_t spawn_snngx(const std::vector<std::string>& args, const fs::path& out_log = "/dev/null",
                  const fs::path& err_log = "/dev/null") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(SNNGX_EXE)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(SNNGX_EXE, argv.data());
    ::_exit(127);
  }
  return pid;
}

// Whether process `pid` catches SIGTERM yet (its SigCgt mask in /proc): before snngx installs
// its handler a SIGTERM kills it outright, which on a loaded machine (a sanitized executable
// starting in parallel with other tests) can still be after `at_least`.
bool catches_sigterm(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("SigCgt:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> (SIGTERM - 1) & 1U) != 0;
  return false;
}

// Waits until `busy()` holds (or `at_least` passed) and snngx catches SIGTERM, sends SIGTERM,
// returns the wait status.
int terminate_when(pid_t pid, const std::function<bool()>& busy, std::chrono::milliseconds at_least) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;  // finished before being interrupted
    if (std::chrono::steady_clock::now() - start >= at_least && catches_sigterm(pid) && busy()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

void expect_exit_143(int status) {
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal instead of exiting after clean-up";
  EXPECT_EQ(WEXITSTATUS(status), 143);
}

// An N-MNIST tree of `files` random recordings (slow enough to convert with many time bins).
fs::path make_nmnist_root(const fs::path& dir, int files) {
  std::mt19937 rng(3);
  for (int i = 0; i < files; ++i) {
    datasets::Events events;
    for (int e = 0; e < 2000; ++e)
      events.push_back({static_cast<std::int64_t>(e) * 50, static_cast<std::uint16_t>(rng() % 34), static_cast<std::uint16_t>(rng() % 34),
                        static_cast<std::uint8_t>(rng() % 2)});
    const fs::path f = dir / "nmnist" / "Train" / std::to_string(i % 10) / (std::to_string(i) + ".bin");
    fs::create_directories(f.parent_path());
    datasets::write_file_bytes(f, datasets::encode_nmnist(events));
  }
  return dir / "nmnist";
}

TEST(CliInterrupt, SigtermDuringConvertExits143AndLeavesNoTemporary) {
  const TempDir dir;
  const fs::path root = make_nmnist_root(dir.path, 400);
  fs::create_directories(dir / "out");
  const pid_t pid = spawn_snngx({"dataset", "convert", "--format", "nmnist", "--root", root.string(), "--time-bins", "3000", "-o",
                                 (dir / "out" / "c.frames.h5").string()});
  const int status = terminate_when(pid, [&] { return has_temporary(dir / "out"); }, std::chrono::milliseconds(200));
  expect_exit_143(status);
  EXPECT_TRUE(names_in(dir / "out").empty());
}

struct TrainedInputs {
  fs::path frames, quantized, passphrase;
};

TrainedInputs make_inputs(const fs::path& dir) {
  const TrainedInputs in{dir / "f.frames.h5", dir / "q.snn.h5", dir / "pass.txt"};
  std::ofstream(in.passphrase) << "interrupt-test\n";
  EXPECT_EQ(run_snngx("frames synth --shape 15,2,34,34 --count 300 --density 0.05 -o " + q(in.frames)).exit_code, 0);
  EXPECT_EQ(run_snngx("model init --arch nmnist-mlp -o " + q(dir / "m.snn.h5")).exit_code, 0);
  EXPECT_EQ(run_snngx("model quantize " + q(dir / "m.snn.h5") + " -o " + q(in.quantized)).exit_code, 0);
  return in;
}

// Interrupted after its first epoch: only the checkpoint (the resume point, committed every
// epoch) remains; none of the final outputs (models, history, summary, plot) is written.
TEST(CliInterrupt, SigtermDuringTrainExits143AndLeavesOnlyTheCheckpoint) {
  const TempDir dir;
  const TrainedInputs in = make_inputs(dir.path);
  fs::create_directories(dir / "out");
  const pid_t pid = spawn_snngx({"train", "--arch", "nmnist-mlp", "--train", in.frames.string(), "--epochs", "1000", "-o",
                                 (dir / "out" / "t.snn.h5").string()});
  const int status = terminate_when(pid, [&] { return fs::exists(dir / "out" / "t.ckpt.h5"); }, std::chrono::milliseconds(200));
  expect_exit_143(status);
  EXPECT_EQ(names_in(dir / "out"), std::vector<std::string>{"t.ckpt.h5"});
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A later output that cannot be written once the work is done (its folder was replaced by a file
// during the run): exit 1, one error line, and none of the command's other outputs.

// Waits for `ready()`, replaces the folder `gone` by a file of the same name, waits for the exit.
int replace_folder_when(pid_t pid, const std::function<bool()>& ready, const fs::path& gone) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(120)) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;  // finished before the folder went
    if (ready()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  fs::remove_all(gone);
  std::ofstream(gone) << "not a folder\n";
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// Exit 1 and the error as one line, the last (training warnings and progress lines may precede it).
void expect_one_error_line(int status, const fs::path& err_log) {
  ASSERT_TRUE(WIFEXITED(status));
  const std::string err = read_all(err_log);
  EXPECT_EQ(WEXITSTATUS(status), 1) << err;
  const auto at = err.find("snngx: error: ");
  ASSERT_NE(at, std::string::npos) << err;
  EXPECT_TRUE(at == 0 || err[at - 1] == '\n') << err;
  EXPECT_EQ(err.find('\n', at), err.size() - 1) << err;
  // It failed writing a staged output (not at the checks before the work).
  EXPECT_NE(err.find(".tmp."), std::string::npos) << err;
}

TEST(CliAllOrNone, TrainWritesNoFinalOutputWhenTheSummaryCannotBeWritten) {
  const TempDir dir;
  const TrainedInputs in = make_inputs(dir.path);
  fs::create_directories(dir / "out");
  fs::create_directories(dir / "summary");
  const pid_t pid = spawn_snngx({"train", "--arch", "nmnist-mlp", "--train", in.frames.string(), "--test", in.frames.string(),
                                  "--epochs", "4", "-o", (dir / "out" / "t.snn.h5").string(), "--json-out",
                                  (dir / "summary" / "t.json").string()},
                                 dir / "stdout.txt", dir / "stderr.txt");
  const int status = replace_folder_when(pid, [&] { return fs::exists(dir / "out" / "t.ckpt.h5"); }, dir / "summary");
  expect_one_error_line(status, dir / "stderr.txt");
  EXPECT_EQ(names_in(dir / "out"), std::vector<std::string>{"t.ckpt.h5"});  // no model, quantized model, CSV or plot
}

TEST(CliAllOrNone, SweepWritesNothingWhenItsJsonCannotBeWritten) {
  const TempDir dir;
  const TrainedInputs in = make_inputs(dir.path);
  fs::create_directories(dir / "summary");
  const pid_t pid = spawn_snngx({"simulate", "--model", in.quantized.string(), "--frames", in.frames.string(), "--set", "adc.impl=sar",
                                  "--limit", "30", "--sweep", "adc.bits=1,2,3,4", "--threads", "1", "--report-dir", (dir / "report").string(),
                                  "--json-out", (dir / "summary" / "s.json").string()},
                                 dir / "stdout.txt", dir / "stderr.txt");
  // Replaced once the first point is printed; three more points follow.
  const int status =
      replace_folder_when(pid, [&] { return read_all(dir / "stdout.txt").find("adc.bits = 1:") != std::string::npos; }, dir / "summary");
  expect_one_error_line(status, dir / "stderr.txt");
  EXPECT_FALSE(fs::exists(dir / "report")) << "the report folder the run created was left behind";
}

TEST(CliAllOrNone, LatencyMapInterruptedLeavesNoReportFolder) {
  const TempDir dir;
  const pid_t pid = spawn_snngx({"simulate", "--latency-map", "--trials", "100000", "--report-dir", (dir / "report").string()});
  const int status = terminate_when(pid, [] { return true; }, std::chrono::milliseconds(500));
  expect_exit_143(status);
  EXPECT_TRUE(names_in(dir.path).empty());
}

TEST(CliInterrupt, SigtermDuringEncryptExits143AndWritesNothing) {
  const TempDir dir;
  const TrainedInputs in = make_inputs(dir.path);
  fs::create_directories(dir / "out");
  const pid_t pid = spawn_snngx({"encrypt", "-q", "--model", in.quantized.string(), "--subset", in.frames.string(), "--subset-size", "64",
                                 "--population", "400", "--generations", "100000", "--kdf", "pbkdf2", "--pbkdf2-iterations", "1000",
                                 "--passphrase-file", in.passphrase.string(), "-o", (dir / "out" / "e.snn.h5").string(), "--key",
                                 (dir / "out" / "e.key").string()});
  const int status = terminate_when(pid, [] { return true; }, std::chrono::milliseconds(1500));
  expect_exit_143(status);
  EXPECT_TRUE(names_in(dir / "out").empty());
}

void expect_refused(const testing::CommandResult& r, const std::string& part) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(r.err.starts_with("snngx: error: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
}

TEST(CliResourceGuard, HundredMillionPopulationIsRefusedAtOnce) {
  const TempDir dir;
  const TrainedInputs in = make_inputs(dir.path);
  fs::create_directories(dir / "out");
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_snngx("encrypt --model " + q(in.quantized) + " --subset " + q(in.frames) + " --population 100000000 --passphrase-file " +
                           q(in.passphrase) + " -o " + q(dir / "out" / "e.snn.h5") + " --key " + q(dir / "out" / "e.key"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The MLP's last layer has 512 x 10 sign bits: 100,000,000 x (5,120 bits = 640 bytes + 64) x 2
  // = 140.8 GB (131.1 GiB) plus the frames, more than any machine this runs on.
  expect_refused(r, "encrypt (population 100000000 x 5120 searched bits, frames decoded) needs about 131.1 GiB of memory, more than the");
  EXPECT_TRUE(names_in(dir / "out").empty());
}

TEST(CliResourceGuard, HundredThousandTimeBinsAreRefusedAtOnceUnderALimit) {
  const TempDir dir;
  const fs::path root = make_nmnist_root(dir.path, 20);
  fs::create_directories(dir / "out");
  // 16 samples of [100000, 2, 34, 34] in a block + 2 buffers per core: several GB, above 1 GiB.
  const auto r = run_snngx("dataset convert --format nmnist --root " + q(root) + " --time-bins 100000 --max-memory 1G -o " +
                           q(dir / "out" / "c.frames.h5"));
  expect_refused(r, "dataset convert ([T=100000, C=2, H=34, W=34] per sample) needs about");
  EXPECT_NE(r.err.find("more than the 1.0 GiB available (--max-memory)"), std::string::npos) << r.err;
  EXPECT_TRUE(names_in(dir / "out").empty());
  // The same conversion with a few time bins fits and runs.
  EXPECT_EQ(run_snngx("dataset convert --format nmnist --root " + q(root) + " --time-bins 5 --max-memory 1G -o " +
                      q(dir / "out" / "c.frames.h5")).exit_code, 0);
}

// BPTT keeps every activation of a chunk for all T steps: 2 CSNN samples of 100 steps decode to
// 0.8 MB but need hundreds of MB to train (the first LIF layer alone: 64 x 32 x 32 neurons x 13
// bytes x 100 steps = 85 MB per sample); refused under a 64 MiB limit, naming the batch and T.
TEST(CliResourceGuard, TrainCountsTheActivationsNotOnlyTheFrames) {
  const TempDir dir;
  fs::create_directories(dir / "out");
  ASSERT_EQ(run_snngx("frames synth --shape 100,2,32,32 --count 2 --classes 11 -o " + q(dir / "g.frames.h5")).exit_code, 0);
  const auto r = run_snngx("train --arch dvsgesture-csnn --train " + q(dir / "g.frames.h5") + " --threads 1 --max-memory 64M -o " +
                           q(dir / "out" / "t.snn.h5"));
  expect_refused(r, "train (one batch of frames decoded; batch 4 x 100 steps of activations and gradients) needs about");
  EXPECT_NE(r.err.find("more than the 64.0 MiB available (--max-memory)"), std::string::npos) << r.err;
  EXPECT_TRUE(names_in(dir / "out").empty());
}

TEST(CliResourceGuard, MaxMemoryNeedsASize) {
  expect_refused(run_snngx("--max-memory lots model init --arch nmnist-mlp -o /tmp/never-written.snn.h5"), "'lots' is not a size");
}

}  // namespace
}  // namespace snngx
