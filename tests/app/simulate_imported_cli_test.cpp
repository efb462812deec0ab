// Issue 18 point 6 through the CLI: an imported NIR network (the Sinabs N-MNIST CNN, the snnTorch
// Braille RNN) goes `model import` -> `model quantize` -> `encrypt --layer` (a small budget) ->
// `simulate` (fast and cycle mode, with the sealed key) and gives, sample by sample, the spike
// counts of `infer` with the key (the software engine is the reference).
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <filesystem>
#include <fstream>

#include "cli.hpp"
#include "shared_nir.hpp"
#include "outputs_file.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::q;
using testing::run_snngx;
using testing::TempDir;

// import -> quantize -> encrypt --layer -> simulate (fast, cycle) == infer, all with the key.
void pipeline(const std::string& nir, const std::string& dt, const std::string& frame_shape, int classes, int layer,
              int cycle_limit) {
  const fs::path file = testing::shared_nir() / nir;
  if (!fs::exists(file)) GTEST_SKIP() << "NIR material absent: " << file << " (set SNNGX_SHARED_DIR to the shared folder)";
  const TempDir dir;
  const auto run = [](const std::string& args) {
    const auto r = run_snngx(args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    return r.exit_code == 0;
  };
  ASSERT_TRUE(run("model import " + q(file) + " --dt " + dt + " -o " + q(dir / "f.snn.h5")));
  ASSERT_TRUE(run("model quantize " + q(dir / "f.snn.h5") + " --bits 8 -o " + q(dir / "m.snn.h5")));
  ASSERT_TRUE(run("frames synth --shape " + frame_shape + " --count 12 --density 0.2 --classes " + std::to_string(classes) +
                  " --seed 3 -o " + q(dir / "s.frames.h5")));
  { std::ofstream(dir / "pass") << "correct horse\n"; }
  const std::string key = " --key " + q(dir / "k.key") + " --passphrase-file " + q(dir / "pass");
  ASSERT_TRUE(run("encrypt --model " + q(dir / "m.snn.h5") + " --subset " + q(dir / "s.frames.h5") + " --test " +
                  q(dir / "s.frames.h5") + " -o " + q(dir / "e.snn.h5") + key + " --scrypt-log2-n 1 --scrypt-r 1 --layer " +
                  std::to_string(layer) + " --subset-size 12 --epsilon 6 --generations 2 --population 6 --mutation 0.2" +
                  " --seed 5 --threads 2"));
  const std::string model = " --model " + q(dir / "e.snn.h5") + key + " --frames " + q(dir / "s.frames.h5");
  ASSERT_TRUE(run("infer" + model + " --outputs " + q(dir / "infer.h5")));
  ASSERT_TRUE(run("infer --model " + q(dir / "e.snn.h5") + " --frames " + q(dir / "s.frames.h5") + " --outputs " +
                  q(dir / "locked.h5")));
  ASSERT_TRUE(run("simulate" + model + " --threads 2 --outputs " + q(dir / "fast.h5")));
  ASSERT_TRUE(run("simulate" + model + " --mode cycle --limit " + std::to_string(cycle_limit) + " --outputs " + q(dir / "cycle.h5")));
  const auto want = testing::read_outputs_i32(dir / "infer.h5");
  ASSERT_EQ(want.size(), 12U * static_cast<std::size_t>(classes));
  EXPECT_EQ(testing::read_outputs_i32(dir / "fast.h5"), want) << "simulate (fast) with the key == infer with the key, sample by sample";
  const auto cycle = testing::read_outputs_i32(dir / "cycle.h5");
  EXPECT_EQ(cycle, std::vector<std::int32_t>(want.begin(), want.begin() + cycle_limit * classes)) << "cycle mode";
  EXPECT_NE(testing::read_outputs_i32(dir / "locked.h5"), want) << "the key must matter for the comparison to mean anything";
}

TEST(SimulateImported, SinabsCnnEncryptedLayer3FastAndCycleEqualInfer) {
  pipeline("cnn_sinabs.nir", "1", "5,2,34,34", 10, 3, 1);
}

TEST(SimulateImported, BrailleRnnEncryptedRecurrentWeightsFastAndCycleEqualInfer) {
  pipeline("braille_noDelay_bias_zero.nir", "1e-4", "30,12,1,1", 7, 1, 2);
}

}  // namespace
}  // namespace snngx
