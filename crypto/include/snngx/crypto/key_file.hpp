#pragma once
// Sealed key files (`*.key`, format in docs/formats.md): a versioned public header (model
// fingerprint, layer bit counts, KDF parameters, salt, nonce) followed by the XOR key's
// positions (delta + varint encoded) sealed with AES-256-GCM, the header being the additional
// authenticated data. The key-encryption key (KEK) comes from a passphrase through scrypt
// (default) or PBKDF2-HMAC-SHA256, or from a raw 32-byte device key through HKDF-SHA256.
//
// Fingerprints bind a key file and an encrypted model to each other:
//   - the header's model fingerprint = model_fingerprint() of the ENCRYPTED model's weight_bits;
//   - the encrypted model's `key_fingerprint` attribute = fingerprint of the key file's header
//     (returned by seal_key, and KeyHeader::fingerprint).
#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "snngx/crypto/primitives.hpp"
#include "snngx/crypto/xor_key.hpp"

namespace snngx::crypto {

/// Hex SHA-256 of all layers' weight bytes concatenated in layer order (the weighted layers'
/// weight_bits of a model). This is the "model fingerprint" of the spec.
std::string model_fingerprint(std::span<const std::span<const std::uint8_t>> layers);

/// The secret that unlocks a key file: a passphrase or a raw 32-byte device key (the
/// accelerator's trusted key store). Move-only; wiped with OPENSSL_cleanse on destruction.
class KeySecret {
 public:
  enum class Kind { Passphrase, DeviceKey };
  static constexpr std::size_t kDeviceKeyBytes = 32;

  /// Throws std::invalid_argument on an empty passphrase.
  static KeySecret passphrase(std::string_view text);
  /// Throws std::invalid_argument unless exactly 32 bytes.
  static KeySecret device_key(std::span<const std::uint8_t> key);
  /// Reads a device-key file: exactly 32 raw bytes (errors name the file).
  static KeySecret read_device_key_file(const std::filesystem::path& path);
  /// Reads a passphrase file: its content minus one trailing "\n" or "\r\n".
  static KeySecret read_passphrase_file(const std::filesystem::path& path);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] std::span<const std::uint8_t> bytes() const { return bytes_.bytes(); }

 private:
  KeySecret(Kind kind, SecretBytes bytes) : kind_(kind), bytes_(std::move(bytes)) {}
  Kind kind_;
  SecretBytes bytes_;
};

enum class KdfKind : std::uint8_t {
  DeviceKeyHkdf = 0,  // KEK = HKDF-SHA256(device key, salt, "snngx-key-v1")
  Scrypt = 1,         // KEK = scrypt(passphrase, salt, N, r, p)
  Pbkdf2Sha256 = 2,   // KEK = PBKDF2-HMAC-SHA256(passphrase, salt, iterations)
};
std::string to_string(KdfKind kind);  // "device-hkdf-sha256" | "scrypt" | "pbkdf2-hmac-sha256"

/// Key-derivation parameters for passphrases (device keys always use HKDF). The defaults are
/// the secure ones users get; tests use small values.
struct KdfParams {
  KdfKind kind = KdfKind::Scrypt;
  int scrypt_log2_n = 15;       // N = 2^15
  std::uint32_t scrypt_r = 8;
  std::uint32_t scrypt_p = 1;
  std::uint32_t pbkdf2_iterations = 600'000;

  static KdfParams scrypt(int log2_n, std::uint32_t r, std::uint32_t p);
  static KdfParams pbkdf2(std::uint32_t iterations);
  /// Throws std::invalid_argument if outside the accepted bounds (also applied to headers read
  /// from files, so a tampered header cannot make the reader derive for minutes or gigabytes):
  /// scrypt 1 <= log2 N <= 24, 1 <= r, p <= 64, 128 r N <= 1 GiB; PBKDF2 1 <= iterations <= 2^24.
  void validate() const;
  /// Same KDF with the same parameters (the fields of other kinds are ignored).
  bool operator==(const KdfParams& other) const;
};

/// Derives the 32-byte key-encryption key. For a device key, `kdf` is ignored (HKDF).
SecretBytes derive_key_encryption_key(const KeySecret& secret, const KdfParams& kdf, std::span<const std::uint8_t> salt);

inline constexpr std::uint16_t kKeyFileVersionMajor = 1;
inline constexpr std::uint16_t kKeyFileVersionMinor = 0;
inline constexpr std::size_t kKeySaltBytes = 16;

/// Public per-layer part of the header.
struct KeyLayerInfo {
  std::uint32_t layer = 0;
  int bits_per_weight = 8;
  std::uint64_t total_bits = 0;
  std::uint64_t flipped_bits = 0;
};

/// The public header of a key file; readable without the secret.
struct KeyHeader {
  std::uint16_t version_major = kKeyFileVersionMajor, version_minor = kKeyFileVersionMinor;
  std::string model_fingerprint;  // hex SHA-256 of the encrypted model's weight_bits
  KdfParams kdf;                  // kind DeviceKeyHkdf for device-key files
  std::array<std::uint8_t, kKeySaltBytes> salt{};
  std::array<std::uint8_t, kGcmNonceBytes> nonce{};
  std::vector<KeyLayerInfo> layers;
  std::uint64_t payload_bytes = 0;  // ciphertext length
  std::size_t header_bytes = 0;     // serialized header length (the GCM additional data)
  std::string fingerprint;          // hex SHA-256 of the serialized header (model's key_fingerprint)

  [[nodiscard]] std::uint64_t flipped_bits() const;
  [[nodiscard]] std::uint64_t total_bits() const;
};

/// Seals `key` for the model whose fingerprint is `model_fingerprint_hex`, writes the key file
/// atomically (temporary file + rename) and returns the header fingerprint to store in the
/// encrypted model's `key_fingerprint`. Fresh random salt and nonce on every call.
std::string seal_key(const std::filesystem::path& path, const XorKey& key, std::string_view model_fingerprint_hex,
                     const KeySecret& secret, const KdfParams& kdf = {});
/// Reads and checks the public header (no secret needed). Errors name the file: not a key file,
/// truncated, unsupported version, malformed field.
KeyHeader read_key_header(const std::filesystem::path& path);
/// Reads, authenticates (GCM tag over header + payload) and decodes the key. Errors name the
/// file; a wrong secret and a tampered file give the same authentication error.
XorKey unseal_key(const std::filesystem::path& path, const KeySecret& secret);

/// One weighted layer of the model a key is applied to: its stored (encrypted) weight bytes and q.
struct ModelLayerBits {
  std::span<const std::uint8_t> weight_bits;
  int bits_per_weight = 8;
};
/// Checks that the key file `name` with header `h` belongs to this encrypted model: the header's
/// model fingerprint equals model_fingerprint(layers' weight_bits), the model's stored
/// `key_fingerprint` equals h.fingerprint, and every key layer exists with the same q and bit
/// count. Throws std::runtime_error("<name>: this key belongs to another model (...)").
void check_key_matches_model(const KeyHeader& h, std::string_view name, std::span<const ModelLayerBits> layers,
                             std::string_view model_key_fingerprint);

/// In-memory forms of the above (`name` is used in error messages). `salt`/`nonce` are normally
/// random; seal_key_bytes takes them explicitly so that tests can pin them.
std::vector<std::uint8_t> seal_key_bytes(const XorKey& key, std::string_view model_fingerprint_hex, const KeySecret& secret,
                                         const KdfParams& kdf, std::span<const std::uint8_t, kKeySaltBytes> salt,
                                         std::span<const std::uint8_t, kGcmNonceBytes> nonce);
KeyHeader parse_key_header(std::span<const std::uint8_t> file, std::string_view name);
XorKey unseal_key_bytes(std::span<const std::uint8_t> file, const KeySecret& secret, std::string_view name);

/// Payload codec: per layer, the first position then (gap - 1) between consecutive positions,
/// each an unsigned LEB128 varint. Decoding checks counts and ranges against `layers`.
void append_varint(std::vector<std::uint8_t>& out, std::uint64_t value);
std::vector<std::uint8_t> encode_positions(const XorKey& key);
XorKey decode_positions(std::span<const std::uint8_t> payload, std::span<const KeyLayerInfo> layers);

/// The key-file magic ("SNNGXKEY").
inline constexpr std::array<char, 8> kKeyFileMagic{'S', 'N', 'N', 'G', 'X', 'K', 'E', 'Y'};

}  // namespace snngx::crypto
