#pragma once
// How every command that runs a model gets it: a model file, optionally decrypted on load with
// a sealed key file (docs/crypto.md). Commands add the options with add_model_source_options.
// Also the shared helpers for commands that SEAL keys (snngx encrypt, snngx key seal): where the
// secret comes from, the KDF options, and sealing a key for an encrypted network.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "checks.hpp"
#include "snngx/crypto/key_file.hpp"
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

/// For commands that need the key itself (cosim's key store, attack): reads `source.key` once,
/// checks that it belongs to the encrypted model `stored` (before asking for any secret), obtains
/// the secret (obtain_key_secret) and unseals. Wipe the result with crypto::wipe when done.
crypto::XorKey unseal_key_for_model(const ModelSource& source, const snn::Network& stored);
/// Removes `key` from an encrypted network in place: weight_bits XOR key, values refreshed,
/// state quantized, key_fingerprint cleared. The key must match (unseal_key_for_model checks it).
void remove_key(snn::Network& net, const crypto::XorKey& key);

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

/// The weighted layers' stored weight_bits and q, in layer order (throws if a layer is not quantized).
std::vector<crypto::ModelLayerBits> model_layer_bits(const snn::Network& net);
/// crypto::model_fingerprint of the network's stored weight_bits.
std::string weights_fingerprint(const snn::Network& net);

/// For `snngx encrypt`: `encrypted` holds weight_bits already XORed with `key`. Seals the key
/// bound to it, writes `key_path`, and sets encrypted.state = encrypted and
/// encrypted.key_fingerprint (save the model afterwards). Returns the key fingerprint.
std::string seal_key_for_model(snn::Network& encrypted, const crypto::XorKey& key, const std::filesystem::path& key_path,
                               const crypto::KeySecret& secret, const crypto::KdfParams& kdf);

}  // namespace snngx::app
