#include "snngx/keyed/model_key.hpp"
#include "snngx/io/files.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "snngx/snn/quantize.hpp"

namespace snngx::keyed {

void apply_layer(const crypto::LayerKey& key, std::span<std::uint8_t> weight_bits) {
  key.validate();
  const auto q = static_cast<std::uint64_t>(key.bits_per_weight);
  if (weight_bits.size() * q != key.total_bits)
    throw std::invalid_argument("key layer " + std::to_string(key.layer) + ": key covers " + std::to_string(key.total_bits) +
                                " bits but the layer has " + std::to_string(weight_bits.size()) + " weights x " +
                                std::to_string(q) + " bits");
  for (const std::uint64_t pos : key.positions)
    weight_bits[pos / q] ^= static_cast<std::uint8_t>(1U << snn::byte_bit(static_cast<int>(pos % q), key.bits_per_weight));
}

void xor_into(snn::Network& net, const crypto::XorKey& key) {
  for (const auto& lk : key.layers) {
    if (lk.layer >= net.num_weighted())
      throw std::invalid_argument("key layer " + std::to_string(lk.layer) + " does not exist (the model has " +
                                  std::to_string(net.num_weighted()) + " weighted layers)");
    auto& w = net.weights(lk.layer);
    if (!w.quant) throw std::invalid_argument("key layer " + std::to_string(lk.layer) + ": the model's layer is not quantized");
    if (lk.bits_per_weight != w.quant->bits)
      throw std::invalid_argument("key layer " + std::to_string(lk.layer) + " has q=" + std::to_string(lk.bits_per_weight) +
                                  "; the model's layer has q=" + std::to_string(w.quant->bits));
    apply_layer(lk, w.quant->weight_bits);
    snn::dequantize_into(w);
  }
}

snn::Network encrypt(const snn::Network& plain, const crypto::XorKey& key) {
  if (plain.state != snn::ModelState::Quantized)
    throw std::invalid_argument("only a quantized (plain) model can be encrypted (state " + snn::to_string(plain.state) + ")");
  snn::Network e = plain;
  xor_into(e, key);
  e.state = snn::ModelState::Encrypted;
  e.key_fingerprint.clear();
  return e;
}

void decrypt(snn::Network& net, const crypto::XorKey& key) {
  xor_into(net, key);
  net.state = snn::ModelState::Quantized;
  net.key_fingerprint.clear();
}

std::vector<crypto::ModelLayerBits> layer_bits(const snn::Network& net) {
  std::vector<crypto::ModelLayerBits> layers;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) {
    const auto& w = net.weights(l);
    if (!w.quant) throw std::invalid_argument("weighted layer " + std::to_string(l) + " is not quantized (no weight_bits)");
    layers.push_back({w.quant->weight_bits, w.quant->bits});
  }
  return layers;
}

std::string weights_fingerprint(const snn::Network& net) {
  std::vector<std::span<const std::uint8_t>> parts;
  for (const auto& l : layer_bits(net)) parts.push_back(l.weight_bits);
  return crypto::model_fingerprint(parts);
}

std::string seal_for_model(snn::Network& encrypted, const crypto::XorKey& key, const std::filesystem::path& key_path,
                           const crypto::KeySecret& secret, const crypto::KdfParams& kdf) {
  const std::string fp = crypto::seal_key(key_path, key, weights_fingerprint(encrypted), secret, kdf);
  encrypted.state = snn::ModelState::Encrypted;
  encrypted.key_fingerprint = fp;
  return fp;
}

namespace {

std::vector<std::uint8_t> read_key_file(const std::filesystem::path& path) { return io::read_file_bytes(path, "key file"); }

}  // namespace

UnsealedKey unseal_for_model(const std::filesystem::path& key_path, const snn::Network& stored, const SecretSupplier& secret,
                             const std::string& model_name) {
  if (stored.state != snn::ModelState::Encrypted)
    throw std::runtime_error(model_name + ": a key was given but the model is not encrypted (state " +
                             snn::to_string(stored.state) + ")");
  const std::string name = key_path.string();
  const std::vector<std::uint8_t> file = read_key_file(key_path);  // read once: the header checked is the one unsealed
  const crypto::KeyHeader header = crypto::parse_key_header(file, name);
  crypto::check_key_matches_model(header, name, layer_bits(stored), stored.key_fingerprint);
  return UnsealedKey{crypto::unseal_key_bytes(file, secret(), name), header.fingerprint};
}

}  // namespace snngx::keyed
