#pragma once
// A model and its SNNGX key together (docs/crypto.md). The key (crypto::XorKey) flips stored bits
// of the quantized weights: bit b of weight k of a layer is position k*q + b, b = 0 the sign;
// in the stored byte it is snn::byte_bit(b, q). Applying a key twice restores the weights, so
// encrypting and decrypting are the same XOR; what differs is the model's state.
//
// Every command, `ga`, `rram` and `rtl` go through these functions to put a key into a model,
// take it out, and bind a sealed key file to the model it encrypts.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "snngx/crypto/key_file.hpp"
#include "snngx/crypto/xor_key.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::keyed {

/// XORs one layer's key into its stored weight bytes. Throws std::invalid_argument if the key is
/// malformed or does not cover exactly these weights at its q.
void apply_layer(const crypto::LayerKey& key, std::span<std::uint8_t> weight_bits);

/// XORs `key` into every layer it names and refreshes those layers' float values. Throws
/// std::invalid_argument naming the layer if it does not exist, is not quantized, or does not
/// match the key's q and size.
void xor_into(snn::Network& net, const crypto::XorKey& key);

/// The encrypted model: `plain` (state quantized) with the key applied, state encrypted. Its
/// key_fingerprint is set when the key is sealed (seal_for_model).
snn::Network encrypt(const snn::Network& plain, const crypto::XorKey& key);

/// Removes `key` from an encrypted model in place: state quantized, key_fingerprint cleared.
void decrypt(snn::Network& net, const crypto::XorKey& key);

/// The weighted layers' stored weight_bits and q, in layer order (throws if one is not quantized).
std::vector<crypto::ModelLayerBits> layer_bits(const snn::Network& net);
/// crypto::model_fingerprint of the network's stored weight_bits.
std::string weights_fingerprint(const snn::Network& net);

/// Seals `key` bound to `encrypted` (which already holds the XORed weights) into `key_path`,
/// then sets encrypted.state = encrypted and encrypted.key_fingerprint. Returns the fingerprint.
std::string seal_for_model(snn::Network& encrypted, const crypto::XorKey& key, const std::filesystem::path& key_path,
                           const crypto::KeySecret& secret, const crypto::KdfParams& kdf);

/// Where the secret comes from; asked only after the key file was found to belong to the model.
using SecretSupplier = std::function<crypto::KeySecret()>;

struct UnsealedKey {
  crypto::XorKey key;        // wipe with crypto::wipe when done
  std::string fingerprint;   // the key file's fingerprint (= the model's key_fingerprint)
};

/// Reads `key_path` once, checks that it belongs to `stored` (an encrypted model) before asking
/// for any secret, then unseals it. Errors name the key file (or the model file `model_name`).
UnsealedKey unseal_for_model(const std::filesystem::path& key_path, const snn::Network& stored, const SecretSupplier& secret,
                             const std::string& model_name = "the model");

}  // namespace snngx::keyed
