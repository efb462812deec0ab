#pragma once
// Thin, checked wrappers over OpenSSL 3's EVP interfaces: SHA-256, the key-derivation functions
// (scrypt, PBKDF2-HMAC-SHA256, HKDF-SHA256) and AES (GCM, CTR). Every OpenSSL failure becomes a
// std::runtime_error naming the operation. Secret-holding buffers are SecretBytes (wiped on
// destruction with OPENSSL_cleanse).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace snngx::crypto {

/// A byte buffer for secrets: move-only, wiped with OPENSSL_cleanse when destroyed or reassigned.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : bytes_(size, 0) {}
  explicit SecretBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  [[nodiscard]] std::span<const std::uint8_t> bytes() const { return bytes_; }
  [[nodiscard]] std::span<std::uint8_t> bytes() { return bytes_; }
  [[nodiscard]] std::size_t size() const { return bytes_.size(); }
  [[nodiscard]] bool empty() const { return bytes_.empty(); }

 private:
  void wipe() noexcept;
  std::vector<std::uint8_t> bytes_;
};

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::span<const std::uint8_t> bytes);
/// SHA-256 over several spans as if concatenated.
Sha256Digest sha256(std::span<const std::span<const std::uint8_t>> parts);
/// Lower-case hex.
std::string to_hex(std::span<const std::uint8_t> bytes);
/// Parses hex (either case, even length); throws std::invalid_argument naming `what`.
std::vector<std::uint8_t> from_hex(std::string_view hex, std::string_view what = "hex string");
inline std::string sha256_hex(std::span<const std::uint8_t> bytes) { return to_hex(sha256(bytes)); }

/// Fills `out` from OpenSSL's CSPRNG (RAND_bytes).
void random_bytes(std::span<std::uint8_t> out);

/// scrypt (RFC 7914) through EVP_KDF "SCRYPT". n must be a power of two > 1.
SecretBytes scrypt(std::span<const std::uint8_t> password, std::span<const std::uint8_t> salt, std::uint64_t n,
                   std::uint32_t r, std::uint32_t p, std::size_t out_bytes);
/// PBKDF2-HMAC-SHA256 (RFC 8018) through EVP_KDF "PBKDF2".
SecretBytes pbkdf2_sha256(std::span<const std::uint8_t> password, std::span<const std::uint8_t> salt,
                          std::uint32_t iterations, std::size_t out_bytes);
/// HKDF-SHA256 extract-and-expand (RFC 5869) through EVP_KDF "HKDF".
SecretBytes hkdf_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info, std::size_t out_bytes);

inline constexpr std::size_t kAesBlockBytes = 16;
inline constexpr std::size_t kGcmNonceBytes = 12;
inline constexpr std::size_t kGcmTagBytes = 16;

/// AES-GCM with a 96-bit nonce; key of 16 or 32 bytes. Returns the ciphertext; writes the tag.
std::vector<std::uint8_t> aes_gcm_encrypt(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                                          std::span<const std::uint8_t> aad, std::span<const std::uint8_t> plaintext,
                                          std::span<std::uint8_t, kGcmTagBytes> tag);
/// Decrypts into `plaintext` (same size as the ciphertext); returns false if the tag does not
/// verify (then `plaintext` is wiped). Throws only on misuse (sizes) or an OpenSSL failure.
[[nodiscard]] bool aes_gcm_decrypt(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                                   std::span<const std::uint8_t> aad, std::span<const std::uint8_t> ciphertext,
                                   std::span<const std::uint8_t, kGcmTagBytes> tag, std::span<std::uint8_t> plaintext);

/// AES-CTR (128-bit big-endian counter block, as SP 800-38A) over `in` into `out` (same size).
/// `block_offset` advances the initial counter by that many blocks, so a message can be split at
/// block boundaries and processed in parallel with a result identical to one pass.
void aes_ctr_xcrypt(std::span<const std::uint8_t> key, std::span<const std::uint8_t, kAesBlockBytes> initial_counter,
                    std::uint64_t block_offset, std::span<const std::uint8_t> in, std::span<std::uint8_t> out);

}  // namespace snngx::crypto
