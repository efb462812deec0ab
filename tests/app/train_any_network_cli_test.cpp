// Issue 18 points 3-5 through the CLI: `train --model` fine-tunes an imported recurrent network
// (the Braille RNN: the loss decreases, the recurrent weights move, the result is encrypted),
// `model init --spec` / `train --spec` build user-defined networks, and a bad spec is one error
// line naming the entry, with nothing written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "cli.hpp"
#include "shared_nir.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/train.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::q;
using testing::run_snngx;
using testing::TempDir;

double loss_on(const snn::Network& net, const datasets::FrameSet& data) {
  std::vector<std::size_t> idx(data.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  snn::GradientOptions o;
  o.threads = 1;
  return snn::compute_gradients(snn::as_float(net), data, idx, o).loss;
}

TEST(CliTrainAnyNetwork, BrailleRnnFineTunesAndIsEncrypted) {
  const fs::path braille = testing::shared_nir() / "braille_noDelay_bias_zero.nir";
  if (!fs::exists(braille)) GTEST_SKIP() << "NIR material absent: " << braille << " (set SNNGX_SHARED_DIR to the shared folder)";
  const TempDir dir;
  ASSERT_EQ(run_snngx("model import " + q(braille) + " --dt 1e-4 --time-steps 40 -o " + q(dir / "b.snn.h5")).exit_code, 0);
  ASSERT_EQ(run_snngx("frames synth --shape 40,12,1,1 --count 28 --density 0.3 --classes 7 --seed 4 -o " + q(dir / "f.frames.h5")).exit_code, 0);
  const auto r = run_snngx("train --model " + q(dir / "b.snn.h5") + " --train " + q(dir / "f.frames.h5") +
                           " --epochs 4 --batch 4 --lr 2e-3 --schedule constant --threads 2 -o " + q(dir / "t.snn.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto before = snn::load_model(dir / "b.snn.h5");
  const auto after = snn::load_model(dir / "t.snn.h5");
  const auto frames = datasets::read_frames(dir / "f.frames.h5");
  const double loss_before = loss_on(before, frames), loss_after = loss_on(after, frames);
  EXPECT_LT(loss_after, loss_before) << "fine-tuning did not lower the training loss";
  // Weighted layers: linear, the CubaLIF layer's recurrent weights, linear. All of them moved.
  ASSERT_EQ(after.num_weighted(), 3U);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_NE(before.weights(k).values, after.weights(k).values) << "weighted layer " << k;
  EXPECT_EQ(after.arch, before.arch);

  // The quantized fine-tuned model is encrypted, recurrent layer searched (--layer 1).
  { std::ofstream(dir / "pass") << "correct horse\n"; }
  const auto e = run_snngx("encrypt --model " + q(dir / "t-q8.snn.h5") + " --subset " + q(dir / "f.frames.h5") + " --test " +
                           q(dir / "f.frames.h5") + " -o " + q(dir / "e.snn.h5") + " --key " + q(dir / "k.key") +
                           " --passphrase-file " + q(dir / "pass") + " --scrypt-log2-n 1 --scrypt-r 1 --report " + q(dir / "rep") +
                           " --layer 1 --subset-size 28 --epsilon 6 --generations 2 --population 6 --mutation 0.2 --seed 5 --threads 2");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto plain = snn::load_model(dir / "t-q8.snn.h5");
  const auto enc = snn::load_model(dir / "e.snn.h5");
  EXPECT_EQ(enc.state, snn::ModelState::Encrypted);
  std::size_t differing = 0;
  for (std::size_t l = 0; l < plain.num_weighted(); ++l) {
    const auto& a = plain.weights(l).quant->weight_bits;
    const auto& b = enc.weights(l).quant->weight_bits;
    for (std::size_t k = 0; k < a.size(); ++k)
      if (a[k] != b[k]) {
        EXPECT_EQ(l, 1U) << "only the recurrent layer was searched";
        EXPECT_EQ(a[k] ^ b[k], 0x80) << "only sign bits are flipped";
        ++differing;
      }
  }
  EXPECT_GT(differing, 0U);
}

const char* kTinySpec = R"(# a small recurrent network
name: tiny-rsnn
input: [6, 1, 1]
neuron: {dt: 0.001, tau: 0.004, r: 4, threshold: 0.5}
layers:
  - flatten
  - linear: {out: 8, bias: true}
  - lif: {recurrent: true, reset: subtract}
  - linear: {out: 3}
  - cubalif: {tau_syn: 0.002}
)";

TEST(CliTrainAnyNetwork, SpecInitAndTrain) {
  const TempDir dir;
  { std::ofstream(dir / "net.yaml") << kTinySpec; }
  const auto init = run_snngx("model init --spec " + q(dir / "net.yaml") + " --seed 3 -o " + q(dir / "m.snn.h5"));
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const auto net = snn::load_model(dir / "m.snn.h5");
  EXPECT_EQ(net.arch, "tiny-rsnn");
  ASSERT_EQ(net.num_weighted(), 3U);  // linear, recurrent, linear
  EXPECT_EQ(net.weights(1).shape, (std::vector<int>{8, 8}));
  EXPECT_NE(net.weights(1).values, std::vector<float>(64, 0.0f)) << "recurrent weights are initialised";
  EXPECT_EQ(std::get<snn::Neuron>(net.layers[2]).reset, snn::ResetMode::Subtract);

  ASSERT_EQ(run_snngx("frames synth --shape 10,6,1,1 --count 24 --density 0.4 --classes 3 --seed 2 -o " + q(dir / "f.frames.h5")).exit_code, 0);
  const auto r = run_snngx("train --spec " + q(dir / "net.yaml") + " --init-seed 3 --train " + q(dir / "f.frames.h5") +
                           " --epochs 2 --batch 4 --lr 1e-3 --threads 1 -o " + q(dir / "t.snn.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto trained = snn::load_model(dir / "t.snn.h5");
  EXPECT_EQ(trained.layer_output_shapes(), net.layer_output_shapes());
  EXPECT_NE(trained.weights(0).values, net.weights(0).values);
  EXPECT_NE(trained.bias(0), net.bias(0)) << "the bias is trained";

  // --spec and --arch exclude each other; model init needs one of them.
  EXPECT_EQ(run_snngx("model init -o " + q(dir / "x.snn.h5")).err, "snngx: error: model init: give --arch or --spec\n");
  EXPECT_FALSE(fs::exists(dir / "x.snn.h5"));
}

TEST(CliTrainAnyNetwork, ShdRsnnArchIsTheSpecExample) {
  const TempDir dir;
  ASSERT_EQ(run_snngx("model init --arch shd-rsnn --seed 1 -o " + q(dir / "a.snn.h5")).exit_code, 0);
  const auto net = snn::load_model(dir / "a.snn.h5");
  EXPECT_EQ(net.input_shape, (snn::Shape{1, 1, 700}));
  EXPECT_EQ(net.num_classes, 20);
  EXPECT_EQ(net.num_weighted(), 3U);
  EXPECT_EQ(net.weights(1).shape, (std::vector<int>{128, 128}));
}

TEST(CliTrainAnyNetwork, BadSpecIsOneErrorLineAndWritesNothing) {
  const TempDir dir;
  { std::ofstream(dir / "bad.yaml") << "input: [6]\nlayers:\n  - linear: {out: 3}\n  - lif: {tua: 0.1}\n"; }
  const auto before = testing::files_under(dir.path);
  for (const std::string& cmd : {"model init --spec " + q(dir / "bad.yaml") + " -o " + q(dir / "m.snn.h5"),
                                "train --spec " + q(dir / "bad.yaml") + " --train " + q(dir / "bad.yaml") + " -o " + q(dir / "m.snn.h5")}) {
    const auto r = run_snngx(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_EQ(r.err, "snngx: error: " + (dir / "bad.yaml").string() +
                         ": layers[1] (lif): unknown key 'tua' (line 4) (expected dt, r, recurrent, recurrent_bias, reset, tau, "
                         "tau_syn, threshold, v_leak, v_reset, w_in)\n")
        << cmd;
    EXPECT_EQ(testing::files_under(dir.path), before) << cmd;
  }
}

}  // namespace
}  // namespace snngx
