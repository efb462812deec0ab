// Issue 18 points 4 and 6 through the CLI: T comes from the frame file, `infer --record` writes the
// output layer's per-step spikes and membrane, and `encrypt` searches an imported model.
#include <gtest/gtest.h>

#include <H5Cpp.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "temp_dir.hpp"
#include "shared_nir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::run_snngx;
using testing::TempDir;

using testing::q;

template <class T>
std::vector<T> read_dataset(const fs::path& file, const std::string& name, const H5::PredType& type, std::vector<hsize_t>& dims) {
  const H5::H5File f(file.string(), H5F_ACC_RDONLY);
  const auto ds = f.openDataSet(name);
  const auto space = ds.getSpace();
  dims.assign(static_cast<std::size_t>(space.getSimpleExtentNdims()), 0);
  space.getSimpleExtentDims(dims.data());
  std::vector<T> v(static_cast<std::size_t>(space.getSimpleExtentNpoints()));
  ds.read(v.data(), type);
  return v;
}

TEST(CliFrameLength, InferRunsTheFramesTAndRecordsTheOutputTrace) {
  const TempDir dir;
  ASSERT_EQ(run_snngx("model init --arch nmnist-mlp --seed 4 -o " + q(dir / "m.snn.h5")).exit_code, 0);
  // The model says T = 15; the frames have 7 steps.
  ASSERT_EQ(run_snngx("frames synth --shape 7,2,34,34 --count 3 --density 0.3 --classes 10 --seed 2 -o " + q(dir / "f.frames.h5")).exit_code, 0);
  const auto r = run_snngx("infer --model " + q(dir / "m.snn.h5") + " --frames " + q(dir / "f.frames.h5") +
                           " --threads 2 --record --outputs " + q(dir / "o.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto net = snn::load_model(dir / "m.snn.h5");
  ASSERT_EQ(net.time_steps, 15);
  const auto frames = datasets::read_frames(dir / "f.frames.h5");
  const snn::Engine engine(net, snn::EngineKind::Event);
  const auto lib = snn::infer(engine, frames);
  const auto trace = snn::record_output(engine, frames);

  std::vector<hsize_t> dims;
  EXPECT_EQ(read_dataset<std::int32_t>(dir / "o.h5", "spike_counts", H5::PredType::NATIVE_INT32, dims), lib.spike_counts);
  const auto spikes = read_dataset<std::uint8_t>(dir / "o.h5", "spikes", H5::PredType::NATIVE_UINT8, dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{3, 7, 10}));
  EXPECT_EQ(spikes, trace.spikes);
  const auto membrane = read_dataset<float>(dir / "o.h5", "membrane", H5::PredType::NATIVE_FLOAT, dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{3, 7, 10}));
  EXPECT_EQ(membrane, trace.membrane);
  // The per-step spikes add up to the counts, and a neuron spikes on a step iff its membrane
  // exceeds the reference threshold 0.3.
  std::vector<std::int32_t> sums(30, 0);
  for (std::size_t n = 0; n < 3; ++n)
    for (std::size_t t = 0; t < 7; ++t)
      for (std::size_t k = 0; k < 10; ++k) {
        const std::size_t at = (n * 7 + t) * 10 + k;
        sums[n * 10 + k] += spikes[at];
        EXPECT_EQ(spikes[at] != 0, membrane[at] > 0.3f) << "sample " << n << " step " << t << " output " << k;
      }
  EXPECT_EQ(sums, lib.spike_counts);

  const auto no_outputs = run_snngx("infer --model " + q(dir / "m.snn.h5") + " --frames " + q(dir / "f.frames.h5") + " --record");
  EXPECT_EQ(no_outputs.exit_code, 1);
  EXPECT_EQ(no_outputs.err, "snngx: error: --record needs --outputs (the file the traces go to)\n");
}

TEST(CliImported, EncryptAndAttackTheImportedSinabsCnn) {
  const fs::path cnn = testing::shared_nir() / "cnn_sinabs.nir";
  if (!fs::exists(cnn)) GTEST_SKIP() << "NIR material absent: " << cnn << " (set SNNGX_SHARED_DIR to the shared folder)";
  const TempDir dir;
  ASSERT_EQ(run_snngx("model import " + q(cnn) + " --dt 1 --bits 8 -o " + q(dir / "c.snn.h5")).exit_code, 0);
  ASSERT_EQ(run_snngx("frames synth --shape 5,2,34,34 --count 16 --density 0.1 --classes 10 --seed 3 -o " + q(dir / "f.frames.h5")).exit_code, 0);
  { std::ofstream(dir / "pass") << "correct horse\n"; }
  // Layer 3 is the biased Linear 128->256; --subset-size 16 takes every sample of the 16.
  const auto r = run_snngx("encrypt --model " + q(dir / "c.snn.h5") + " --subset " + q(dir / "f.frames.h5") + " --test " +
                           q(dir / "f.frames.h5") + " -o " + q(dir / "e.snn.h5") + " --key " + q(dir / "k.key") +
                           " --passphrase-file " + q(dir / "pass") + " --scrypt-log2-n 1 --scrypt-r 1 --report " + q(dir / "rep") +
                           " --layer 3 --subset-size 16 --epsilon 6 --generations 3 --population 8 --mutation 0.2 --seed 5 --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto plain = snn::load_model(dir / "c.snn.h5");
  const auto enc = snn::load_model(dir / "e.snn.h5");
  ASSERT_EQ(enc.state, snn::ModelState::Encrypted);
  std::ifstream in(dir / "rep.json");
  const auto j = nlohmann::json::parse(in);
  // The key flips exactly the sign bits that differ, all in layer 3.
  std::size_t differing = 0;
  for (std::size_t l = 0; l < plain.num_weighted(); ++l) {
    const auto& a = plain.weights(l).quant->weight_bits;
    const auto& b = enc.weights(l).quant->weight_bits;
    for (std::size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k] & 0x7f, b[k] & 0x7f) << "only sign bits are flipped";
      if (a[k] != b[k]) {
        EXPECT_EQ(l, 3u);
        ++differing;
      }
    }
  }
  EXPECT_GT(differing, 0u);
  EXPECT_EQ(j.at("flipped_bits").get<std::size_t>(), differing);
  // The reported subset accuracy is the encrypted model's accuracy under plain inference.
  auto as_stored = enc;
  as_stored.state = snn::ModelState::Quantized;
  const auto frames = datasets::read_frames(dir / "f.frames.h5");
  EXPECT_DOUBLE_EQ(j.at("best_subset_accuracy").get<double>(), snn::infer(as_stored, frames).accuracy());

  // `attack` on the imported model: its accuracies with and without the key are plain inference's.
  const auto a = run_snngx("attack --model " + q(dir / "e.snn.h5") + " --test " + q(dir / "f.frames.h5") + " --key " + q(dir / "k.key") +
                           " --passphrase-file " + q(dir / "pass") + " --trials 2 --known-trials 1 --known-fractions 0,1" +
                           " --baseline-fractions 0 --threads 2 --report " + q(dir / "att"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  std::ifstream ain(dir / "att.json");
  const auto aj = nlohmann::json::parse(ain);
  EXPECT_DOUBLE_EQ(aj.at("accuracy_without_key").get<double>(), snn::infer(as_stored, frames).accuracy());
  EXPECT_DOUBLE_EQ(aj.at("accuracy_with_key").get<double>(), snn::infer(plain, frames).accuracy());
}

}  // namespace
}  // namespace snngx
