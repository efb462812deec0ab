#pragma once
// How every command that runs a model gets it: a model file, optionally decrypted on load with
// a sealed key file (docs/crypto.md). Commands add the options with add_model_source_options.
// Also the shared options of commands that SEAL keys (snngx encrypt, snngx key seal): where the
// secret comes from and the KDF. The model-key binding itself is snngx/keyed/model_key.hpp.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "checks.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/keyed/model_key.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::app {

struct ModelSource {
  std::string path;
  std::string key;               // optional key file; decrypts an encrypted model on load
  std::string passphrase_file;   // optional, for sealed keys
  std::string device_key;        // optional raw 32-byte device-key file
};

/// Adds --model (required) and --key / --passphrase-file / --device-key.
void add_model_source_options(CLI::App& cmd, ModelSource& source);

/// --model, --key, --passphrase-file and --device-key, as inputs for check_outputs.
std::vector<PathArg> input_paths(const ModelSource& source);

/// Loads the model; with a key, checks it belongs to the model (before asking for any secret),
/// unseals it, removes the encryption from every layer's weight_bits, refreshes the values and
/// returns a model in state "quantized". Without a key an encrypted model is returned as stored
/// (a note goes to stderr): that is what an attacker without the key runs.
snn::Network load_model_for_use(const ModelSource& source);

/// For commands that need the key itself (cosim's key store, attack, simulate): keyed::unseal_for_model
/// with the secret from obtain_key_secret. Wipe the key with crypto::wipe when done.
keyed::UnsealedKey unseal_key_for_model(const ModelSource& source, const snn::Network& stored);

/// Where a key file's secret comes from, in this order: --device-key FILE (raw 32 bytes), else
/// --passphrase-file FILE, else the environment variable SNNGX_PASSPHRASE, else a no-echo prompt
/// on the terminal (/dev/tty). Never from the command line. Without a terminal and without any
/// other source: a clear error.
struct SecretSource {
  std::string passphrase_file;
  std::string device_key;
};
enum class SecretUse { Unseal, Seal };  // Seal asks twice on a terminal and compares
/// Adds --passphrase-file and --device-key (mutually exclusive) for commands that seal keys.
void add_secret_options(CLI::App& cmd, SecretSource& source);
/// `key_path` only names the file in prompts and errors.
crypto::KeySecret obtain_key_secret(const SecretSource& source, const std::string& key_path, SecretUse use);

/// --kdf scrypt|pbkdf2, --scrypt-log2-n, --scrypt-r, --scrypt-p, --pbkdf2-iterations (secure
/// defaults: scrypt N = 2^15, r = 8, p = 1; PBKDF2 600000 iterations).
struct KdfOptions {
  std::string kdf = "scrypt";
  int scrypt_log2_n = 15;
  std::uint32_t scrypt_r = 8, scrypt_p = 1, pbkdf2_iterations = 600'000;
  [[nodiscard]] crypto::KdfParams params() const;  // validates
};
void add_kdf_options(CLI::App& cmd, KdfOptions& kdf);

}  // namespace snngx::app
