// `snngx simulate` end to end: an encrypted model file and a sealed key file go in; spike counts
// equal the software engine's on the plain model (with the key) or on the encrypted one
// (without); fast == cycle; report files, plots and sweeps; one-line errors.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "temp_dir.hpp"
#include "test_nets.hpp"

namespace snngx {
namespace {

using snngx::testing::run_snngx;
using snngx::testing::TempDir;

using testing::q;

struct Files {
  snn::Network plain, enc;
  datasets::FrameSet frames;
  std::string common;  // --model ... --key ... --passphrase-file ... --frames ...
};

Files make_files(const TempDir& dir) {
  Files f;
  f.plain = rram::testing::small_mlp(21);
  const auto key = rram::testing::random_key(f.plain, 60, 9, true);
  f.enc = rram::testing::encrypt(f.plain, key);
  std::vector<std::span<const std::uint8_t>> parts;
  for (std::size_t l = 0; l < f.enc.num_weighted(); ++l) parts.push_back(f.enc.weights(l).quant->weight_bits);
  f.enc.key_fingerprint = crypto::seal_key(dir / "m.key", key, crypto::model_fingerprint(parts), crypto::KeySecret::passphrase("pw"),
                                           crypto::KdfParams::pbkdf2(1));
  snn::save_model(dir / "enc.snn.h5", f.enc);
  std::ofstream(dir / "pw.txt") << "pw\n";
  f.frames = rram::testing::frames_for(f.plain, 12, 0.15, 5);
  datasets::write_frames(dir / "f.frames.h5", f.frames);
  f.common = "--model " + q(dir / "enc.snn.h5") + " --frames " + q(dir / "f.frames.h5");
  return f;
}

std::vector<std::int32_t> read_counts(const std::filesystem::path& path, std::size_t n) {
  H5::H5File out(path.string(), H5F_ACC_RDONLY);
  std::vector<std::int32_t> counts(n);
  out.openDataSet("spike_counts").read(counts.data(), H5::PredType::NATIVE_INT32);
  return counts;
}

TEST(SimulateCli, WithKeyPlainOutputsWithoutKeyEncryptedOutputsFastEqualsCycle) {
  const TempDir dir;
  const Files f = make_files(dir);
  const std::string key = " --key " + q(dir / "m.key") + " --passphrase-file " + q(dir / "pw.txt");
  const auto fast = run_snngx("simulate " + f.common + key + " --threads 2 --json --outputs " + q(dir / "fast.h5"));
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  const auto plain = snn::infer(f.plain, f.frames);
  EXPECT_EQ(read_counts(dir / "fast.h5", plain.spike_counts.size()), plain.spike_counts);
  const auto jf = nlohmann::json::parse(fast.out);
  EXPECT_DOUBLE_EQ(jf["accuracy"].get<double>(), plain.accuracy());
  EXPECT_GT(jf["key_entries"].get<int>(), 0);
  ASSERT_EQ(jf["costs"]["aes_comparison"].size(), 2U);  // both AES design points, the configured one first
  EXPECT_EQ(jf["costs"]["aes_comparison"][0]["engine"], "lowpower");
  EXPECT_EQ(jf["costs"]["aes_comparison"][1]["engine"], "pipelined");
  EXPECT_GT(jf["costs"]["aes_comparison"][0]["energy_reduction"].get<double>(), 1.0);
  EXPECT_EQ(jf["added_cycles"].get<std::uint64_t>(), 0U);
  EXPECT_GT(jf["decryption_unit_area_share"].get<double>(), 0.0);
  EXPECT_GT(jf["decryption_unit_energy_share"].get<double>(), 0.0);

  const auto cyc = run_snngx("simulate " + f.common + key + " --mode cycle --limit 3 --json --outputs " + q(dir / "cyc.h5"));
  ASSERT_EQ(cyc.exit_code, 0) << cyc.err;
  const auto jc = nlohmann::json::parse(cyc.out);
  const auto fast3 = nlohmann::json::parse(run_snngx("simulate " + f.common + key + " --limit 3 --json").out);
  EXPECT_EQ(jc["counters"], fast3["counters"]);
  EXPECT_EQ(jc["per_layer_counters"], fast3["per_layer_counters"]);
  EXPECT_EQ(read_counts(dir / "cyc.h5", 3 * 5), std::vector<std::int32_t>(plain.spike_counts.begin(), plain.spike_counts.begin() + 15));

  const auto nokey = run_snngx("simulate " + f.common + " --outputs " + q(dir / "nokey.h5"));
  ASSERT_EQ(nokey.exit_code, 0) << nokey.err;
  EXPECT_NE(nokey.err.find("no --key"), std::string::npos) << nokey.err;
  EXPECT_EQ(read_counts(dir / "nokey.h5", plain.spike_counts.size()), snn::infer(f.enc, f.frames).spike_counts);
}

// The executable loads SystemC only when a command clocks the model: cycle mode loads
// libsnngx_systemc.so next to the executable (and libsystemc with it), fast mode loads neither
// (glibc's LD_DEBUG=libs lists every library a process loads). Without the module, cycle mode is
// one error line naming it and exit 1, and fast mode still runs.
TEST(SimulateCli, SystemCIsLoadedOnlyForCycleMode) {
  const TempDir dir;
  const Files f = make_files(dir);
  const auto fast = run_snngx("simulate " + f.common + " --limit 2 --json", "LD_DEBUG=libs");
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_EQ(fast.err.find("libsystemc"), std::string::npos);
  EXPECT_EQ(fast.err.find("libsnngx_systemc.so"), std::string::npos);
  const auto cycle = run_snngx("simulate " + f.common + " --mode cycle --limit 2 --json", "LD_DEBUG=libs");
  ASSERT_EQ(cycle.exit_code, 0) << cycle.err;
  EXPECT_NE(cycle.err.find("libsnngx_systemc.so"), std::string::npos);
  EXPECT_NE(cycle.err.find("libsystemc"), std::string::npos);

  const std::filesystem::path bin = dir / "bin";
  std::filesystem::create_directories(bin);
  std::filesystem::copy_file(SNNGX_EXE, bin / "snngx");
  std::filesystem::permissions(bin / "snngx", std::filesystem::perms::owner_all);
  const auto run_alone = [&](const std::string& args) {
    const std::string cmd = q(bin / "snngx") + " " + args + " </dev/null >/dev/null 2>" + q(dir / "err.txt");
    const int status = std::system(cmd.c_str());
    std::ifstream in(dir / "err.txt");
    return std::pair{WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::string(std::istreambuf_iterator<char>(in), {})};
  };
  const auto [missing, error] = run_alone("simulate " + f.common + " --mode cycle --limit 2");
  EXPECT_EQ(missing, 1);
  EXPECT_NE(error.find("error: cycle mode and RTL co-simulation need libsnngx_systemc.so"), std::string::npos) << error;
  EXPECT_NE(error.find((bin / "libsnngx_systemc.so").string() + ": cannot open"), std::string::npos) << error;
  EXPECT_EQ(error.find("error:"), error.rfind("error:")) << "one error line: " << error;
  EXPECT_EQ(run_alone("simulate " + f.common + " --limit 2").first, 0);
}

TEST(SimulateCli, ReportDirHoldsJsonTablesAndPlots) {
  const TempDir dir;
  const Files f = make_files(dir);
  const auto r = run_snngx("simulate " + f.common + " --report-dir " + q(dir / "rep"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("total tiles: 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vs full-weight AES (lowpower)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vs full-weight AES (pipelined)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("added_cycles 0"), std::string::npos) << r.out;
  for (const char* name : {"report.json", "mapping.txt", "costs.txt", "costs.csv", "added_cycles.csv", "energy_breakdown.svg.gp",
                           "latency_per_layer.svg.gp"})
    EXPECT_TRUE(std::filesystem::exists(dir / "rep" / name)) << name;
  std::ifstream csv(dir / "rep" / "costs.csv");
  std::string header, l0, l1;
  std::getline(csv, header);
  std::getline(csv, l0);
  std::getline(csv, l1);
  EXPECT_EQ(header.rfind("layer,crossbar_nj,", 0), 0U) << header;
  EXPECT_EQ(l0.rfind("L0,", 0), 0U);
  EXPECT_EQ(l1.rfind("L1,", 0), 0U);
}

TEST(SimulateCli, SweepWritesAccuracyPerValue) {
  const TempDir dir;
  const Files f = make_files(dir);
  const auto r = run_snngx("simulate " + f.common + " --sweep crossbar.stuck_off_rate=0,1 --report-dir " + q(dir / "rep"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream csv(dir / "rep" / "sweep_crossbar_stuck_off_rate.csv");
  std::string header, a, b;
  std::getline(csv, header);
  std::getline(csv, a);
  std::getline(csv, b);
  EXPECT_EQ(header, "crossbar.stuck_off_rate,accuracy,energy_per_inference_nj,cycles_per_inference,added_cycles_per_inference");
  const auto enc = snn::infer(f.enc, f.frames);
  auto field = [](const std::string& line, int k) {
    std::stringstream ss(line);
    std::string x;
    for (int i = 0; i <= k; ++i) std::getline(ss, x, ',');
    return std::stod(x);
  };
  EXPECT_DOUBLE_EQ(field(a, 0), 0.0);
  EXPECT_NEAR(field(a, 1), enc.accuracy(), 1e-5) << a;
  // Every cell stuck OFF: no spikes anywhere, every prediction is class 0.
  const double zeros = static_cast<double>(std::count(f.frames.labels.begin(), f.frames.labels.end(), 0)) / f.frames.size();
  EXPECT_DOUBLE_EQ(field(b, 0), 1.0);
  EXPECT_NEAR(field(b, 1), zeros, 1e-5) << b;
  EXPECT_TRUE(std::filesystem::exists(dir / "rep" / "sweep_crossbar_stuck_off_rate.svg.gp"));
}

TEST(SimulateCli, BadInputGivesOneErrorLine) {
  const TempDir dir;
  const Files f = make_files(dir);
  const auto bad_set = run_snngx("simulate " + f.common + " --set crossbar.rowz=3");
  EXPECT_EQ(bad_set.exit_code, 1);
  EXPECT_NE(bad_set.err.find("snngx: error: --set: crossbar.rowz: not a parameter"), std::string::npos) << bad_set.err;
  std::ofstream(dir / "bad.yaml") << "adc: {bits: 99}\n";
  const auto bad_cfg = run_snngx("simulate " + f.common + " --config " + q(dir / "bad.yaml"));
  EXPECT_EQ(bad_cfg.exit_code, 1);
  EXPECT_NE(bad_cfg.err.find("bad.yaml: adc.bits: 99 bits is out of range"), std::string::npos) << bad_cfg.err;
  const auto no_dir = run_snngx("simulate " + f.common + " --sweep adc.bits=4,8");
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_NE(no_dir.err.find("--report-dir"), std::string::npos);
  // Decryption-unit options out of range, a non-positive clock, a key over the unit's capacity.
  for (const auto& [set, what] : std::vector<std::pair<std::string, std::string>>{
           {"decryption_unit.lanes=0", "decryption_unit.lanes"},
           {"decryption_unit.engines=0", "decryption_unit.engines"},
           {"controller.clock_mhz=0", "controller.clock_mhz"},
           {"controller.clock_mhz=-5", "controller.clock_mhz"}}) {
    const auto r = run_snngx("simulate " + f.common + " --set " + set);
    EXPECT_EQ(r.exit_code, 1) << set;
    EXPECT_EQ(r.err.rfind("snngx: error: ", 0), 0U) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const std::string key = " --key " + q(dir / "m.key") + " --passphrase-file " + q(dir / "pw.txt");
  const auto over = run_snngx("simulate " + f.common + key + " --set decryption_unit.engines=1 --outputs " + q(dir / "over.h5"));
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_NE(over.err.find("snngx: error: decryption_unit.engines: the key touches"), std::string::npos) << over.err;
  EXPECT_NE(over.err.find("raise decryption_unit.engines"), std::string::npos) << over.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "over.h5"));
  const auto map = run_snngx("simulate --latency-map --trials 5 --report-dir " + q(dir / "lm"));
  EXPECT_EQ(map.exit_code, 0) << map.err;
  EXPECT_NE(map.out.find("10 lanes: zero added latency up to 100 % active rows"), std::string::npos) << map.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "lm" / "latency_map.csv"));
  const auto list = run_snngx("simulate --list-params");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("cell_read_energy_fj = 1.83 fJ"), std::string::npos);
}

}  // namespace
}  // namespace snngx
