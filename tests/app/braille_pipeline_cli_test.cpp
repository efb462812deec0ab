// The Braille RNN of ../shared/nir through the whole CLI pipeline (issue 18 point 5/6): import,
// quantize, infer, encrypt its recurrent weights (--layer 1), infer with the key (must equal the
// plain model exactly), attack.
#include <gtest/gtest.h>

#include <H5Cpp.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/nir.hpp"
#include "snngx/snn/quantize.hpp"
#include "shared_nir.hpp"
#include "outputs_file.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::q;
using testing::run_snngx;
using testing::TempDir;

TEST(CliBraille, ImportQuantizeEncryptTheRecurrentWeightsAndInferWithTheKeyAsPlain) {
  const fs::path braille = testing::shared_nir() / "braille_noDelay_bias_zero.nir";
  if (!fs::exists(braille)) GTEST_SKIP() << "NIR material absent: " << braille << " (set SNNGX_SHARED_DIR to the shared folder)";
  const TempDir dir;
  // Import and quantize as two commands (the pipeline a user runs).
  const auto imported = run_snngx("model import " + q(braille) + " --time-steps 40 -o " + q(dir / "b.snn.h5"));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  ASSERT_EQ(run_snngx("model quantize " + q(dir / "b.snn.h5") + " --bits 8 -o " + q(dir / "q.snn.h5")).exit_code, 0);
  const snn::Network plain = snn::load_model(dir / "q.snn.h5");
  ASSERT_EQ(plain, snn::quantize(snn::nir::import_file(braille, {.dt = 1e-4, .time_steps = 40}), 8, snn::QuantRule::MaxAbs));
  ASSERT_EQ(plain.num_weighted(), 3u);
  ASSERT_TRUE(std::get<snn::Neuron>(plain.layers[1]).recurrent) << "weighted layer 1 is the 38x38 recurrent matrix";

  // 12-channel event frames labelled with the plain model's own predictions: plain accuracy is
  // 100 % by construction, so what the key does is visible.
  ASSERT_EQ(run_snngx("frames synth --shape 40,12,1,1 --count 28 --density 0.3 --classes 7 --seed 3 -o " + q(dir / "raw.frames.h5")).exit_code,
            0);
  auto frames = datasets::read_frames(dir / "raw.frames.h5");
  frames.labels = snn::infer(plain, frames).predictions;
  datasets::write_frames(dir / "f.frames.h5", frames);

  { std::ofstream(dir / "pass") << "braille dots\n"; }
  const std::string secret = " --passphrase-file " + q(dir / "pass");
  const auto e = run_snngx("encrypt --model " + q(dir / "q.snn.h5") + " --subset " + q(dir / "f.frames.h5") + " --test " +
                           q(dir / "f.frames.h5") + " -o " + q(dir / "e.snn.h5") + " --key " + q(dir / "k.key") + secret +
                           " --scrypt-log2-n 1 --scrypt-r 1 --report " + q(dir / "rep") +
                           " --layer 1 --subset-size 28 --epsilon 20 --generations 4 --population 8 --mutation 0.2 --seed 5 --threads 2");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const snn::Network enc = snn::load_model(dir / "e.snn.h5");
  ASSERT_EQ(enc.state, snn::ModelState::Encrypted);
  // Only sign bits of the recurrent weights differ.
  std::size_t flipped = 0;
  for (std::size_t l = 0; l < plain.num_weighted(); ++l) {
    const auto& a = plain.weights(l).quant->weight_bits;
    const auto& b = enc.weights(l).quant->weight_bits;
    for (std::size_t k = 0; k < a.size(); ++k)
      if (a[k] != b[k]) {
        EXPECT_EQ(l, 1u) << "weight " << k;
        EXPECT_EQ(a[k] ^ b[k], 0x80) << "only the sign bit";
        ++flipped;
      }
  }
  std::ifstream rep(dir / "rep.json");
  const auto j = nlohmann::json::parse(rep);
  EXPECT_GT(flipped, 0u);
  EXPECT_EQ(j.at("flipped_bits").get<std::size_t>(), flipped);

  // infer with the key gives exactly the plain model's outputs; without it, the stored bits.
  const std::string frames_arg = " --frames " + q(dir / "f.frames.h5") + " --threads 2 --outputs ";
  ASSERT_EQ(run_snngx("infer --model " + q(dir / "q.snn.h5") + frames_arg + q(dir / "plain.h5")).exit_code, 0);
  const auto keyed = run_snngx("infer --model " + q(dir / "e.snn.h5") + " --key " + q(dir / "k.key") + secret + frames_arg + q(dir / "keyed.h5"));
  ASSERT_EQ(keyed.exit_code, 0) << keyed.err;
  EXPECT_EQ(testing::read_outputs_i32(dir / "keyed.h5"), testing::read_outputs_i32(dir / "plain.h5"));
  EXPECT_NE(keyed.out.find("accuracy 100.00 %"), std::string::npos) << keyed.out;
  auto as_stored = enc;
  as_stored.state = snn::ModelState::Quantized;
  const double locked = snn::infer(as_stored, frames).accuracy();
  EXPECT_DOUBLE_EQ(j.at("best_subset_accuracy").get<double>(), locked);
  std::cout << "Braille, " << flipped << " recurrent sign bits flipped: accuracy " << 100.0 * locked << " % without the key, 100 % with it\n";

  // attack: with the key it is the plain model, without it the stored bits.
  const auto a = run_snngx("attack --model " + q(dir / "e.snn.h5") + " --test " + q(dir / "f.frames.h5") + " --key " + q(dir / "k.key") + secret +
                           " --trials 2 --known-trials 1 --known-fractions 0,1 --baseline-fractions 0 --threads 2 --report " + q(dir / "att"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  std::ifstream ain(dir / "att.json");
  const auto aj = nlohmann::json::parse(ain);
  EXPECT_DOUBLE_EQ(aj.at("accuracy_with_key").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(aj.at("accuracy_without_key").get<double>(), locked);
}

}  // namespace
}  // namespace snngx
