// `snngx cosim` end to end through the real files: an encrypted model file, a sealed key file and
// a frame file written here; the command's HDF5 outputs, JSON report and FST waveform read back.
#include <H5Cpp.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "outputs_file.hpp"
#include "cosim_models.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/rram/decryption_unit.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "temp_dir.hpp"

namespace snngx::rtl {
namespace {

struct Files {
  std::filesystem::path model, key, passphrase, frames;
};

// The encrypted model, its sealed key (cheap PBKDF2 for the test), a passphrase file and frames.
Files write_inputs(const std::filesystem::path& dir, const snn::Network& plain, const crypto::XorKey& key,
                   const datasets::FrameSet& frames) {
  Files f{dir / "enc.snn.h5", dir / "enc.key", dir / "pass.txt", dir / "small.frames.h5"};
  snn::Network stored = testing_models::encrypt(plain, key);
  std::vector<std::span<const std::uint8_t>> bits;
  for (std::size_t l = 0; l < stored.num_weighted(); ++l) bits.emplace_back(stored.weights(l).quant->weight_bits);
  std::ofstream(f.passphrase) << "rtl-test-passphrase\n";
  stored.key_fingerprint = crypto::seal_key(f.key, key, crypto::model_fingerprint(bits),
                                            crypto::KeySecret::passphrase("rtl-test-passphrase"), crypto::KdfParams::pbkdf2(1000));
  stored.state = snn::ModelState::Encrypted;
  snn::save_model(f.model, stored);
  datasets::write_frames(f.frames, frames);
  return f;
}

int run_snngx(const std::string& args, const std::filesystem::path& log) {
  const std::string cmd = std::string(SNNGX_BIN) + " " + args + " > " + log.string() + " 2>&1";
  return std::system(cmd.c_str());
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expect_cli_cosim_passes(const std::string& mode) {
  const snngx::testing::TempDir dir;
  const snn::Network plain = testing_models::small_plain_model();
  const crypto::XorKey key = testing_models::strong_weight_key(plain, 40);
  const auto frames = datasets::synth_frames({4, 2, 4, 4}, 5, 0.4, 4, 23);
  const Files f = write_inputs(dir.path, plain, key, frames);
  const auto outputs = dir / "cosim.h5", json = dir / "cosim.json", log = dir / "log.txt";
  const std::string args = "cosim --model " + f.model.string() + " --key " + f.key.string() + " --passphrase-file " +
                           f.passphrase.string() + " --frames " + f.frames.string() + " --mode " + mode + " --outputs " +
                           outputs.string() + " --json-out " + json.string();
  ASSERT_EQ(run_snngx(args, log), 0) << read_text(log);

  snn::InferenceOptions io;
  io.threads = 1;
  const auto software = snn::infer(plain, frames, io);
  EXPECT_EQ(testing::read_outputs_i32(outputs, "spike_counts"), software.spike_counts);
  EXPECT_EQ(testing::read_outputs_i32(outputs, "software_spike_counts"), software.spike_counts);
  const auto report = nlohmann::json::parse(read_text(json));
  EXPECT_TRUE(report.at("passed").get<bool>());
  EXPECT_EQ(report.at("samples").get<std::size_t>(), 5U);
  EXPECT_EQ(report.at("cycles_rtl").get<std::uint64_t>(),
            report.at("cycles_without_unit").get<std::uint64_t>() + report.at("added_cycles").get<std::uint64_t>());
  EXPECT_EQ(report.at("unaccounted_cycles").get<std::int64_t>(), 0);
  EXPECT_EQ(report.at("rtl_unit").at("lanes").get<int>(), rram::DecryptionParams{}.lanes);
  EXPECT_GT(report.at("rtl_clock_edges").get<std::uint64_t>(), 0U);
  EXPECT_GT(report.at("key_entries").get<std::size_t>(), 10U);
  EXPECT_GT(report.at("samples_differing_without_key").get<std::size_t>(), 0U) << "the key must matter on these frames";
}

TEST(RtlCli, CosimFastModeMatchesSoftwareThroughFiles) { expect_cli_cosim_passes("fast"); }

TEST(RtlCli, CosimCycleModeWritesTheWaveformOnRequest) {
  const snngx::testing::TempDir dir;
  const snn::Network plain = testing_models::small_plain_model();
  const crypto::XorKey key = testing_models::strong_weight_key(plain, 40);
  const auto frames = datasets::synth_frames({4, 2, 4, 4}, 2, 0.4, 4, 5);
  const Files f = write_inputs(dir.path, plain, key, frames);
  const auto fst = dir / "cosim.fst", log = dir / "log.txt";
  ASSERT_EQ(run_snngx("cosim --model " + f.model.string() + " --key " + f.key.string() + " --passphrase-file " +
                          f.passphrase.string() + " --frames " + f.frames.string() + " --trace " + fst.string(),
                      log),
            0)
      << read_text(log);
  ASSERT_TRUE(std::filesystem::exists(fst));
  EXPECT_GT(std::filesystem::file_size(fst), 1000U);
  EXPECT_NE(read_text(log).find("cycles equal with and without the unit: 2/2 samples"), std::string::npos) << read_text(log);
}

TEST(RtlCli, CosimRefusesAPlainModel) {
  const snngx::testing::TempDir dir;
  const snn::Network plain = testing_models::small_plain_model();
  const crypto::XorKey key = testing_models::strong_weight_key(plain, 40);
  const Files f = write_inputs(dir.path, plain, key, datasets::synth_frames({4, 2, 4, 4}, 1, 0.4, 4, 5));
  const auto plain_path = dir / "plain.snn.h5", log = dir / "log.txt";
  snn::save_model(plain_path, plain);
  EXPECT_NE(run_snngx("cosim --model " + plain_path.string() + " --key " + f.key.string() + " --passphrase-file " +
                          f.passphrase.string() + " --frames " + f.frames.string(),
                      log),
            0);
  EXPECT_NE(read_text(log).find("cosim needs an encrypted model"), std::string::npos) << read_text(log);
}

}  // namespace
}  // namespace snngx::rtl
