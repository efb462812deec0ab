// Byte-level fuzzing of model files (issue 17 point 5): version 1 (float and quantized, the
// reference kinds) and version 2 (biases, neuron layers with recurrent weights, pooling, scale),
// with the mutation kinds of tests/common/file_fuzz.hpp. The rule: load_model returns (the same
// network, or a changed one that passed validation), or throws one line naming the file.
// ctest runs SNNGX_FUZZ_MUTATIONS (default 100) per kind and file; scripts/fuzz_files.sh 10,000.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include "file_fuzz_hdf5.hpp"
#include "snngx/datasets/h5.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"
#include "temp_dir.hpp"

namespace snngx::snn {
namespace {
namespace fs = std::filesystem;
using namespace snngx::testing;

std::vector<float> ramp(std::size_t n, float scale) {
  std::vector<float> v(n);
  for (std::size_t k = 0; k < n; ++k) v[k] = scale * (static_cast<float>(k % 7) - 3.0f) / 3.0f;
  return v;
}

Weights weights(std::vector<int> shape, float scale) {
  Weights w;
  w.shape = shape;
  w.values = ramp(numel(shape), scale);
  return w;
}

// Reference kinds only, small: conv -> lif -> maxpool -> flatten -> linear -> lif.
Network small_reference_net() {
  Network net;
  net.arch = "fuzz-csnn";
  net.time_steps = 4;
  net.input_shape = {2, 6, 6};
  net.num_classes = 3;
  Conv2d c;
  c.in_channels = 2, c.out_channels = 3, c.padding = {1, 1};
  c.weight = weights({3, 2, 3, 3}, 0.5f);
  Linear l;
  l.in_features = 27, l.out_features = 3;
  l.weight = weights({3, 27}, 0.25f);
  net.layers = {c, Lif{}, MaxPool2d{}, Flatten{}, l, Lif{}};
  validate(net);
  return net;
}

Neuron neuron(NeuronModel model, std::size_t n, bool recurrent) {
  Neuron u;
  u.model = model;
  u.reset = ResetMode::Subtract;
  u.dt = 1e-4;
  for (const auto& name : neuron_parameter_names(model)) {
    const float value = name == "tau" ? 2e-3f : name == "tau_syn" ? 1e-3f : name == "v_threshold" ? 1.0f : name == "r" || name == "w_in" ? 1.0f : 0.0f;
    neuron_parameter(u, name).assign(n, value);
  }
  if (recurrent) {
    u.recurrent = weights({static_cast<int>(n), static_cast<int>(n)}, 0.125f);
    u.recurrent_bias = ramp(n, 0.01f);
  }
  return u;
}

// Version 2 kinds: conv + bias -> sumpool -> flatten -> scale -> linear + bias -> CubaLIF with
// recurrence -> linear + bias -> LIF neuron.
Network small_v2_net() {
  Network net;
  net.arch = "fuzz-v2";
  net.time_steps = 3;
  net.input_shape = {2, 4, 4};
  net.num_classes = 2;
  Conv2d c;
  c.in_channels = 2, c.out_channels = 2, c.padding = {1, 1};
  c.weight = weights({2, 2, 3, 3}, 0.5f);
  c.bias = {0.1f, -0.1f};
  Pool2d pool;  // sum, 2x2
  Linear a;
  a.in_features = 8, a.out_features = 5;
  a.weight = weights({5, 8}, 0.3f);
  a.bias = ramp(5, 0.05f);
  Linear b;
  b.in_features = 5, b.out_features = 2;
  b.weight = weights({2, 5}, 0.7f);
  b.bias = {0.2f, 0.0f};
  net.layers = {c, pool, Flatten{}, Scale{ramp(8, 1.0f)}, a, neuron(NeuronModel::CubaLif, 5, true), b,
                neuron(NeuronModel::Lif, 2, false)};
  validate(net);
  return net;
}

void fuzz_model_file(const Network& net, int version, std::uint64_t seed) {
  const TempDir dir;
  const fs::path valid_path = dir / "valid.snn.h5", path = dir / "fuzz.snn.h5";
  save_model(valid_path, net);
  if (version == 1) {
    H5::H5File f(valid_path.string(), H5F_ACC_RDWR);
    h5::set_attr(f, "version", std::int64_t{1});
  }
  const Network expected = load_model(valid_path);
  ASSERT_EQ(expected, net);
  const Bytes valid = read_bytes(valid_path);
  const auto data = dataset_byte_ranges(valid_path);
  ASSERT_FALSE(data.empty());
  std::mt19937_64 rng(seed);
  const int n = fuzz_mutations();
  const std::string label = "model v" + std::to_string(version) + " " + to_string(net.state) + " (" + net.arch + ")";
  for (const auto kind : all_file_mutations) {
    const auto t = fuzz_file(valid, path, kind, data, n, rng, [&] { return load_model(path) == expected; }, label);
    // Fletcher-32 on every dataset: a flip inside the stored weights is never a different model.
    if (kind == FileMutation::DataBitFlips) {
      EXPECT_EQ(t.changed, 0) << label;
    }
    if (kind == FileMutation::Truncation) {
      EXPECT_GT(t.rejected, n / 2) << label;
    }
  }
}

TEST(ModelFileFuzz, Version1FloatSurvivesBitFlipsTruncationAndRandomRuns) { fuzz_model_file(small_reference_net(), 1, 301); }
TEST(ModelFileFuzz, Version1QuantizedSurvivesBitFlipsTruncationAndRandomRuns) {
  fuzz_model_file(quantize(small_reference_net(), 8, QuantRule::MaxAbs), 1, 302);
}
TEST(ModelFileFuzz, Version2WithBiasesAndNeuronLayersSurvivesBitFlipsTruncationAndRandomRuns) { fuzz_model_file(small_v2_net(), 2, 303); }

}  // namespace
}  // namespace snngx::snn
