#include "model_loading.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "snngx/snn/model_file.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::app {
namespace {

// The controlling terminal, with echo switched off while it is open.
class NoEchoTerminal {
 public:
  NoEchoTerminal() : fd_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {
    if (fd_ < 0) return;
    if (::tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
      restore_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~NoEchoTerminal() {
    if (restore_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    if (fd_ >= 0) ::close(fd_);
  }
  NoEchoTerminal(const NoEchoTerminal&) = delete;
  NoEchoTerminal& operator=(const NoEchoTerminal&) = delete;
  [[nodiscard]] bool open() const { return fd_ >= 0; }

  /// Prints `prompt`, reads one line without echo. The caller wipes the result.
  std::string read_line(const std::string& prompt) const {
    write_text(prompt);
    std::string line;
    line.reserve(1024);  // no reallocation (and stray copies of the secret) for normal lengths
    char c = 0;
    while (::read(fd_, &c, 1) == 1 && c != '\n') {
      if (line.size() + 1 >= line.capacity()) {
        OPENSSL_cleanse(line.data(), line.size());
        throw std::runtime_error("passphrase longer than 1023 characters");
      }
      line.push_back(c);
    }
    c = 0;
    write_text("\n");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

 private:
  void write_text(const std::string& s) const {
    if (::write(fd_, s.data(), s.size()) < 0) { /* prompt is best effort */ }
  }
  int fd_;
  termios saved_{};
  bool restore_ = false;
};

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

crypto::KeySecret prompt_passphrase(const std::string& key_path, SecretUse use) {
  const NoEchoTerminal tty;
  if (!tty.open())
    throw std::runtime_error(key_path + ": a passphrase is needed but there is no terminal to ask on; give --passphrase-file FILE or "
                             "--device-key FILE, or set SNNGX_PASSPHRASE");
  std::string first = tty.read_line("Passphrase for " + key_path + ": ");
  if (use == SecretUse::Seal) {
    std::string again = tty.read_line("Repeat the passphrase: ");
    const bool same = first == again;
    wipe(again);
    if (!same) {
      wipe(first);
      throw std::runtime_error(key_path + ": the two passphrases differ");
    }
  }
  if (first.empty()) throw std::runtime_error(key_path + ": empty passphrase");
  auto secret = crypto::KeySecret::passphrase(first);
  wipe(first);
  return secret;
}

}  // namespace

void add_model_source_options(CLI::App& cmd, ModelSource& s) {
  cmd.add_option("--model", s.path, "model file (*.snn.h5)")->required()->check(CLI::ExistingFile);
  cmd.add_option("--key", s.key, "key file: decrypts an encrypted model on load")->check(CLI::ExistingFile);
  auto* pf = cmd.add_option("--passphrase-file", s.passphrase_file, "file holding the key file's passphrase (else $SNNGX_PASSPHRASE, else a prompt)")
                 ->check(CLI::ExistingFile);
  auto* dk = cmd.add_option("--device-key", s.device_key, "raw 32-byte device key file (instead of a passphrase)")->check(CLI::ExistingFile);
  pf->excludes(dk);
}

std::vector<PathArg> input_paths(const ModelSource& s) {
  return {{"--model", s.path}, {"--key", s.key}, {"--passphrase-file", s.passphrase_file}, {"--device-key", s.device_key}};
}

void add_secret_options(CLI::App& cmd, SecretSource& s) {
  auto* pf = cmd.add_option("--passphrase-file", s.passphrase_file, "file holding the passphrase (else $SNNGX_PASSPHRASE, else a prompt)")
                 ->check(CLI::ExistingFile);
  auto* dk = cmd.add_option("--device-key", s.device_key, "raw 32-byte device key file (instead of a passphrase)")->check(CLI::ExistingFile);
  pf->excludes(dk);
}

crypto::KeySecret obtain_key_secret(const SecretSource& s, const std::string& key_path, SecretUse use) {
  if (!s.device_key.empty()) return crypto::KeySecret::read_device_key_file(s.device_key);
  if (!s.passphrase_file.empty()) return crypto::KeySecret::read_passphrase_file(s.passphrase_file);
  if (const char* env = std::getenv("SNNGX_PASSPHRASE"); env != nullptr) {
    if (*env == '\0') throw std::invalid_argument(key_path + ": SNNGX_PASSPHRASE is set but empty; an empty passphrase protects nothing");
    return crypto::KeySecret::passphrase(env);
  }
  return prompt_passphrase(key_path, use);
}

crypto::KdfParams KdfOptions::params() const {
  try {
    if (kdf == "scrypt") return crypto::KdfParams::scrypt(scrypt_log2_n, scrypt_r, scrypt_p);
    if (kdf == "pbkdf2") return crypto::KdfParams::pbkdf2(pbkdf2_iterations);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--kdf ") + kdf + ": " + e.what());
  }
  throw std::invalid_argument("--kdf: unknown KDF '" + kdf + "' (scrypt | pbkdf2)");
}

void add_kdf_options(CLI::App& cmd, KdfOptions& k) {
  cmd.add_option("--kdf", k.kdf, "passphrase KDF: scrypt (default) | pbkdf2")->check(CLI::IsMember({"scrypt", "pbkdf2"}));
  cmd.add_option("--scrypt-log2-n", k.scrypt_log2_n, "scrypt cost: N = 2^this (default 15)")->check(CLI::Range(1, 24));
  cmd.add_option("--scrypt-r", k.scrypt_r, "scrypt block size r (default 8)")->check(CLI::Range(1, 64));
  cmd.add_option("--scrypt-p", k.scrypt_p, "scrypt parallelism p (default 1)")->check(CLI::Range(1, 64));
  cmd.add_option("--pbkdf2-iterations", k.pbkdf2_iterations, "PBKDF2-HMAC-SHA256 iterations (default 600000)")
      ->check(CLI::Range(1, 1 << 24));
}

keyed::UnsealedKey unseal_key_for_model(const ModelSource& s, const snn::Network& stored) {
  return keyed::unseal_for_model(
      s.key, stored, [&] { return obtain_key_secret({s.passphrase_file, s.device_key}, s.key, SecretUse::Unseal); }, s.path);
}

snn::Network load_model_for_use(const ModelSource& s) {
  snn::Network net = snn::load_model(s.path);
  if (s.key.empty()) {
    if (net.state == snn::ModelState::Encrypted)
      std::fprintf(stderr, "snngx: note: %s is encrypted and no --key was given: running the encrypted weights\n", s.path.c_str());
    return net;
  }
  keyed::UnsealedKey unsealed = unseal_key_for_model(s, net);
  keyed::decrypt(net, unsealed.key);
  crypto::wipe(unsealed.key);
  return net;
}

}  // namespace snngx::app
