// `snngx train` end to end (issue 5): the per-epoch CSV, the JSON summary whose float and
// quantized test accuracies equal the library's inference on the written models, the quantized
// model equal to quantize(best float model), the checkpoint and --resume, early stop.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cli.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"
#include "snngx/snn/train.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

using testing::run_snngx;
using testing::TempDir;
namespace fs = std::filesystem;

using testing::q;

snn::Weights zeros(std::vector<int> shape) {
  snn::Weights w;
  w.shape = shape;
  w.values.assign(snn::numel(shape), 0.0f);
  return w;
}

snn::Network small_mlp() {
  snn::Network net;
  net.arch = "small-mlp";
  net.time_steps = 8;
  net.input_shape = {2, 3, 3};
  net.num_classes = 3;
  net.layers = {snn::Flatten{}, snn::Linear{18, 16, zeros({16, 18})}, snn::Lif{}, snn::Linear{16, 3, zeros({3, 16})}, snn::Lif{}};
  snn::init_weights(net, 1);
  return net;
}

// Class k lights up its own third of the cells often and the rest rarely.
datasets::FrameSet separable(std::size_t n, std::uint64_t seed) {
  datasets::FrameSet f;
  f.shape = {8, 2, 3, 3};
  f.source = "train_cli_test";
  f.transform = "separable";
  f.sensor_size = {3, 3, 2};
  f.classes = {"a", "b", "c"};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t step = f.shape.step_size();
  std::vector<std::uint16_t> sample(f.shape.sample_size());
  for (std::size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 3);
    for (std::size_t j = 0; j < sample.size(); ++j)
      sample[j] = u(rng) < (static_cast<int>((j % step) * 3 / step) == label ? 0.5 : 0.05) ? 1 : 0;
    f.push_back(sample, label);
  }
  return f;
}

std::vector<std::string> lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

struct Files {
  TempDir dir;
  fs::path model, train, test;
  Files() : model(dir / "new" / "sub" / "m.snn.h5"), train(dir / "train.frames.h5"), test(dir / "test.frames.h5") {
    fs::create_directories(model.parent_path());  // output folders must exist: one rule for every command
    snn::save_model(dir / "init.snn.h5", small_mlp());
    datasets::write_frames(train, separable(60, 1));
    datasets::write_frames(test, separable(30, 2));
  }
  std::string args(int epochs, const std::string& extra = "") const {
    return "train --init-model " + q(dir / "init.snn.h5") + " --train " + q(train) + " --test " + q(test) + " --epochs " +
           std::to_string(epochs) + " --batch 8 --lr 0.01 --threads 2 --seed 3 -o " + q(model) + " " + extra;
  }
  fs::path sibling(const std::string& suffix) const { return model.parent_path() / ("m" + suffix); }
};

TEST(CliTrain, WritesModelsHistoryAndReportsTheLibrarysFloatAndQuantizedAccuracy) {
  const Files f;
  const auto r = run_snngx(f.args(3));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The best float model and its 8-bit quantization (max_abs), in a folder created on the way.
  const snn::Network best = snn::load_model(f.model);
  const snn::Network quant = snn::load_model(f.sibling("-q8.snn.h5"));
  EXPECT_EQ(best.state, snn::ModelState::Float);
  ASSERT_EQ(quant.state, snn::ModelState::Quantized);
  const snn::Network requant = snn::quantize(best, 8, snn::QuantRule::MaxAbs);
  for (std::size_t k = 0; k < quant.num_weighted(); ++k)
    EXPECT_EQ(quant.weights(k).quant->weight_bits, requant.weights(k).quant->weight_bits) << "layer " << k;

  // The summary's accuracies are those of the written models on the test frames.
  const auto test = datasets::read_frames(f.test);
  std::ifstream js(f.sibling(".train.json"));
  const auto j = nlohmann::json::parse(js);
  const double float_acc = snn::infer(best, test).accuracy(), quant_acc = snn::infer(quant, test).accuracy();
  EXPECT_DOUBLE_EQ(j.at("float_test_accuracy").get<double>(), float_acc);
  EXPECT_DOUBLE_EQ(j.at("quantized_test_accuracy").get<double>(), quant_acc);
  EXPECT_GT(float_acc, 0.8);  // it learned the task
  EXPECT_NE(r.out.find("8-bit quantized"), std::string::npos) << r.out;

  // History: a header and one row per epoch; the best row's test accuracy is the best model's.
  const auto csv = lines(f.sibling(".train.csv"));
  ASSERT_EQ(csv.size(), 4U);
  EXPECT_EQ(csv[0],
            "epoch,loss,train_accuracy,test_accuracy,samples_per_second,seconds,learning_rate,best,silent_outputs,firing_rate_1,"
            "firing_rate_2");
  int best_rows = 0;
  double best_row_acc = -1.0, max_acc = -1.0;
  for (std::size_t e = 1; e < csv.size(); ++e) {
    std::stringstream row(csv[e]);
    std::vector<std::string> cells;
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 11U) << csv[e];
    EXPECT_EQ(std::stoi(cells[0]), static_cast<int>(e));
    // Diagnostics: silent outputs of 3, firing rates in percent (the hidden layer does spike).
    EXPECT_GE(std::stoi(cells[8]), 0);
    EXPECT_LE(std::stoi(cells[8]), 3);
    EXPECT_GT(std::stod(cells[9]), 0.0);
    EXPECT_LE(std::stod(cells[9]), 100.0);
    const double acc = std::stod(cells[3]);
    max_acc = std::max(max_acc, acc);
    if (cells[7] == "1") {
      ++best_rows;
      best_row_acc = acc;  // the last row marked best is the kept one
    }
  }
  EXPECT_GE(best_rows, 1);
  EXPECT_DOUBLE_EQ(best_row_acc, max_acc);
  EXPECT_NEAR(best_row_acc, 100.0 * float_acc, 1e-3);
  // The log line carries the diagnostics too.
  EXPECT_NE(r.out.find("firing "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("silent outputs "), std::string::npos) << r.out;

  // The plot: loss (left axis) with accuracy in percent (right axis); firing rates on a log axis.
  const auto gp = lines(f.sibling(".train.svg.gp"));
  std::string script;
  for (const auto& l : gp) script += l + "\n";
  EXPECT_NE(script.find("set termoption noenhanced"), std::string::npos) << script;
  EXPECT_NE(script.find("set ylabel 'training loss'"), std::string::npos) << script;
  EXPECT_NE(script.find("set y2label 'accuracy (%)'"), std::string::npos) << script;
  EXPECT_NE(script.find("using 1:2 axes x1y1 title 'training loss'"), std::string::npos) << script;
  EXPECT_NE(script.find("using 1:4 axes x1y2 title 'test accuracy (%)'"), std::string::npos) << script;
  EXPECT_NE(script.find("set logscale y 10"), std::string::npos) << script;
  EXPECT_NE(script.find("title 'LIF layer 2 (output)'"), std::string::npos) << script;
  EXPECT_NE(script.find("title 'silent output neurons'"), std::string::npos) << script;

  // The JSON summary names the surrogate and carries the last epoch's diagnostics and no warning.
  EXPECT_EQ(j.at("surrogate"), "fast-sigmoid");
  EXPECT_EQ(j.at("layer_lr"), "fan-in");
  EXPECT_EQ(j.at("last_epoch").at("firing_rate").size(), 2U);
  EXPECT_TRUE(j.at("warnings").empty()) << j.dump();

  // The per-epoch checkpoint is a loadable training checkpoint of the last epoch.
  const auto ckpt = snn::load_checkpoint(f.sibling(".ckpt.h5"));
  EXPECT_EQ(ckpt.epoch, 3);
  EXPECT_EQ(ckpt.history.size(), 3U);
}

TEST(CliTrain, ResumeContinuesTheCheckpointedRunToTheSameModel) {
  // A constant schedule: the cosine one depends on --epochs, which the interrupted run stands in for.
  const Files straight, resumed;
  ASSERT_EQ(run_snngx(straight.args(4, "--schedule constant")).exit_code, 0);
  ASSERT_EQ(run_snngx(resumed.args(2, "--schedule constant")).exit_code, 0);
  const auto r = run_snngx(resumed.args(4, "--schedule constant --resume"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("resumed from"), std::string::npos) << r.out;
  EXPECT_EQ(lines(resumed.sibling(".train.csv")).size(), 5U);
  const auto a = snn::load_model(straight.model), b = snn::load_model(resumed.model);
  for (std::size_t k = 0; k < a.num_weighted(); ++k) EXPECT_EQ(a.weights(k).values, b.weights(k).values) << "layer " << k;
}

TEST(CliTrain, WarnsWhenTheOutputLayerStaysSilentAndAccuracyAtChance) {
  const Files f;
  snn::Network net = small_mlp();
  for (float& w : net.weights(1).values) w = -std::fabs(w);  // no output neuron can ever spike
  snn::save_model(f.dir / "silent.snn.h5", net);
  const auto r = run_snngx("train --init-model " + q(f.dir / "silent.snn.h5") + " --train " + q(f.train) + " --test " + q(f.test) +
                           " --epochs 1 --lr 1e-9 --threads 2 -o " + q(f.model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("silent outputs 3/3"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("snngx: warning: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the output layer was silent"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is at chance"), std::string::npos) << r.err;
  std::ifstream js(f.sibling(".train.json"));
  EXPECT_EQ(nlohmann::json::parse(js).at("warnings").size(), 2U);
}

// Issue 16 point 5: with nothing but --arch and the data (the library's defaults), both reference
// networks learn the small default data: the MLP >= 80 % on N-Fashion-MNIST, the CSNN above 3x
// chance (27.3 %) on the gestures within 5 epochs. Several minutes on 2 cores: runs only as the
// ctest "CliTrainDefaults.Slow" (label slow), which sets SNNGX_SLOW_TESTS=1.
TEST(CliTrainDefaults, SmallDefaultDataTrainsWithOnlyArchAndData) {
  if (std::getenv("SNNGX_SLOW_TESTS") == nullptr) GTEST_SKIP() << "slow (minutes): run with SNNGX_SLOW_TESTS=1 or ctest -L slow";
  const TempDir dir;
  const fs::path data = dir / "data";
  auto ok = [](const std::string& args) {
    const auto r = run_snngx(args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    return r;
  };
  ok("dataset make-default --size small --out " + q(data));
  for (const std::string split : {"train", "test"}) {
    ok("dataset convert --format nmnist --root " + q(data / "n-fashion-mnist") + " --split " + split + " -o " +
       q(data / ("nf-" + split + ".frames.h5")));
    ok("dataset convert --format dvsgesture --root " + q(data / "dvs-gesture") + " --split " + split + " -o " +
       q(data / ("g-" + split + ".frames.h5")));
  }
  const auto accuracy = [&](const std::string& arch, const std::string& prefix, const std::string& extra) {
    const fs::path model = dir / (prefix + ".snn.h5");
    ok("train --arch " + arch + " --train " + q(data / (prefix + "-train.frames.h5")) + " --test " +
       q(data / (prefix + "-test.frames.h5")) + " -o " + q(model) + extra);
    std::ifstream js(dir / (prefix + ".train.json"));
    return nlohmann::json::parse(js).at("float_test_accuracy").get<double>();
  };
  EXPECT_GE(accuracy("nmnist-mlp", "nf", ""), 0.80);
  // "--epochs 5" only caps the run at the 5 epochs the target allows; every training option is the default.
  EXPECT_GT(accuracy("dvsgesture-csnn", "g", " --epochs 5"), 3.0 / 11.0);
}

TEST(CliTrain, BadTrainingFileGivesOneErrorLine) {
  const Files f;
  std::ofstream(f.dir / "bad.frames.h5") << "not hdf5";
  const auto r = run_snngx("train --init-model " + q(f.dir / "init.snn.h5") + " --train " + q(f.dir / "bad.frames.h5") +
                           " -o " + q(f.model));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("snngx: error: ", 0), 0U) << r.err;
  EXPECT_NE(r.err.find("bad.frames.h5"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(f.model));
}

}  // namespace
}  // namespace snngx
