// `snngx model import|export|info` on NIR graphs (issue 18): outputs equal the library's, the graph
// is printed with weighted layers numbered as --layer counts them, malformed graphs give one line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli.hpp"
#include <H5Cpp.h>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/nir.hpp"
#include "snngx/snn/quantize.hpp"
#include "temp_dir.hpp"
#include "shared_nir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::run_snngx;
using testing::TempDir;

using testing::q;

fs::path braille() { return testing::shared_nir() / "braille_noDelay_bias_zero.nir"; }

TEST(CliModelNir, ImportQuantizeInfoExportMatchTheLibrary) {
  if (!fs::exists(braille())) GTEST_SKIP() << "NIR material absent: " << braille();
  const TempDir dir;
  const auto imported = run_snngx("model import " + q(braille()) + " --dt 1e-4 --time-steps 50 --bits 8 -o " + q(dir / "b.snn.h5"));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const snn::Network expected =
      snn::quantize(snn::nir::import_file(braille(), {.dt = 1e-4, .time_steps = 50}), 8, snn::QuantRule::MaxAbs);
  EXPECT_EQ(snn::load_model(dir / "b.snn.h5"), expected);

  const auto info = run_snngx("model info " + q(dir / "b.snn.h5"));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("cubalif dt 0.0001s"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("recurrent 38x38"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("[layer index 1; q=8"), std::string::npos) << "the recurrent weights are weighted layer 1\n" << info.out;
  EXPECT_NE(info.out.find("[layer index 2; q=8"), std::string::npos) << info.out;

  // Export the float import and bring it back: the same network.
  ASSERT_EQ(run_snngx("model import " + q(braille()) + " -o " + q(dir / "f.snn.h5")).exit_code, 0);
  const auto exported = run_snngx("model export " + q(dir / "f.snn.h5") + " -o " + q(dir / "again.nir"));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(snn::nir::import_file(dir / "again.nir", {}), snn::load_model(dir / "f.snn.h5"));
}

TEST(CliModelNir, SinabsCnnRunsThroughInferOnBothEngines) {
  const fs::path cnn = braille().parent_path() / "cnn_sinabs.nir";
  if (!fs::exists(cnn)) GTEST_SKIP() << "NIR material absent: " << cnn;
  const TempDir dir;
  // Sinabs' IF adds its input once per step: dt = 1 with r = 1.
  ASSERT_EQ(run_snngx("model import " + q(cnn) + " --dt 1 --bits 8 -o " + q(dir / "c.snn.h5")).exit_code, 0);
  ASSERT_EQ(run_snngx("frames synth --shape 15,2,34,34 --count 12 --density 0.1 --classes 10 --seed 3 -o " + q(dir / "f.frames.h5")).exit_code, 0);
  const snn::Network net = snn::load_model(dir / "c.snn.h5");
  const auto frames = datasets::read_frames(dir / "f.frames.h5");
  snn::InferenceOptions dense;
  dense.engine = snn::EngineKind::Dense;
  const auto lib = snn::infer(net, frames, dense);
  int spikes = 0;
  for (const auto c : lib.spike_counts) spikes += c;
  EXPECT_GT(spikes, 0) << "outputs that never spike compare nothing";
  for (const std::string engine : {"event", "dense"}) {
    const auto r = run_snngx("infer --model " + q(dir / "c.snn.h5") + " --frames " + q(dir / "f.frames.h5") + " --engine " + engine +
                             " --threads 2 --outputs " + q(dir / ("o_" + engine + ".h5")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    H5::H5File out((dir / ("o_" + engine + ".h5")).string(), H5F_ACC_RDONLY);
    std::vector<std::int32_t> counts(12 * 10);
    out.openDataSet("spike_counts").read(counts.data(), H5::PredType::NATIVE_INT32);
    EXPECT_EQ(counts, lib.spike_counts) << engine;
  }
}

TEST(CliModelNir, ResetSubtractAppliesToEveryNeuronOfAForeignFile) {
  const fs::path cnn = braille().parent_path() / "cnn_sinabs.nir";
  if (!fs::exists(cnn)) GTEST_SKIP() << "NIR material absent: " << cnn;
  const TempDir dir;
  // Sinabs' IAF resets by subtraction, which NIR 1.x cannot record.
  const auto r = run_snngx("model import " + q(cnn) + " --dt 1 --reset subtract -o " + q(dir / "c.snn.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const snn::Network net = snn::load_model(dir / "c.snn.h5");
  EXPECT_EQ(net, snn::nir::import_file(cnn, {.dt = 1.0, .reset = snn::ResetMode::Subtract}));
  int neurons = 0;
  for (const auto& layer : net.layers)
    if (const auto* n = std::get_if<snn::Neuron>(&layer)) {
      EXPECT_EQ(n->reset, snn::ResetMode::Subtract);
      ++neurons;
    }
  EXPECT_EQ(neurons, 5);
  const auto bad = run_snngx("model import " + q(cnn) + " --reset halve -o " + q(dir / "d.snn.h5"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--reset"), std::string::npos) << bad.err;
}

TEST(CliModelNir, MalformedGraphIsOneLineNamingTheNode) {
  const TempDir dir;
  snn::nir::Document doc;
  doc.version = "0.2.0";
  snn::nir::Array shape;
  shape.shape = {1};
  shape.values = {1};
  snn::nir::Array weight;
  weight.shape = {1, 1};
  weight.values = {1};
  doc.graph.nodes = {{"input", {"Input", {{"shape", shape}}, nullptr}},
                     {"fc", {"Linear", {{"weight", weight}}, nullptr}},
                     {"lif", {"LIF", {{"tau", shape}, {"r", shape}, {"v_leak", shape}}, nullptr}},
                     {"output", {"Output", {{"shape", shape}}, nullptr}}};
  doc.graph.edges = {{"input", "fc"}, {"fc", "lif"}, {"lif", "output"}};
  snn::nir::write(dir / "bad.nir", doc);
  const auto r = run_snngx("model import " + q(dir / "bad.nir") + " -o " + q(dir / "m.snn.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "snngx: error: " + (dir / "bad.nir").string() + ": node 'lif' (LIF): parameter 'v_threshold' missing\n");
  EXPECT_FALSE(fs::exists(dir / "m.snn.h5")) << "nothing half-written";

  // Max pooling of the network's input (not spikes) has no exact NIR form: export refuses it naming
  // the model and the layer, and writes nothing.
  const fs::path spec = dir / "p.net.yaml";
  {
    std::ofstream(spec) << "name: p\ninput: [1, 4, 4]\nlayers:\n  - maxpool2d: {kernel: 2}\n  - flatten\n  - linear: {out: 2}\n  - lif\n";
  }
  ASSERT_EQ(run_snngx("model init --spec " + q(spec) + " -o " + q(dir / "p.snn.h5")).exit_code, 0);
  const auto e = run_snngx("model export " + q(dir / "p.snn.h5") + " -o " + q(dir / "p.nir"));
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(e.err, "snngx: error: " + (dir / "p.snn.h5").string() +
                       ": layer 0 (maxpool2d): NIR has no max pooling node; snngx writes it as SumPool2d -> Threshold 0.5, which equals it "
                       "only on spikes, but its input is the network's input\n");
  EXPECT_FALSE(fs::exists(dir / "p.nir"));
}

TEST(CliModelNir, TheCsnnExportsAndImportsAsTheSameModel) {
  const TempDir dir;
  ASSERT_EQ(run_snngx("model init --arch dvsgesture-csnn --seed 4 -o " + q(dir / "c.snn.h5")).exit_code, 0);
  const auto e = run_snngx("model export " + q(dir / "c.snn.h5") + " -o " + q(dir / "c.nir"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto i = run_snngx("model import " + q(dir / "c.nir") + " -o " + q(dir / "again.snn.h5"));
  ASSERT_EQ(i.exit_code, 0) << i.err;
  EXPECT_EQ(snn::load_model(dir / "again.snn.h5"), snn::load_model(dir / "c.snn.h5"));
}

}  // namespace
}  // namespace snngx
