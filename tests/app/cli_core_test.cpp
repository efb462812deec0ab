// The core CLI (issue 3): model init|quantize|info, frames synth, infer — outputs checked against
// the library, errors as one line with a non-zero exit.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <fstream>

#include "cli.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

using testing::run_snngx;
using testing::TempDir;

using testing::q;

TEST(CliCore, InitQuantizeInfoInferMatchTheLibrary) {
  const TempDir dir;
  ASSERT_EQ(run_snngx("model init --arch nmnist-mlp --seed 7 -o " + q(dir / "m.snn.h5")).exit_code, 0);
  snn::Network expected = snn::make_nmnist_mlp();
  snn::init_weights(expected, 7);
  EXPECT_EQ(snn::load_model(dir / "m.snn.h5").weights(0).values, expected.weights(0).values);

  ASSERT_EQ(run_snngx("model quantize " + q(dir / "m.snn.h5") + " --bits 8 --rule reference -o " + q(dir / "q.snn.h5")).exit_code, 0);
  const snn::Network quant = snn::load_model(dir / "q.snn.h5");
  EXPECT_EQ(quant.state, snn::ModelState::Quantized);
  EXPECT_EQ(quant.weights(1).quant->weight_bits, snn::quantize(expected, 8, snn::QuantRule::Reference).weights(1).quant->weight_bits);

  const auto info = run_snngx("model info " + q(dir / "q.snn.h5"));
  ASSERT_EQ(info.exit_code, 0);
  EXPECT_NE(info.out.find("state quantized"), std::string::npos);
  EXPECT_NE(info.out.find("9469952"), std::string::npos);  // fc1 weight bits
  EXPECT_NE(info.out.find("total weight bits 9510912"), std::string::npos);

  ASSERT_EQ(run_snngx("frames synth --shape 15,2,34,34 --count 40 --density 0.05 --classes 10 --seed 3 -o " + q(dir / "f.frames.h5")).exit_code, 0);
  const auto frames = datasets::read_frames(dir / "f.frames.h5");
  EXPECT_EQ(frames.size(), 40u);
  EXPECT_EQ(frames.counts, datasets::synth_frames({15, 2, 34, 34}, 40, 0.05, 10, 3).counts);

  const auto inf = run_snngx("infer --model " + q(dir / "q.snn.h5") + " --frames " + q(dir / "f.frames.h5") +
                             " --threads 2 --json --outputs " + q(dir / "o.h5"));
  ASSERT_EQ(inf.exit_code, 0) << inf.err;
  const auto lib = snn::infer(quant, frames);
  EXPECT_NE(inf.out.find("\"samples\": 40"), std::string::npos) << inf.out;
  H5::H5File out((dir / "o.h5").string(), H5F_ACC_RDONLY);
  std::vector<std::int32_t> counts(40 * 10), preds(40);
  out.openDataSet("spike_counts").read(counts.data(), H5::PredType::NATIVE_INT32);
  out.openDataSet("predictions").read(preds.data(), H5::PredType::NATIVE_INT32);
  EXPECT_EQ(counts, lib.spike_counts);
  EXPECT_EQ(preds, lib.predictions);
}

TEST(CliCore, BadInputGivesOneErrorLineAndExitOne) {
  const TempDir dir;
  { std::ofstream(dir / "junk.snn.h5") << "garbage"; }
  const auto r = run_snngx("model info " + q(dir / "junk.snn.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "snngx: error: " + (dir / "junk.snn.h5").string() + ": not an HDF5 file\n");

  ASSERT_EQ(run_snngx("model init --arch nmnist-mlp -o " + q(dir / "m.snn.h5")).exit_code, 0);
  ASSERT_EQ(run_snngx("frames synth --shape 15,2,32,32 --count 2 --classes 11 -o " + q(dir / "g.frames.h5")).exit_code, 0);
  const auto mismatch = run_snngx("infer --model " + q(dir / "m.snn.h5") + " --frames " + q(dir / "g.frames.h5"));
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_NE(mismatch.err.find("do not fit the model's input_shape [2,34,34]"), std::string::npos) << mismatch.err;

  const auto absurd = run_snngx("frames synth --shape 15,2,32,32 --count 2 --density 1.5 -o " + q(dir / "x.frames.h5"));
  EXPECT_NE(absurd.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.frames.h5"));

  const auto arch = run_snngx("model init --arch resnet -o " + q(dir / "r.snn.h5"));
  EXPECT_NE(arch.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "r.snn.h5"));
}

}  // namespace
}  // namespace snngx
