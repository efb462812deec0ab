// Model files: round trip, and one clear error naming the file and problem for each malformed case.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <fstream>
#include <iterator>
#include <limits>

#include "snngx/datasets/h5.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"
#include "temp_dir.hpp"

namespace snngx::snn {
namespace {

using snngx::testing::TempDir;

Network small_quantized() {
  Network net = make_nmnist_mlp();
  init_weights(net, 11);
  return quantize(net, 8, QuantRule::MaxAbs);
}

void expect_same(const Network& a, const Network& b) {
  EXPECT_EQ(a.arch, b.arch);
  EXPECT_EQ(a.time_steps, b.time_steps);
  EXPECT_EQ(a.input_shape, b.input_shape);
  EXPECT_EQ(a.num_classes, b.num_classes);
  EXPECT_EQ(a.state, b.state);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t i = 0; i < a.layers.size(); ++i) EXPECT_EQ(kind_name(a.layers[i]), kind_name(b.layers[i]));
  ASSERT_EQ(a.num_weighted(), b.num_weighted());
  for (std::size_t l = 0; l < a.num_weighted(); ++l) {
    EXPECT_EQ(a.weights(l).shape, b.weights(l).shape);
    EXPECT_EQ(a.weights(l).values, b.weights(l).values);
    ASSERT_EQ(a.weights(l).quant.has_value(), b.weights(l).quant.has_value());
    if (a.weights(l).quant) {
      EXPECT_EQ(a.weights(l).quant->weight_bits, b.weights(l).quant->weight_bits);
      EXPECT_EQ(a.weights(l).quant->exponent, b.weights(l).quant->exponent);
      EXPECT_EQ(a.weights(l).quant->bits, b.weights(l).quant->bits);
      EXPECT_EQ(a.weights(l).quant->rule, b.weights(l).quant->rule);
    }
  }
}

TEST(ModelFile, FloatAndQuantizedRoundTrip) {
  const TempDir dir;
  Network csnn = make_dvsgesture_csnn();
  init_weights(csnn, 2);
  save_model(dir / "f.snn.h5", csnn);
  expect_same(csnn, load_model(dir / "f.snn.h5"));
  const Network q = quantize(csnn, 8, QuantRule::Reference);
  save_model(dir / "q.snn.h5", q);
  expect_same(q, load_model(dir / "q.snn.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "q.snn.h5.tmp"));
}

// A flipped bit inside a float weight is caught by the dataset's Fletcher-32 checksum: one error
// naming the file, not a silently different model.
TEST(ModelFile, FlippedWeightBitIsAChecksumErrorNamingTheFile) {
  const TempDir dir;
  Network net = make_nmnist_mlp();
  for (std::size_t l = 0; l < net.num_weighted(); ++l) std::fill(net.weights(l).values.begin(), net.weights(l).values.end(), 0.25f);
  const auto path = dir / "m.snn.h5";
  save_model(path, net);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::string quarter("\x00\x00\x80\x3e", 4);  // 0.25f, little endian
  std::string run;
  for (int i = 0; i < 64; ++i) run += quarter;
  const auto at = std::string(bytes.begin(), bytes.end()).find(run);
  ASSERT_NE(at, std::string::npos) << "the float weights must be stored uncompressed";
  f.seekp(static_cast<std::streamoff>(at + 2));
  f.put(static_cast<char>(0x81));  // 0.25f -> 0.2519531f: still finite, a plausible weight
  f.close();
  try {
    (void)load_model(path);
    FAIL() << "a corrupted weight was loaded";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path.string() + ": ", 0), 0U) << e.what();
  }
}

TEST(ModelFile, EncryptedModelKeepsKeyFingerprint) {
  const TempDir dir;
  Network q = small_quantized();
  q.state = ModelState::Encrypted;
  q.key_fingerprint = std::string(64, 'a');
  save_model(dir / "e.snn.h5", q);
  EXPECT_EQ(load_model(dir / "e.snn.h5").key_fingerprint, q.key_fingerprint);
}

// Writes a valid quantized model, applies `corrupt` to it, and expects load_model to throw a
// message containing the file name and `expected`.
void expect_refused(const std::function<void(H5::H5File&)>& corrupt, const std::string& expected) {
  const TempDir dir;
  const auto path = dir / "m.snn.h5";
  save_model(path, small_quantized());
  {
    H5::H5File f(path.string(), H5F_ACC_RDWR);
    corrupt(f);
  }
  try {
    (void)load_model(path);
    FAIL() << "no error; expected: " << expected;
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(expected), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

TEST(ModelFile, RefusesMissingAttribute) {
  expect_refused([](H5::H5File& f) { f.removeAttr("time_steps"); }, "attribute 'time_steps' missing");
  expect_refused([](H5::H5File& f) { f.openGroup("layers/001").removeAttr("in_features"); }, "attribute 'in_features' missing");
}

TEST(ModelFile, RefusesWrongAttribute) {
  expect_refused([](H5::H5File& f) { h5::set_attr(f, "format", std::string("other")); }, "expected 'snngx-model'");
  expect_refused([](H5::H5File& f) { h5::set_attr(f, "state", std::string("plaintext")); }, "unknown model state");
  expect_refused([](H5::H5File& f) { h5::set_attr(f, "time_steps", std::string("15")); }, "attribute 'time_steps' must be an integer");
  expect_refused([](H5::H5File& f) { h5::set_attr(f, "num_classes", std::int64_t{11}); }, "num_classes is 11");
}

TEST(ModelFile, RefusesUnsupportedVersion) {
  expect_refused([](H5::H5File& f) { h5::set_attr(f, "version", std::int64_t{3}); }, "unsupported model format version 3");
  expect_refused([](H5::H5File& f) { h5::set_attr(f, "version", std::int64_t{0}); }, "unsupported model format version 0");
}

TEST(ModelFile, RefusesWrongShape) {
  expect_refused([](H5::H5File& f) {
    H5::Group g = f.openGroup("layers/003");
    h5::set_attr(g, "in_features", std::int64_t{500});
  },
                 "has shape [10,512], expected [10,500]");
  expect_refused(
      [](H5::H5File& f) {
        H5::Group g = f.openGroup("layers/003");
        g.unlink("weight");
        const hsize_t d[2] = {10, 511};
        g.createDataSet("weight", H5::PredType::IEEE_F32LE, H5::DataSpace(2, d));
      },
      "dataset 'weight' has shape [10,511]");
}

TEST(ModelFile, RefusesUnknownKind) {
  expect_refused([](H5::H5File& f) {
    H5::Group g = f.openGroup("layers/002");
    h5::set_attr(g, "kind", std::string("relu"));
  }, "unknown layer kind 'relu'");
}

TEST(ModelFile, RefusesNanOrInfWeights) {
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    expect_refused(
        [bad](H5::H5File& f) {
          H5::DataSet ds = f.openDataSet("layers/003/weight");
          std::vector<float> w(5120);
          ds.read(w.data(), H5::PredType::NATIVE_FLOAT);
          w[17] = bad;
          ds.write(w.data(), H5::PredType::NATIVE_FLOAT);
        },
        "NaN/Inf at index 17");
  }
}

TEST(ModelFile, RefusesWeightThatDisagreesWithWeightBits) {
  expect_refused(
      [](H5::H5File& f) {
        H5::DataSet ds = f.openDataSet("layers/003/weight_bits");
        std::vector<std::uint8_t> b(5120);
        ds.read(b.data(), H5::PredType::NATIVE_UINT8);
        b[42] ^= 0x80;
        ds.write(b.data(), H5::PredType::NATIVE_UINT8);
      },
      "weight and weight_bits disagree at index 42");
}

TEST(ModelFile, RefusesBiasInVersion1AndBiasOfWrongSize) {
  expect_refused(
      [](H5::H5File& f) {
        h5::set_attr(f, "version", std::int64_t{1});
        const hsize_t d = 10;
        f.openGroup("layers/003").createDataSet("bias", H5::PredType::IEEE_F32LE, H5::DataSpace(1, &d));
      },
      "dataset 'bias' is not supported in a version 1 model file");
  expect_refused(
      [](H5::H5File& f) {
        const hsize_t d = 9;
        f.openGroup("layers/003").createDataSet("bias", H5::PredType::IEEE_F32LE, H5::DataSpace(1, &d));
      },
      "dataset 'bias' has shape [9], expected [10]");
}

TEST(ModelFile, Version1FilesStillLoad) {
  const TempDir dir;
  const auto path = dir / "v1.snn.h5";
  const Network net = small_quantized();
  save_model(path, net);
  {
    H5::H5File f(path.string(), H5F_ACC_RDWR);
    h5::set_attr(f, "version", std::int64_t{1});
  }
  EXPECT_EQ(load_model(path), net);
}

TEST(ModelFile, RefusesVersion2KindsInVersion1) {
  const TempDir dir;
  const auto path = dir / "v1.snn.h5";
  Network net = small_quantized();
  save_model(path, net);
  {
    H5::H5File f(path.string(), H5F_ACC_RDWR);
    h5::set_attr(f, "version", std::int64_t{1});
    H5::Group g = f.openGroup("layers/004");
    h5::set_attr(g, "kind", std::string("neuron"));
  }
  try {
    (void)load_model(path);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("layer kind 'neuron' needs model format version 2"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, RefusesNonHdf5AndMissingFiles) {
  const TempDir dir;
  const auto junk = dir / "junk.snn.h5";
  { std::ofstream(junk) << "not hdf5"; }
  EXPECT_THROW((void)load_model(junk), std::runtime_error);
  try {
    (void)load_model(dir / "absent.snn.h5");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
}

TEST(ModelFile, FailedSaveLeavesNoFile) {
  const TempDir dir;
  Network bad = small_quantized();
  bad.num_classes = 3;  // invalid: the last layer has 10 neurons
  EXPECT_THROW(save_model(dir / "bad.snn.h5", bad), std::invalid_argument);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path));
}

}  // namespace
}  // namespace snngx::snn
