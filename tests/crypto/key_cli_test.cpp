// `snngx key info|seal|unseal|verify`, `snngx infer --key` and `snngx baseline-aes` end to end:
// exact outputs against the library, and every refusal as one "snngx: error: ..." line with
// exit code 1 (never a crash, never a silently wrong model).
#include <gtest/gtest.h>

#include <H5Cpp.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "snngx/crypto/aes_baseline.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

using testing::CommandResult;
using testing::run_snngx;

using testing::q;

// Without a controlling terminal (setsid) and without SNNGX_PASSPHRASE: nothing can prompt.
const std::string kNoTty = "env -u SNNGX_PASSPHRASE setsid -w";  // (an empty SNNGX_PASSPHRASE is an error of its own)

// A small MLP on 2x4x4 inputs, T = 4, quantized at q = 8.
snn::Network tiny_plain(std::uint64_t seed) {
  snn::Network n;
  n.arch = "tiny-mlp";
  n.time_steps = 4;
  n.input_shape = {2, 4, 4};
  n.num_classes = 3;
  snn::Linear a;
  a.in_features = 32;
  a.out_features = 12;
  a.weight.shape = {12, 32};
  a.weight.values.assign(12 * 32, 0.0f);
  snn::Linear b;
  b.in_features = 12;
  b.out_features = 3;
  b.weight.shape = {3, 12};
  b.weight.values.assign(3 * 12, 0.0f);
  n.layers = {snn::Flatten{}, a, snn::Lif{}, b, snn::Lif{}};
  snn::init_weights(n, seed);
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

// Sign bits of every third weight of layer 0 and of weights 1 and 5 of layer 1.
crypto::XorKey tiny_key() {
  crypto::LayerKey l0{0, 8, 12 * 32 * 8, {}};
  for (std::uint64_t k = 0; k < 12 * 32; k += 3) l0.positions.push_back(k * 8);
  return crypto::XorKey{{l0, crypto::LayerKey{1, 8, 3 * 12 * 8, {8, 40}}}};
}

std::string fingerprint_of(const snn::Network& net) {
  std::vector<std::span<const std::uint8_t>> parts;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) parts.emplace_back(net.weights(l).quant->weight_bits);
  return crypto::model_fingerprint(parts);
}

// A plain model, its encryption with tiny_key() sealed under "pw" (scrypt N = 2, tests only),
// a passphrase file and a frame file, in one directory.
struct Files {
  testing::TempDir dir;
  snn::Network plain = tiny_plain(1);
  std::filesystem::path plain_model = dir / "p.snn.h5", model = dir / "e.snn.h5", key = dir / "e.key", pass = dir / "pass.txt",
                        frames = dir / "f.frames.h5";

  Files() {
    snn::Network enc = plain;
    for (const auto& layer : tiny_key().layers)
      for (const auto pos : layer.positions) snn::flip_bit(enc, layer.layer, pos / 8, static_cast<int>(pos % 8));
    enc.key_fingerprint = crypto::seal_key(key, tiny_key(), fingerprint_of(enc), crypto::KeySecret::passphrase("pw"),
                                           crypto::KdfParams::scrypt(1, 1, 1));
    enc.state = snn::ModelState::Encrypted;
    snn::save_model(model, enc);
    snn::save_model(plain_model, plain);
    std::ofstream(pass) << "pw\n";
    datasets::write_frames(frames, datasets::synth_frames({4, 2, 4, 4}, 24, 0.3, 3, 5));
  }
  [[nodiscard]] std::string with_key() const { return "--model " + q(model) + " --key " + q(key); }
};

// The one-line error contract: exit 1, nothing on stdout, exactly one stderr line.
void expect_one_error_line(const CommandResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, "snngx: error: " + message + "\n");
}

std::vector<std::int32_t> spike_counts(const std::filesystem::path& outputs, std::size_t n) {
  H5::H5File f(outputs.string(), H5F_ACC_RDONLY);
  std::vector<std::int32_t> counts(n);
  f.openDataSet("spike_counts").read(counts.data(), H5::PredType::NATIVE_INT32);
  return counts;
}

void flip_byte(const std::filesystem::path& p, std::streamoff offset) {
  std::fstream io(p, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(offset);
  const char c = static_cast<char>(io.get());
  io.seekp(offset);
  io.put(static_cast<char>(c ^ 0x01));
}

// ---------------------------------------------------------------- infer --key

TEST(KeyCli, InferWithTheKeyRunsThePlainModelBitForBit) {
  const Files f;
  const auto lib = snn::infer(f.plain, datasets::read_frames(f.frames));
  const auto r = run_snngx("infer " + f.with_key() + " --passphrase-file " + q(f.pass) + " --frames " + q(f.frames) + " --outputs " +
                           q(f.dir / "o.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(spike_counts(f.dir / "o.h5", lib.spike_counts.size()), lib.spike_counts);
  // Without the key the stored (encrypted) weights run: other outputs, and a note says so.
  const auto none = run_snngx("infer --model " + q(f.model) + " --frames " + q(f.frames) + " --outputs " + q(f.dir / "n.h5"));
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(spike_counts(f.dir / "n.h5", lib.spike_counts.size()), lib.spike_counts);
  EXPECT_NE(none.err.find("is encrypted and no --key was given"), std::string::npos);
}

TEST(KeyCli, InferTakesThePassphraseFromTheEnvironment) {
  const Files f;
  const auto r = run_snngx("infer " + f.with_key() + " --frames " + q(f.frames) + " --json", "SNNGX_PASSPHRASE=pw setsid -w");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(KeyCli, WrongPassphraseIsOneErrorLine) {
  const Files f;
  std::ofstream(f.dir / "bad.txt") << "not pw\n";
  expect_one_error_line(run_snngx("infer " + f.with_key() + " --passphrase-file " + q(f.dir / "bad.txt") + " --frames " + q(f.frames)),
                        f.key.string() + ": authentication failed: wrong passphrase, or the key file was modified");
}

// Another encrypted model (other weights, same architecture) with its own key, o.snn.h5 / o.key.
void write_other_model(const Files& f) {
  snn::Network other = tiny_plain(2);
  for (const auto& layer : tiny_key().layers)
    for (const auto pos : layer.positions) snn::flip_bit(other, layer.layer, pos / 8, static_cast<int>(pos % 8));
  other.key_fingerprint = crypto::seal_key(f.dir / "o.key", tiny_key(), fingerprint_of(other), crypto::KeySecret::passphrase("pw"),
                                           crypto::KdfParams::scrypt(1, 1, 1));
  other.state = snn::ModelState::Encrypted;
  snn::save_model(f.dir / "o.snn.h5", other);
}

TEST(KeyCli, KeyOfAnotherModelIsRefusedBeforeAnySecretIsAsked) {
  const Files f;
  write_other_model(f);
  // No secret source at all: the refusal must come first, not "no terminal to ask on".
  const auto r = run_snngx("infer --model " + q(f.dir / "o.snn.h5") + " --key " + q(f.key) + " --frames " + q(f.frames), kNoTty);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("snngx: error: " + f.key.string() + ": this key belongs to another model (", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(KeyCli, TamperedOrTruncatedKeyFileIsOneErrorLine) {
  const Files f;
  const auto size = static_cast<std::streamoff>(std::filesystem::file_size(f.key));
  const std::string infer = "infer " + f.with_key() + " --passphrase-file " + q(f.pass) + " --frames " + q(f.frames);
  // The last byte of the tag.
  flip_byte(f.key, size - 1);
  expect_one_error_line(run_snngx(infer), f.key.string() + ": authentication failed: wrong passphrase, or the key file was modified");
  flip_byte(f.key, size - 1);
  // A byte of the header: the header is bound to the model as well, so the model refuses it first.
  flip_byte(f.key, 20);
  const auto header = run_snngx(infer);
  EXPECT_EQ(header.exit_code, 1);
  EXPECT_EQ(header.err.rfind("snngx: error: " + f.key.string() + ": this key belongs to another model", 0), 0u) << header.err;
  flip_byte(f.key, 20);
  ASSERT_EQ(run_snngx(infer).exit_code, 0);  // restored
  // Truncations.
  std::filesystem::resize_file(f.key, static_cast<std::uintmax_t>(size - 1));
  const auto tag = run_snngx(infer);
  EXPECT_EQ(tag.exit_code, 1);
  EXPECT_EQ(tag.err.rfind("snngx: error: " + f.key.string() + ": truncated key file", 0), 0u) << tag.err;
  std::filesystem::resize_file(f.key, 50);
  expect_one_error_line(run_snngx(infer), f.key.string() + ": truncated key file (50 bytes, header incomplete)");
}

TEST(KeyCli, PassphraseIsNeverTakenFromTheCommandLine) {
  const Files f;
  const auto r = run_snngx("key verify " + q(f.key) + " --model " + q(f.model) + " --passphrase pw", kNoTty);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--passphrase"), std::string::npos) << r.err;
  // And with no source at all, the error says where a passphrase can come from.
  expect_one_error_line(run_snngx("key verify " + q(f.key) + " --model " + q(f.model), kNoTty),
                        f.key.string() + ": a passphrase is needed but there is no terminal to ask on; give --passphrase-file FILE or "
                                         "--device-key FILE, or set SNNGX_PASSPHRASE");
}

// Runs snngx on a new pseudo-terminal (its controlling terminal); once the output shows
// `prompt`, types `typed`. Returns everything the terminal showed and the exit code.
CommandResult run_on_terminal(const std::vector<std::string>& args, const std::string& prompt, const std::string& typed) {
  std::vector<char*> argv;
  std::vector<std::string> storage = args;
  storage.insert(storage.begin(), "snngx");
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::unsetenv("SNNGX_PASSPHRASE");
    ::execv(SNNGX_EXE, argv.data());
    ::_exit(127);
  }
  CommandResult r;
  if (pid < 0) return r;
  bool sent = false;
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 20'000) <= 0) {  // a hang is a failure, not a stuck test run
      ::kill(pid, SIGKILL);
      break;
    }
    char buf[512];
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited
    r.out.append(buf, static_cast<std::size_t>(n));
    if (!sent && r.out.find(prompt) != std::string::npos) {
      sent = ::write(master, typed.data(), typed.size()) == static_cast<ssize_t>(typed.size());
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool pseudo_terminals_available() {
  const int fd = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

TEST(KeyCli, PromptsForThePassphraseWithoutEcho) {
  if (!pseudo_terminals_available()) GTEST_SKIP() << "no pseudo-terminals (/dev/ptmx) in this environment";
  const Files f;
  const auto r = run_on_terminal({"key", "verify", f.key.string(), "--model", f.model.string()}, "Passphrase for " + f.key.string() + ": ", "pw\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(f.key.string() + ": ok: unlocks"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(": pw"), std::string::npos) << "the passphrase was echoed: " << r.out;
}

TEST(KeyCli, SealingAsksTwiceAndRefusesDifferentPassphrases) {
  if (!pseudo_terminals_available()) GTEST_SKIP() << "no pseudo-terminals (/dev/ptmx) in this environment";
  const Files f;
  ASSERT_EQ(run_snngx("key unseal " + q(f.key) + " -o " + q(f.dir / "k.json") + " --passphrase-file " + q(f.pass)).exit_code, 0);
  const std::vector<std::string> seal = {"key", "seal", (f.dir / "k.json").string(), "-o", (f.dir / "s.key").string(), "--model", f.model.string(),
                                         "--model-out", (f.dir / "s.snn.h5").string(), "--scrypt-log2-n", "4"};
  const auto differ = run_on_terminal(seal, "Passphrase for ", "one\ntwo\n");
  EXPECT_EQ(differ.exit_code, 1);
  EXPECT_NE(differ.out.find("snngx: error: " + (f.dir / "s.key").string() + ": the two passphrases differ"), std::string::npos) << differ.out;
  EXPECT_FALSE(std::filesystem::exists(f.dir / "s.key"));
  const auto same = run_on_terminal(seal, "Passphrase for ", "new pass\nnew pass\n");
  ASSERT_EQ(same.exit_code, 0) << same.out;
  EXPECT_NE(same.out.find("Repeat the passphrase: "), std::string::npos);
  std::ofstream(f.dir / "new.txt") << "new pass";
  EXPECT_EQ(run_snngx("key verify " + q(f.dir / "s.key") + " --model " + q(f.dir / "s.snn.h5") + " --passphrase-file " + q(f.dir / "new.txt")).exit_code, 0);
}

// ---------------------------------------------------------------- key info / verify

TEST(KeyCli, InfoPrintsThePublicHeaderWithoutASecret) {
  const Files f;
  const auto h = crypto::read_key_header(f.key);
  const auto r = run_snngx("key info " + q(f.key) + " --json", kNoTty);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model_fingerprint"], fingerprint_of(snn::load_model(f.model)));
  EXPECT_EQ(j["key_fingerprint"], snn::load_model(f.model).key_fingerprint);
  EXPECT_EQ(j["kdf"]["name"], "scrypt");
  EXPECT_EQ(j["kdf"]["n"], 2);
  EXPECT_EQ(j["kdf"]["r"], 1);
  EXPECT_EQ(j["flipped_bits"], 128 + 2);
  EXPECT_EQ(j["layers"][0]["flipped_bits"], 128);
  EXPECT_EQ(j["layers"][1]["total_bits"], 288);
  EXPECT_EQ(j["file_bytes"], std::filesystem::file_size(f.key));
  EXPECT_EQ(j["salt"], crypto::to_hex(h.salt));
  const auto text = run_snngx("key info " + q(f.key), kNoTty);
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("secret           passphrase, scrypt N = 2^1, r = 1, p = 1 (256 bytes of memory)\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("\n     0   8           128           3072      4.16667 %\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("\n total               130           3360      3.86905 %\n"), std::string::npos) << text.out;
}

TEST(KeyCli, InfoOfANonKeyFileIsOneErrorLine) {
  const Files f;
  expect_one_error_line(run_snngx("key info " + q(f.pass)), f.pass.string() + ": not an snngx key file (bad magic at offset 0)");
}

TEST(KeyCli, VerifyChecksBindingSecretAndThePlainModel) {
  const Files f;
  const auto ok = run_snngx("key verify " + q(f.key) + " --model " + q(f.model) + " --plain " + q(f.plain_model) + " --passphrase-file " + q(f.pass));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out.rfind(f.key.string() + ": ok: unlocks " + f.model.string() + " (130 flipped bits of 3360", 0), 0u) << ok.out;
  // The encrypted model itself is not the plain one: --plain catches a key that decrypts to something else.
  const auto wrong = run_snngx("key verify " + q(f.key) + " --model " + q(f.model) + " --plain " + q(f.model) + " --passphrase-file " + q(f.pass));
  expect_one_error_line(wrong, f.model.string() + ": weighted layer 0 differs from " + f.model.string() + " decrypted with " + f.key.string());
  expect_one_error_line(run_snngx("key verify " + q(f.key) + " --model " + q(f.plain_model) + " --passphrase-file " + q(f.pass)),
                        f.plain_model.string() + ": not an encrypted model (state quantized)");
}

// ---------------------------------------------------------------- unseal / seal

TEST(KeyCli, UnsealSealRoundTripRebindsTheModelAndRetiresTheOldKey) {
  const Files f;
  const auto plain_json = f.dir / "k.json";
  const auto un = run_snngx("key unseal " + q(f.key) + " -o " + q(plain_json) + " --model " + q(f.model) + " --passphrase-file " + q(f.pass));
  ASSERT_EQ(un.exit_code, 0) << un.err;
  EXPECT_EQ(std::filesystem::status(plain_json).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::ifstream in(plain_json);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["format"], "snngx-xor-key");
  EXPECT_EQ(j["layers"][0]["positions"].get<std::vector<std::uint64_t>>(), tiny_key().layers[0].positions);
  EXPECT_EQ(j["layers"][1]["positions"].get<std::vector<std::uint64_t>>(), tiny_key().layers[1].positions);

  // Re-seal under a device key into a new file, rebinding a copy of the model.
  std::ofstream(f.dir / "dev.bin", std::ios::binary) << std::string(32, '\x07');
  const auto se = run_snngx("key seal " + q(plain_json) + " -o " + q(f.dir / "new.key") + " --model " + q(f.model) + " --model-out " +
                            q(f.dir / "r.snn.h5") + " --device-key " + q(f.dir / "dev.bin"));
  ASSERT_EQ(se.exit_code, 0) << se.err;
  const auto header = crypto::read_key_header(f.dir / "new.key");
  EXPECT_EQ(header.kdf.kind, crypto::KdfKind::DeviceKeyHkdf);
  EXPECT_EQ(snn::load_model(f.dir / "r.snn.h5").key_fingerprint, header.fingerprint);
  const std::string frames = " --frames " + q(f.frames) + " --outputs ";
  ASSERT_EQ(run_snngx("infer --model " + q(f.dir / "r.snn.h5") + " --key " + q(f.dir / "new.key") + " --device-key " + q(f.dir / "dev.bin") +
                      frames + q(f.dir / "o.h5"))
                .exit_code,
            0);
  const auto lib = snn::infer(f.plain, datasets::read_frames(f.frames));
  EXPECT_EQ(spike_counts(f.dir / "o.h5", lib.spike_counts.size()), lib.spike_counts);
  // The old key no longer opens the rebound model.
  const auto old = run_snngx("infer --model " + q(f.dir / "r.snn.h5") + " --key " + q(f.key) + " --passphrase-file " + q(f.pass) + frames +
                             q(f.dir / "x.h5"));
  EXPECT_EQ(old.exit_code, 1);
  EXPECT_NE(old.err.find("this key belongs to another model (the model names key"), std::string::npos) << old.err;
}

TEST(KeyCli, SealRecordsTheKdfParametersGiven) {
  const Files f;
  ASSERT_EQ(run_snngx("key unseal " + q(f.key) + " -o " + q(f.dir / "k.json") + " --passphrase-file " + q(f.pass)).exit_code, 0);
  auto seal = [&](const std::string& kdf) {
    return run_snngx("key seal " + q(f.dir / "k.json") + " -o " + q(f.dir / "s.key") + " --model " + q(f.model) + " --model-out " +
                     q(f.dir / "s.snn.h5") + " --passphrase-file " + q(f.pass) + " " + kdf);
  };
  ASSERT_EQ(seal("--scrypt-log2-n 5 --scrypt-r 3 --scrypt-p 2").exit_code, 0);
  EXPECT_EQ(crypto::read_key_header(f.dir / "s.key").kdf, crypto::KdfParams::scrypt(5, 3, 2));
  ASSERT_EQ(seal("--kdf pbkdf2 --pbkdf2-iterations 1234").exit_code, 0);
  EXPECT_EQ(crypto::read_key_header(f.dir / "s.key").kdf, crypto::KdfParams::pbkdf2(1234));
  EXPECT_EQ(run_snngx("key verify " + q(f.dir / "s.key") + " --model " + q(f.dir / "s.snn.h5") + " --passphrase-file " + q(f.pass)).exit_code, 0);
  // Out-of-bounds parameters are refused by the option parser.
  EXPECT_NE(seal("--scrypt-log2-n 30").exit_code, 0);
}

TEST(KeyCli, SealRefusesAPlainKeyOfAnotherModel) {
  const Files f;
  ASSERT_EQ(run_snngx("key unseal " + q(f.key) + " -o " + q(f.dir / "k.json") + " --passphrase-file " + q(f.pass)).exit_code, 0);
  write_other_model(f);
  const auto r = run_snngx("key seal " + q(f.dir / "k.json") + " -o " + q(f.dir / "s.key") + " --model " + q(f.dir / "o.snn.h5") +
                           " --passphrase-file " + q(f.pass));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("snngx: error: " + (f.dir / "k.json").string() + ": this key belongs to another model (the model's weight_bits hash to", 0),
            0u)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(f.dir / "s.key"));
  expect_one_error_line(run_snngx("key seal " + q(f.dir / "k.json") + " -o " + q(f.dir / "s.key") + " --model " + q(f.plain_model) +
                                  " --passphrase-file " + q(f.pass)),
                        f.plain_model.string() + ": not an encrypted model (state quantized)");
}

// ---------------------------------------------------------------- baseline-aes

TEST(BaselineAesCli, ReportsBlocksPerLoadAndInferenceAndAVerifiedRoundTrip) {
  const Files f;
  const auto r = run_snngx("baseline-aes --model " + q(f.model) + " --key " + q(f.key) + " --mode gcm --key-bits 128 --min-seconds 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // Layer 0: 384 bytes = 24 blocks + 1 (GCM tag); layer 1: 36 bytes = 3 blocks + 1.
  EXPECT_EQ(j["weight_bytes"], 420);
  EXPECT_EQ(j["layers"][0]["aes_blocks"], 25);
  EXPECT_EQ(j["layers"][1]["aes_blocks"], 4);
  EXPECT_EQ(j["aes_blocks_per_model_load"], 29);
  EXPECT_EQ(j["aes_blocks_per_inference"], 29);
  EXPECT_EQ(j["cipher"], "AES-128-GCM");
  EXPECT_EQ(j["snngx_key"]["flipped_bits"], 130);
  ASSERT_EQ(j["throughput"].size(), 2u);
  EXPECT_EQ(j["throughput"][0]["threads"], 1);
  EXPECT_EQ(j["throughput"][1]["threads"], 2);
  for (const auto& t : j["throughput"]) {
    EXPECT_EQ(t["round_trip_ok"], true);
    EXPECT_GT(t["decrypt_mb_per_s"].get<double>(), 0.0);
  }
}

TEST(BaselineAesCli, RefusesAFloatModel) {
  const Files f;
  snn::Network fl = f.plain;
  fl.state = snn::ModelState::Float;
  for (std::size_t l = 0; l < fl.num_weighted(); ++l) fl.weights(l).quant.reset();
  snn::save_model(f.dir / "float.snn.h5", fl);
  const auto r = run_snngx("baseline-aes --model " + q(f.dir / "float.snn.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("snngx: error: " + (f.dir / "float.snn.h5").string() + ": baseline-aes needs a quantized or encrypted model", 0), 0u)
      << r.err;
}

TEST(AesBlockCounts, AreTheCeilOfEachLayerPlusTheGcmTag) {
  // The library function the accelerator model uses (NMNIST MLP 2312-512-10 at q = 8).
  const std::vector<std::uint64_t> mlp = {2312 * 512, 512 * 10};
  EXPECT_EQ(crypto::aes_block_counts(mlp, crypto::AesMode::Ctr), (crypto::AesBlockCounts{73984 + 320, 73984 + 320}));
  EXPECT_EQ(crypto::aes_block_counts(mlp, crypto::AesMode::Gcm), (crypto::AesBlockCounts{74306, 74306}));
  EXPECT_EQ(crypto::aes_block_counts(std::uint64_t{33}, crypto::AesMode::Ctr).per_model_load, 3u);
}

}  // namespace
}  // namespace snngx
