// Sealed key files. Layout (all integers little-endian; docs/formats.md has the table):
//   header (the GCM additional data, and what the header fingerprint hashes):
//     0  8  magic "SNNGXKEY"          8  2  version major     10 2  version minor
//     12 4  header length             16 32 model fingerprint (raw SHA-256)
//     48 1  KDF kind   49 1 scrypt log2 N   50 2 reserved   52 4 scrypt r   56 4 scrypt p
//     60 4  PBKDF2 iterations         64 16 salt              80 12 GCM nonce
//     92 4  layer count L, then L x 24 bytes: layer u32, q u8, 3 reserved, total bits u64,
//           flipped bits u64;  then 8: payload length
//   payload: AES-256-GCM ciphertext of the delta + varint positions;  then the 16-byte tag.
#include "snngx/io/files.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/io/errors.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "snngx/io/output_files.hpp"

namespace snngx::crypto {
namespace {

constexpr std::size_t kFixedHeaderBytes = 96;  // up to and including the layer count
constexpr std::size_t kLayerRecordBytes = 24;
constexpr std::size_t kMaxLayers = 1u << 16;
constexpr std::string_view kDeviceKeyInfo = "snngx-key-v1";

std::size_t header_size_for(std::size_t layers) { return kFixedHeaderBytes + kLayerRecordBytes * layers + 8; }

template <class T>
void put(std::vector<std::uint8_t>& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
}

// Byte-wise on purpose: GCC 12 reports false stringop-overflow warnings for vector::insert here.
template <class Range>
void put_bytes(std::vector<std::uint8_t>& out, const Range& bytes) {
  for (const auto b : bytes) out.push_back(static_cast<std::uint8_t>(b));
}

template <class T>
T get(std::span<const std::uint8_t> in, std::size_t offset) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<std::uint64_t>(in[offset + i]) << (8 * i);
  return static_cast<T>(v);
}

[[noreturn]] void bad(std::string_view name, const std::string& problem) {
  throw std::runtime_error(std::string(name) + ": " + problem);
}

std::vector<std::uint8_t> serialize_header(const KeyHeader& h, std::span<const std::uint8_t> model_fp) {
  std::vector<std::uint8_t> out;
  out.reserve(header_size_for(h.layers.size()));
  put_bytes(out, kKeyFileMagic);
  put<std::uint16_t>(out, h.version_major);
  put<std::uint16_t>(out, h.version_minor);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(header_size_for(h.layers.size())));
  put_bytes(out, model_fp);
  const bool scrypt = h.kdf.kind == KdfKind::Scrypt, pbkdf2 = h.kdf.kind == KdfKind::Pbkdf2Sha256;
  put<std::uint8_t>(out, static_cast<std::uint8_t>(h.kdf.kind));
  put<std::uint8_t>(out, scrypt ? static_cast<std::uint8_t>(h.kdf.scrypt_log2_n) : 0);
  put<std::uint16_t>(out, 0);
  put<std::uint32_t>(out, scrypt ? h.kdf.scrypt_r : 0);
  put<std::uint32_t>(out, scrypt ? h.kdf.scrypt_p : 0);
  put<std::uint32_t>(out, pbkdf2 ? h.kdf.pbkdf2_iterations : 0);
  put_bytes(out, h.salt);
  put_bytes(out, h.nonce);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(h.layers.size()));
  for (const auto& l : h.layers) {
    put<std::uint32_t>(out, l.layer);
    put<std::uint8_t>(out, static_cast<std::uint8_t>(l.bits_per_weight));
    put<std::uint8_t>(out, 0);
    put<std::uint16_t>(out, 0);
    put<std::uint64_t>(out, l.total_bits);
    put<std::uint64_t>(out, l.flipped_bits);
  }
  put<std::uint64_t>(out, h.payload_bytes);
  return out;
}

KdfParams kdf_from_header(std::span<const std::uint8_t> f, std::string_view name) {
  const auto kind = get<std::uint8_t>(f, 48);
  const auto log2_n = get<std::uint8_t>(f, 49);
  const auto reserved = get<std::uint16_t>(f, 50);
  const auto r = get<std::uint32_t>(f, 52), p = get<std::uint32_t>(f, 56), iterations = get<std::uint32_t>(f, 60);
  if (reserved != 0) bad(name, "malformed header: reserved bytes at offset 50 are not zero");
  KdfParams k;
  k.scrypt_log2_n = 0;
  k.scrypt_r = k.scrypt_p = k.pbkdf2_iterations = 0;
  switch (kind) {
    case static_cast<std::uint8_t>(KdfKind::DeviceKeyHkdf):
      k.kind = KdfKind::DeviceKeyHkdf;
      if (log2_n || r || p || iterations) bad(name, "malformed header: KDF parameters set for a device-key file (offset 49..63)");
      return k;
    case static_cast<std::uint8_t>(KdfKind::Scrypt):
      k.kind = KdfKind::Scrypt;
      k.scrypt_log2_n = log2_n;
      k.scrypt_r = r;
      k.scrypt_p = p;
      if (iterations) bad(name, "malformed header: PBKDF2 iterations set for an scrypt file (offset 60)");
      break;
    case static_cast<std::uint8_t>(KdfKind::Pbkdf2Sha256):
      k.kind = KdfKind::Pbkdf2Sha256;
      k.pbkdf2_iterations = iterations;
      if (log2_n || r || p) bad(name, "malformed header: scrypt parameters set for a PBKDF2 file (offset 49..59)");
      break;
    default:
      bad(name, "malformed header: unknown KDF kind " + std::to_string(kind) + " at offset 48");
  }
  try {
    k.validate();
  } catch (const std::invalid_argument& e) {
    bad(name, std::string("malformed header: ") + e.what());
  }
  return k;
}

void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  io::write_bytes_atomically(path, bytes, /*owner_only=*/true);  // it holds a sealed key
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) { return io::read_file_bytes(path, "key file"); }

bool read_varint(std::span<const std::uint8_t> in, std::size_t& pos, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const std::uint8_t b = in[pos++];
    if (shift == 63 && b > 1) return false;           // would overflow 64 bits
    if (shift > 0 && b == 0) return false;            // non-canonical (redundant zero group)
    value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------- fingerprints, secrets, KDF

std::string model_fingerprint(std::span<const std::span<const std::uint8_t>> layers) { return to_hex(sha256(layers)); }

KeySecret KeySecret::passphrase(std::string_view text) {
  if (text.empty()) throw std::invalid_argument("empty passphrase");
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  return KeySecret(Kind::Passphrase, SecretBytes(std::span<const std::uint8_t>(p, text.size())));
}

KeySecret KeySecret::device_key(std::span<const std::uint8_t> key) {
  if (key.size() != kDeviceKeyBytes)
    throw std::invalid_argument("a device key is exactly 32 bytes, got " + std::to_string(key.size()));
  return KeySecret(Kind::DeviceKey, SecretBytes(key));
}

KeySecret KeySecret::read_device_key_file(const std::filesystem::path& path) {
  std::vector<std::uint8_t> bytes = read_file(path);
  SecretBytes held(bytes);  // wipe the copy on every path
  OPENSSL_cleanse(bytes.data(), bytes.size());
  if (held.size() != kDeviceKeyBytes)
    throw std::runtime_error(path.string() + ": a device-key file holds exactly 32 raw bytes, this one has " + std::to_string(held.size()));
  return KeySecret(Kind::DeviceKey, std::move(held));
}

KeySecret KeySecret::read_passphrase_file(const std::filesystem::path& path) {
  std::vector<std::uint8_t> bytes = read_file(path);
  SecretBytes held(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  std::size_t n = held.size();
  if (n > 0 && held.bytes()[n - 1] == '\n') --n;
  if (n > 0 && held.bytes()[n - 1] == '\r') --n;
  if (n == 0) throw std::runtime_error(path.string() + ": empty passphrase file");
  return KeySecret(Kind::Passphrase, SecretBytes(held.bytes().first(n)));
}

std::string to_string(KdfKind kind) {
  switch (kind) {
    case KdfKind::DeviceKeyHkdf: return "device-hkdf-sha256";
    case KdfKind::Scrypt: return "scrypt";
    case KdfKind::Pbkdf2Sha256: return "pbkdf2-hmac-sha256";
  }
  return "unknown";
}

KdfParams KdfParams::scrypt(int log2_n, std::uint32_t r, std::uint32_t p) {
  KdfParams k;
  k.kind = KdfKind::Scrypt;
  k.scrypt_log2_n = log2_n;
  k.scrypt_r = r;
  k.scrypt_p = p;
  k.validate();
  return k;
}

KdfParams KdfParams::pbkdf2(std::uint32_t iterations) {
  KdfParams k;
  k.kind = KdfKind::Pbkdf2Sha256;
  k.pbkdf2_iterations = iterations;
  k.validate();
  return k;
}

bool KdfParams::operator==(const KdfParams& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case KdfKind::DeviceKeyHkdf: return true;
    case KdfKind::Scrypt: return scrypt_log2_n == o.scrypt_log2_n && scrypt_r == o.scrypt_r && scrypt_p == o.scrypt_p;
    case KdfKind::Pbkdf2Sha256: return pbkdf2_iterations == o.pbkdf2_iterations;
  }
  return false;
}

void KdfParams::validate() const {
  switch (kind) {
    case KdfKind::DeviceKeyHkdf: return;
    case KdfKind::Scrypt: {
      if (scrypt_log2_n < 1 || scrypt_log2_n > 24) throw std::invalid_argument("scrypt log2 N " + std::to_string(scrypt_log2_n) + " outside 1..24");
      if (scrypt_r < 1 || scrypt_r > 64) throw std::invalid_argument("scrypt r " + std::to_string(scrypt_r) + " outside 1..64");
      if (scrypt_p < 1 || scrypt_p > 64) throw std::invalid_argument("scrypt p " + std::to_string(scrypt_p) + " outside 1..64");
      const std::uint64_t memory = 128ull * scrypt_r * (std::uint64_t{1} << scrypt_log2_n);
      if (memory > (std::uint64_t{1} << 30))
        throw std::invalid_argument("scrypt memory 128 r N = " + std::to_string(memory >> 20) + " MiB exceeds 1024 MiB");
      return;
    }
    case KdfKind::Pbkdf2Sha256:
      if (pbkdf2_iterations < 1 || pbkdf2_iterations > (1u << 24))
        throw std::invalid_argument("PBKDF2 iterations " + std::to_string(pbkdf2_iterations) + " outside 1..2^24");
      return;
  }
  throw std::invalid_argument("unknown KDF kind");
}

SecretBytes derive_key_encryption_key(const KeySecret& secret, const KdfParams& kdf, std::span<const std::uint8_t> salt) {
  constexpr std::size_t kKekBytes = 32;
  if (secret.kind() == KeySecret::Kind::DeviceKey) {
    const auto* info = reinterpret_cast<const std::uint8_t*>(kDeviceKeyInfo.data());
    return hkdf_sha256(secret.bytes(), salt, std::span<const std::uint8_t>(info, kDeviceKeyInfo.size()), kKekBytes);
  }
  kdf.validate();
  switch (kdf.kind) {
    case KdfKind::Scrypt:
      return scrypt(secret.bytes(), salt, std::uint64_t{1} << kdf.scrypt_log2_n, kdf.scrypt_r, kdf.scrypt_p, kKekBytes);
    case KdfKind::Pbkdf2Sha256: return pbkdf2_sha256(secret.bytes(), salt, kdf.pbkdf2_iterations, kKekBytes);
    case KdfKind::DeviceKeyHkdf: break;
  }
  throw std::invalid_argument("a passphrase needs a passphrase KDF (scrypt or pbkdf2), not " + to_string(kdf.kind));
}

// ---------------------------------------------------------------- payload codec

void append_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

std::vector<std::uint8_t> encode_positions(const XorKey& key) {
  key.validate();
  std::vector<std::uint8_t> out;
  out.reserve(10 * key.flipped_bits());  // a varint has <= 10 bytes: no reallocation leaves stray copies
  for (const auto& l : key.layers)
    for (std::size_t i = 0; i < l.positions.size(); ++i)
      append_varint(out, i == 0 ? l.positions[0] : l.positions[i] - l.positions[i - 1] - 1);
  return out;
}

XorKey decode_positions(std::span<const std::uint8_t> payload, std::span<const KeyLayerInfo> layers) {
  XorKey key;
  std::size_t pos = 0;
  for (const auto& info : layers) {
    LayerKey l;
    l.layer = info.layer;
    l.bits_per_weight = info.bits_per_weight;
    l.total_bits = info.total_bits;
    l.positions.reserve(info.flipped_bits);
    std::uint64_t next_min = 0;  // smallest value the next position may take
    for (std::uint64_t i = 0; i < info.flipped_bits; ++i) {
      std::uint64_t v = 0;
      if (!read_varint(payload, pos, v))
        throw std::invalid_argument("payload: bad varint for layer " + std::to_string(info.layer) + " position " + std::to_string(i));
      if (v >= info.total_bits - next_min)  // next_min + v >= total_bits, without overflow
        throw std::invalid_argument("payload: position out of range in layer " + std::to_string(info.layer));
      l.positions.push_back(next_min + v);
      next_min = l.positions.back() + 1;
    }
    key.layers.push_back(std::move(l));
  }
  if (pos != payload.size()) throw std::invalid_argument("payload: " + std::to_string(payload.size() - pos) + " trailing bytes");
  key.validate();
  return key;
}

// ---------------------------------------------------------------- header

std::uint64_t KeyHeader::flipped_bits() const {
  std::uint64_t n = 0;
  for (const auto& l : layers) n += l.flipped_bits;
  return n;
}
std::uint64_t KeyHeader::total_bits() const {
  std::uint64_t n = 0;
  for (const auto& l : layers) n += l.total_bits;
  return n;
}

KeyHeader parse_key_header(std::span<const std::uint8_t> f, std::string_view name) {
  const std::span<const char> magic(kKeyFileMagic);
  const std::size_t m = std::min(f.size(), magic.size());
  static constexpr std::uint8_t hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (f.size() >= 8 && std::equal(f.begin(), f.begin() + 8, std::begin(hdf5_signature)))
    bad(name, "is an HDF5 file (a model or frame file), not a key file");
  for (std::size_t i = 0; i < m; ++i)
    if (f[i] != static_cast<std::uint8_t>(magic[i])) bad(name, "not an snngx key file (bad magic at offset " + std::to_string(i) + ")");
  if (f.size() < 16) bad(name, "truncated key file (" + std::to_string(f.size()) + " bytes, the header alone needs more than 16)");
  KeyHeader h;
  h.version_major = get<std::uint16_t>(f, 8);
  h.version_minor = get<std::uint16_t>(f, 10);
  if (h.version_major != kKeyFileVersionMajor || h.version_minor != kKeyFileVersionMinor)
    bad(name, "unsupported key file version " + std::to_string(h.version_major) + "." + std::to_string(h.version_minor) +
                  " (this snngx reads " + std::to_string(kKeyFileVersionMajor) + "." + std::to_string(kKeyFileVersionMinor) + ")");
  if (f.size() < kFixedHeaderBytes) bad(name, "truncated key file (" + std::to_string(f.size()) + " bytes, header incomplete)");
  const auto declared = get<std::uint32_t>(f, 12);
  const auto layer_count = get<std::uint32_t>(f, 92);
  if (layer_count > kMaxLayers) bad(name, "malformed header: layer count " + std::to_string(layer_count) + " at offset 92");
  h.header_bytes = header_size_for(layer_count);
  if (declared != h.header_bytes)
    bad(name, "malformed header: header length " + std::to_string(declared) + " does not match " + std::to_string(layer_count) +
                  " layers (expected " + std::to_string(h.header_bytes) + ")");
  if (f.size() < h.header_bytes) bad(name, "truncated key file (" + std::to_string(f.size()) + " bytes, header needs " + std::to_string(h.header_bytes) + ")");
  h.model_fingerprint = to_hex(f.subspan(16, 32));
  h.kdf = kdf_from_header(f, name);
  std::copy_n(f.begin() + 64, kKeySaltBytes, h.salt.begin());
  std::copy_n(f.begin() + 80, kGcmNonceBytes, h.nonce.begin());
  for (std::size_t i = 0; i < layer_count; ++i) {
    const std::size_t o = kFixedHeaderBytes + i * kLayerRecordBytes;
    KeyLayerInfo l;
    l.layer = get<std::uint32_t>(f, o);
    l.bits_per_weight = get<std::uint8_t>(f, o + 4);
    l.total_bits = get<std::uint64_t>(f, o + 8);
    l.flipped_bits = get<std::uint64_t>(f, o + 16);
    const std::string at = "layer record " + std::to_string(i) + " (offset " + std::to_string(o) + ")";
    if (get<std::uint8_t>(f, o + 5) != 0 || get<std::uint16_t>(f, o + 6) != 0) bad(name, "malformed header: reserved bytes not zero in " + at);
    if (i > 0 && l.layer <= h.layers.back().layer) bad(name, "malformed header: layers not in increasing order in " + at);
    if (l.bits_per_weight < 1 || l.bits_per_weight > 8) bad(name, "malformed header: bits per weight outside 1..8 in " + at);
    if (l.total_bits % static_cast<std::uint64_t>(l.bits_per_weight) != 0) bad(name, "malformed header: total bits not a multiple of q in " + at);
    if (l.flipped_bits > l.total_bits) bad(name, "malformed header: more flipped bits than bits in " + at);
    h.layers.push_back(l);
  }
  h.payload_bytes = get<std::uint64_t>(f, h.header_bytes - 8);
  const std::uint64_t available = f.size() - h.header_bytes;
  if (h.payload_bytes > available || available - h.payload_bytes < kGcmTagBytes)
    bad(name, "truncated key file (" + std::to_string(f.size()) + " bytes, expected " +
                  (h.payload_bytes > available ? "more" : std::to_string(h.header_bytes + h.payload_bytes + kGcmTagBytes)) + ")");
  if (available - h.payload_bytes > kGcmTagBytes)
    bad(name, std::to_string(available - h.payload_bytes - kGcmTagBytes) + " unexpected trailing bytes after the authentication tag");
  h.fingerprint = to_hex(sha256(f.first(h.header_bytes)));
  return h;
}

std::vector<std::uint8_t> seal_key_bytes(const XorKey& key, std::string_view model_fingerprint_hex, const KeySecret& secret,
                                         const KdfParams& kdf, std::span<const std::uint8_t, kKeySaltBytes> salt,
                                         std::span<const std::uint8_t, kGcmNonceBytes> nonce) {
  key.validate();
  const auto model_fp = from_hex(model_fingerprint_hex, "model fingerprint");
  if (model_fp.size() != 32) throw std::invalid_argument("model fingerprint must be 64 hex digits (SHA-256)");
  if (key.layers.size() > kMaxLayers) throw std::invalid_argument("key has too many layers");
  KeyHeader h;
  if (secret.kind() == KeySecret::Kind::DeviceKey) {
    h.kdf.kind = KdfKind::DeviceKeyHkdf;
  } else {
    if (kdf.kind == KdfKind::DeviceKeyHkdf) throw std::invalid_argument("a passphrase needs scrypt or pbkdf2, not " + to_string(kdf.kind));
    kdf.validate();
    h.kdf = kdf;
  }
  std::copy(salt.begin(), salt.end(), h.salt.begin());
  std::copy(nonce.begin(), nonce.end(), h.nonce.begin());
  for (const auto& l : key.layers) h.layers.push_back({l.layer, l.bits_per_weight, l.total_bits, l.positions.size()});
  std::vector<std::uint8_t> encoded = encode_positions(key);
  SecretBytes plain(encoded);
  OPENSSL_cleanse(encoded.data(), encoded.size());
  h.payload_bytes = plain.size();
  std::vector<std::uint8_t> file = serialize_header(h, model_fp);
  const SecretBytes kek = derive_key_encryption_key(secret, h.kdf, h.salt);
  std::array<std::uint8_t, kGcmTagBytes> tag{};
  const auto cipher = aes_gcm_encrypt(kek.bytes(), h.nonce, file, plain.bytes(), tag);
  file.insert(file.end(), cipher.begin(), cipher.end());
  file.insert(file.end(), tag.begin(), tag.end());
  return file;
}

XorKey unseal_key_bytes(std::span<const std::uint8_t> file, const KeySecret& secret, std::string_view name) {
  const KeyHeader h = parse_key_header(file, name);
  const bool device_file = h.kdf.kind == KdfKind::DeviceKeyHkdf;
  if (device_file && secret.kind() != KeySecret::Kind::DeviceKey)
    throw io::ParameterError(io::ParameterError::literal(name) + ": this key file is sealed with a device key; give {device_key}, not a passphrase");
  if (!device_file && secret.kind() == KeySecret::Kind::DeviceKey)
    bad(name, "this key file is sealed with a passphrase (" + to_string(h.kdf.kind) + "), not a device key");
  const SecretBytes kek = derive_key_encryption_key(secret, h.kdf, h.salt);
  const auto ciphertext = file.subspan(h.header_bytes, h.payload_bytes);
  const std::span<const std::uint8_t, kGcmTagBytes> tag(file.data() + h.header_bytes + h.payload_bytes, kGcmTagBytes);
  SecretBytes plain(ciphertext.size());
  if (!aes_gcm_decrypt(kek.bytes(), h.nonce, file.first(h.header_bytes), ciphertext, tag, plain.bytes()))
    bad(name, std::string("authentication failed: wrong ") + (device_file ? "device key" : "passphrase") +
                  ", or the key file was modified");
  try {
    return decode_positions(plain.bytes(), h.layers);
  } catch (const std::invalid_argument& e) {
    bad(name, std::string("authenticated but malformed key: ") + e.what());
  }
}

std::string seal_key(const std::filesystem::path& path, const XorKey& key, std::string_view model_fingerprint_hex,
                     const KeySecret& secret, const KdfParams& kdf) {
  std::array<std::uint8_t, kKeySaltBytes> salt{};
  std::array<std::uint8_t, kGcmNonceBytes> nonce{};
  random_bytes(salt);
  random_bytes(nonce);
  const auto file = seal_key_bytes(key, model_fingerprint_hex, secret, kdf, salt, nonce);
  write_file_atomically(path, file);
  return parse_key_header(file, path.string()).fingerprint;
}

void check_key_matches_model(const KeyHeader& h, std::string_view name, std::span<const ModelLayerBits> layers,
                             std::string_view model_key_fingerprint) {
  const auto refuse = [&](const std::string& why) { bad(name, "this key belongs to another model (" + why + ")"); };
  std::vector<std::span<const std::uint8_t>> parts;
  for (const auto& l : layers) parts.push_back(l.weight_bits);
  const std::string weights_fp = model_fingerprint(parts);
  if (weights_fp != h.model_fingerprint)
    refuse("the model's weight_bits hash to " + weights_fp.substr(0, 16) + "..., the key expects " + h.model_fingerprint.substr(0, 16) + "...");
  if (model_key_fingerprint != h.fingerprint)
    refuse(model_key_fingerprint.empty() ? std::string("the model has no key_fingerprint; it is not an encrypted model")
                                         : "the model names key " + std::string(model_key_fingerprint.substr(0, 16)) + "..., this key file is " +
                                               h.fingerprint.substr(0, 16) + "...");
  for (const auto& kl : h.layers) {
    if (kl.layer >= layers.size())
      refuse("key layer " + std::to_string(kl.layer) + " but the model has " + std::to_string(layers.size()) + " weighted layers");
    const auto& ml = layers[kl.layer];
    if (kl.bits_per_weight != ml.bits_per_weight || kl.total_bits != ml.weight_bits.size() * static_cast<std::uint64_t>(ml.bits_per_weight))
      refuse("key layer " + std::to_string(kl.layer) + " covers " + std::to_string(kl.total_bits) + " bits of q = " +
             std::to_string(kl.bits_per_weight) + ", the model layer has " + std::to_string(ml.weight_bits.size()) + " weights of q = " +
             std::to_string(ml.bits_per_weight));
  }
}

KeyHeader read_key_header(const std::filesystem::path& path) { return parse_key_header(read_file(path), path.string()); }

XorKey unseal_key(const std::filesystem::path& path, const KeySecret& secret) {
  return unseal_key_bytes(read_file(path), secret, path.string());
}

}  // namespace snngx::crypto
