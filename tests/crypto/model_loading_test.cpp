// Decrypt-on-load exactly as the CLI does it (app/model_loading.cpp), on real model files: the
// key restores the plain model bit for bit; keys of other models, re-sealed keys, wrong
// passphrases and tampered files are refused with one clear message.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>

#include "model_loading.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"
#include "temp_dir.hpp"
#include "error_of.hpp"

namespace snngx::app {
namespace {

const crypto::KdfParams kFastScrypt = crypto::KdfParams::scrypt(1, 1, 1);

snn::Network tiny_plain(std::uint64_t seed) {
  snn::Network n;
  n.arch = "tiny-mlp";
  n.time_steps = 2;
  n.input_shape = {6};
  n.num_classes = 3;
  snn::Linear a;
  a.in_features = 6;
  a.out_features = 5;
  a.weight.shape = {5, 6};
  a.weight.values.assign(30, 0.0f);
  snn::Linear b;
  b.in_features = 5;
  b.out_features = 3;
  b.weight.shape = {3, 5};
  b.weight.values.assign(15, 0.0f);
  n.layers = {a, snn::Lif{}, b, snn::Lif{}};
  snn::init_weights(n, seed);
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

// Sign bits of weights 0, 3, 7 of layer 0 and a magnitude bit of weight 2 of layer 1.
crypto::XorKey tiny_key() { return crypto::XorKey{{crypto::LayerKey{0, 8, 240, {0, 24, 56}}, crypto::LayerKey{1, 8, 120, {17}}}}; }

// One encrypted model, its sealed key and a passphrase file. Fixtures of one test share a
// directory (a TempDir is named after the test, so a second one would wipe the first's files).
struct Fixture {
  std::shared_ptr<const testing::TempDir> dir_owner;
  const testing::TempDir& dir;
  snn::Network plain;
  std::filesystem::path model, key, pass;

  explicit Fixture(std::uint64_t seed = 1, const std::string& name = "m",
                   std::shared_ptr<const testing::TempDir> shared = std::make_shared<const testing::TempDir>())
      : dir_owner(std::move(shared)), dir(*dir_owner), plain(tiny_plain(seed)) {
    // Encrypt with snn's own bit access (an independent path from keyed::apply_layer).
    snn::Network enc = plain;
    snn::flip_bit(enc, 0, 0, 0);
    snn::flip_bit(enc, 0, 3, 0);
    snn::flip_bit(enc, 0, 7, 0);
    snn::flip_bit(enc, 1, 2, 1);
    model = dir / (name + ".snn.h5");
    key = dir / (name + ".key");
    pass = dir / "pass.txt";
    std::ofstream(pass) << "pw\n";
    keyed::seal_for_model(enc, tiny_key(), key, crypto::KeySecret::passphrase("pw"), kFastScrypt);
    snn::save_model(model, enc);
  }
  [[nodiscard]] ModelSource source() const { return {model.string(), key.string(), pass.string(), ""}; }
};

using snngx::testing::error_of;

void expect_equal_weights(const snn::Network& a, const snn::Network& b) {
  ASSERT_EQ(a.num_weighted(), b.num_weighted());
  for (std::size_t l = 0; l < a.num_weighted(); ++l) {
    EXPECT_EQ(a.weights(l).quant->weight_bits, b.weights(l).quant->weight_bits) << "layer " << l;
    EXPECT_EQ(a.weights(l).values, b.weights(l).values) << "layer " << l;
  }
}

TEST(ModelLoading, KeyRestoresThePlainModelBitForBit) {
  const Fixture f;
  const snn::Network stored = snn::load_model(f.model);
  EXPECT_EQ(stored.state, snn::ModelState::Encrypted);
  EXPECT_NE(stored.weights(0).quant->weight_bits, f.plain.weights(0).quant->weight_bits);
  const snn::Network loaded = load_model_for_use(f.source());
  EXPECT_EQ(loaded.state, snn::ModelState::Quantized);
  EXPECT_TRUE(loaded.key_fingerprint.empty());
  expect_equal_weights(loaded, f.plain);
}

TEST(ModelLoading, HeaderBindsBothWays) {
  const Fixture f;
  const snn::Network stored = snn::load_model(f.model);
  const auto h = crypto::read_key_header(f.key);
  EXPECT_EQ(h.model_fingerprint, keyed::weights_fingerprint(stored));
  EXPECT_EQ(stored.key_fingerprint, h.fingerprint);
}

TEST(ModelLoading, DeviceKeySealedModelLoads) {
  const testing::TempDir dir;
  const snn::Network plain = tiny_plain(3);
  snn::Network enc = plain;
  snn::flip_bit(enc, 1, 4, 0);
  const std::vector<std::uint8_t> dev(32, 0x5A);
  std::ofstream(dir / "dev.bin", std::ios::binary).write(reinterpret_cast<const char*>(dev.data()), 32);
  keyed::seal_for_model(enc, crypto::XorKey{{crypto::LayerKey{1, 8, 120, {32}}}}, dir / "d.key", crypto::KeySecret::device_key(dev), {});
  snn::save_model(dir / "d.snn.h5", enc);
  expect_equal_weights(load_model_for_use({(dir / "d.snn.h5").string(), (dir / "d.key").string(), "", (dir / "dev.bin").string()}), plain);
}

TEST(ModelLoading, KeyOfAnotherModelIsRefusedBeforeAnySecretIsAsked) {
  const auto shared = std::make_shared<const testing::TempDir>();
  const Fixture a(1, "a", shared), b(2, "b", shared);
  ModelSource s = a.source();
  s.key = b.key.string();
  s.passphrase_file.clear();  // would prompt if it got that far
  EXPECT_NE(error_of([&] { (void)load_model_for_use(s); }).find(b.key.string() + ": this key belongs to another model"), std::string::npos);
}

TEST(ModelLoading, ResealedKeyIsRefusedUntilTheModelIsRebound) {
  const Fixture f;
  // Same positions, same model fingerprint, but a new header (fresh salt/nonce).
  const auto model_fp = crypto::read_key_header(f.key).model_fingerprint;
  crypto::seal_key(f.key, tiny_key(), model_fp, crypto::KeySecret::passphrase("pw"), kFastScrypt);
  EXPECT_NE(error_of([&] { (void)load_model_for_use(f.source()); }).find("this key belongs to another model (the model names key"),
            std::string::npos);
}

TEST(ModelLoading, WrongPassphraseIsOneClearError) {
  const Fixture f;
  std::ofstream(f.pass) << "not pw\n";
  EXPECT_EQ(error_of([&] { (void)load_model_for_use(f.source()); }),
            f.key.string() + ": authentication failed: wrong passphrase, or the key file was modified");
}

TEST(ModelLoading, TamperedKeyFileOnDiskIsRefused) {
  const Fixture f;
  std::fstream io(f.key, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(-1, std::ios::end);
  const char last = static_cast<char>(io.get());
  io.seekp(-1, std::ios::end);
  io.put(static_cast<char>(last ^ 0x10));
  io.close();
  EXPECT_NE(error_of([&] { (void)load_model_for_use(f.source()); }).find("authentication failed"), std::string::npos);
}

TEST(ModelLoading, EnvironmentPassphraseIsUsedWithoutAFile) {
  const Fixture f;
  ModelSource s = f.source();
  s.passphrase_file.clear();
  ::setenv("SNNGX_PASSPHRASE", "pw", 1);
  const snn::Network loaded = load_model_for_use(s);
  ::unsetenv("SNNGX_PASSPHRASE");
  expect_equal_weights(loaded, f.plain);
}

TEST(ModelLoading, NoSecretSourceWithoutTerminalIsAClearError) {
  const int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY);
  if (tty >= 0) {
    ::close(tty);
    GTEST_SKIP() << "a terminal is attached; the prompt would wait for input";
  }
  const Fixture f;
  ModelSource s = f.source();
  s.passphrase_file.clear();
  ::unsetenv("SNNGX_PASSPHRASE");
  EXPECT_NE(error_of([&] { (void)load_model_for_use(s); }).find("no terminal to ask on"), std::string::npos);
}

TEST(ModelLoading, KeyOnAPlainModelIsRefused) {
  const Fixture f;
  snn::save_model(f.dir / "plain.snn.h5", f.plain);
  ModelSource s = f.source();
  s.path = (f.dir / "plain.snn.h5").string();
  EXPECT_NE(error_of([&] { (void)load_model_for_use(s); }).find("the model is not encrypted"), std::string::npos);
}

TEST(ModelLoading, EncryptedModelWithoutKeyLoadsAsStored) {
  const Fixture f;
  ModelSource s = f.source();
  s.key.clear();
  const snn::Network stored = load_model_for_use(s);
  EXPECT_EQ(stored.state, snn::ModelState::Encrypted);
  EXPECT_EQ(stored.weights(0).quant->weight_bits, snn::load_model(f.model).weights(0).quant->weight_bits);
}

}  // namespace
}  // namespace snngx::app
