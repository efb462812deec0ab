// Issue 17 point 2: every command family streams its frames. Each test runs one command on a
// frame file whose dense frames would take far more memory than the peak-RSS cap it must stay
// under (the small NMNIST MLP, long samples, few of them, so each run takes seconds).
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli.hpp"

namespace snngx {
namespace {

using testing::q;
using testing::run_snngx;


// N samples of NMNIST shape with T = 1000 steps at 0.5 % density: 192 x 1000 x 2 x 34 x 34 x 2
// bytes = 888 MB of dense frames (each command used to decode the whole file), 14 MB sparse.
// Measured peaks at 128 samples: simulate 64 MB, encrypt 128 MB, attack 168 MB, train 171 MB.
constexpr std::size_t kSamples = 192;
constexpr int kSteps = 1000;
constexpr double kCapMb = 250.0;
double dense_mb() { return static_cast<double>(kSamples) * kSteps * 2 * 34 * 34 * 2 / 1048576.0; }

class StreamingCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Named explicitly: outside a test, make_temp_dir has no test name to use.
    const char* base = std::getenv("SNNGX_TEST_TMP");
    // One folder per process: ctest runs each test in its own process, in parallel, and each
    // process's TearDownTestSuite removes its folder.
    dir_ = std::make_unique<std::filesystem::path>(std::filesystem::path(base ? base : "/tmp/snngx-test") /
                                                   ("StreamingCli." + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_);
    const auto d = *dir_;
    ASSERT_EQ(run_snngx("frames synth --shape " + std::to_string(kSteps) + ",2,34,34 --count " + std::to_string(kSamples) +
                        " --density 0.005 --seed 4 -o " + q(d / "big.frames.h5"))
                  .exit_code,
              0);
    ASSERT_EQ(run_snngx("model init --arch nmnist-mlp --seed 2 -o " + q(d / "m.snn.h5")).exit_code, 0);
    ASSERT_EQ(run_snngx("model quantize " + q(d / "m.snn.h5") + " -o " + q(d / "q.snn.h5")).exit_code, 0);
    std::ofstream(d / "pass.txt") << "correct horse\n";
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(*dir_, ec);
    dir_.reset();
  }
  static std::filesystem::path at(const std::string& name) { return *dir_ / name; }
  static std::string frames() { return at("big.frames.h5").string(); }

  static void expect_bounded(const std::string& what, const std::vector<std::string>& args) {
    const auto [code, peak_mb] = testing::run_snngx_measured(args);
    ASSERT_EQ(code, 0) << what;
    ::testing::Test::RecordProperty(what + "_peak_rss_mb", std::to_string(peak_mb));
    EXPECT_LT(peak_mb, testing::peak_rss_cap_mb(kCapMb)) << what << ": dense frames alone would take " << dense_mb() << " MB";
    EXPECT_GT(dense_mb(), 3 * kCapMb);
  }

  static std::unique_ptr<std::filesystem::path> dir_;
};
std::unique_ptr<std::filesystem::path> StreamingCli::dir_;

nlohmann::json read_json(const std::filesystem::path& p) { return nlohmann::json::parse(std::ifstream(p)); }

TEST_F(StreamingCli, SimulateStreamsAWholeFileInBoundedMemory) {
  expect_bounded("simulate", {"simulate", "--model", at("q.snn.h5").string(), "--frames", frames(), "--threads", "2",
                              "--json-out", at("sim.json").string()});
  const auto j = read_json(at("sim.json"));
  EXPECT_EQ(j["samples"].get<std::size_t>(), kSamples) << j.dump().substr(0, 400);
}

TEST_F(StreamingCli, EncryptReadsTheSubsetAndValidationAndStreamsTheTestFile) {
  expect_bounded("encrypt", {"encrypt", "--model", at("q.snn.h5").string(), "--subset", frames(), "--subset-size", "4",
                             "--validation", frames(), "--validation-size", "4", "--test", frames(), "--layer", "1",
                             "--epsilon", "4", "--generations", "2", "--population", "6", "--seed", "3", "--threads", "2",
                             "-o", at("e.snn.h5").string(), "--key", at("e.key").string(), "--passphrase-file",
                             at("pass.txt").string(), "--scrypt-log2-n", "1", "--scrypt-r", "1", "-q"});
  const auto j = read_json(at("e.ga.json"));
  EXPECT_EQ(j["subset_samples"].get<std::size_t>(), 4U);
  EXPECT_EQ(j["test"]["samples"].get<std::size_t>(), kSamples);
  EXPECT_EQ(j["validation"]["samples"].get<std::size_t>(), 4U);
  // The key restores the plain accuracy on the streamed test set (checked by encrypt itself too).
  EXPECT_EQ(j["test"]["accuracy_with_key"], j["test"]["accuracy_plain"]);
}

TEST_F(StreamingCli, AttackReadsOnlyTheDrawnTestSamples) {
  if (!std::filesystem::exists(at("e.snn.h5"))) {
    ASSERT_EQ(run_snngx("encrypt --model " + q(at("q.snn.h5")) + " --subset " + q(frames()) + " --subset-size 8 --layer 1 --epsilon 4 "
                        "--generations 2 --population 6 --seed 3 -o " + q(at("e.snn.h5")) + " --key " + q(at("e.key")) +
                        " --passphrase-file " + q(at("pass.txt")) + " --scrypt-log2-n 1 --scrypt-r 1 -q")
                  .exit_code,
              0);
  }
  expect_bounded("attack", {"attack", "--model", at("e.snn.h5").string(), "--test", frames(), "--test-limit", "12", "--key",
                            at("e.key").string(), "--passphrase-file", at("pass.txt").string(), "--trials", "2",
                            "--known-trials", "1", "--known-fractions", "0,1", "--baseline-fractions", "0.01", "--threads", "2",
                            "--recover-data", frames(), "--recover-per-class", "1", "--recover-rounds", "1", "--report",
                            at("a").string()});
  const auto j = read_json(at("a.json"));
  EXPECT_EQ(j["test_samples"].get<std::size_t>(), 12U);
  EXPECT_EQ(j["key_recovery"]["runs"].size(), 1U);
}

TEST_F(StreamingCli, TrainReadsShuffledBatchesAndStreamsTheTestFile) {
  expect_bounded("train", {"train", "--arch", "nmnist-mlp", "--train", frames(), "--test", frames(), "--epochs", "1", "--batch", "2",
                           "--threads", "2", "-o", at("t.snn.h5").string()});
  const auto j = read_json(at("t.train.json"));
  EXPECT_EQ(j["epochs_run"].get<int>(), 1);
  EXPECT_TRUE(j.contains("quantized_test_accuracy"));
}

}  // namespace
}  // namespace snngx
