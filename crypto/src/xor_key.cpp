#include "snngx/crypto/xor_key.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include <stdexcept>
#include <string>

namespace snngx::crypto {
namespace {

std::string where(const LayerKey& k) { return "key layer " + std::to_string(k.layer); }

}  // namespace

void LayerKey::validate() const {
  const LayerKey& k = *this;
  if (k.bits_per_weight < 1 || k.bits_per_weight > 8)
    throw std::invalid_argument(where(k) + ": bits_per_weight " + std::to_string(k.bits_per_weight) + " outside 1..8");
  if (k.total_bits % static_cast<std::uint64_t>(k.bits_per_weight) != 0)
    throw std::invalid_argument(where(k) + ": total_bits " + std::to_string(k.total_bits) + " is not a multiple of bits_per_weight " +
                                std::to_string(k.bits_per_weight));
  for (std::size_t i = 0; i < k.positions.size(); ++i) {
    if (k.positions[i] >= k.total_bits)
      throw std::invalid_argument(where(k) + ": position " + std::to_string(k.positions[i]) + " >= total_bits " + std::to_string(k.total_bits));
    if (i > 0 && k.positions[i] <= k.positions[i - 1])
      throw std::invalid_argument(where(k) + ": positions not sorted and unique at index " + std::to_string(i) + " (" +
                                  std::to_string(k.positions[i - 1]) + ", " + std::to_string(k.positions[i]) + ")");
  }
}

std::uint64_t XorKey::flipped_bits() const {
  std::uint64_t n = 0;
  for (const auto& l : layers) n += l.positions.size();
  return n;
}

std::uint64_t XorKey::total_bits() const {
  std::uint64_t n = 0;
  for (const auto& l : layers) n += l.total_bits;
  return n;
}

void XorKey::validate() const {
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i > 0 && layers[i].layer <= layers[i - 1].layer)
      throw std::invalid_argument("key layers not in increasing layer order at entry " + std::to_string(i));
    layers[i].validate();
  }
}

void wipe(XorKey& key) noexcept {
  for (auto& l : key.layers) {
    if (!l.positions.empty()) OPENSSL_cleanse(l.positions.data(), l.positions.size() * sizeof(l.positions[0]));
    l.positions.clear();
  }
}

KeyStats key_stats(const XorKey& key) {
  KeyStats s;
  for (const auto& l : key.layers) {
    LayerKeyStats ls;
    ls.layer = l.layer;
    ls.bits_per_weight = l.bits_per_weight;
    ls.total_bits = l.total_bits;
    ls.flipped_bits = l.positions.size();
    for (const std::uint64_t pos : l.positions)
      if (l.bits_per_weight > 0 && pos % static_cast<std::uint64_t>(l.bits_per_weight) == 0) ++ls.flipped_sign_bits;
    s.total_bits += ls.total_bits;
    s.flipped_bits += ls.flipped_bits;
    s.flipped_sign_bits += ls.flipped_sign_bits;
    s.layers.push_back(ls);
  }
  return s;
}

std::string to_plain_json(const PlainKey& plain) {
  plain.key.validate();
  nlohmann::ordered_json j;
  j["format"] = "snngx-xor-key";
  j["version"] = 1;
  j["model_fingerprint"] = plain.model_fingerprint;
  j["layers"] = nlohmann::ordered_json::array();
  for (const auto& l : plain.key.layers)
    j["layers"].push_back(nlohmann::ordered_json{
        {"layer", l.layer}, {"bits_per_weight", l.bits_per_weight}, {"total_bits", l.total_bits}, {"positions", l.positions}});
  return j.dump(1) + "\n";
}

PlainKey parse_plain_json(const std::string& text, const std::string& name) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("format", "") != "snngx-xor-key")
      throw std::invalid_argument("not a plain snngx key (\"format\" must be \"snngx-xor-key\")");
    if (j.at("version").get<int>() != 1) throw std::invalid_argument("unsupported plain key version " + j.at("version").dump());
    PlainKey p;
    p.model_fingerprint = j.at("model_fingerprint").get<std::string>();
    for (const auto& l : j.at("layers")) {
      LayerKey k;
      k.layer = l.at("layer").get<std::uint32_t>();
      k.bits_per_weight = l.at("bits_per_weight").get<int>();
      k.total_bits = l.at("total_bits").get<std::uint64_t>();
      k.positions = l.at("positions").get<std::vector<std::uint64_t>>();
      p.key.layers.push_back(std::move(k));
    }
    p.key.validate();
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(name + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(name + ": " + e.what());
  }
}

}  // namespace snngx::crypto
