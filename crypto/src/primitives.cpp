// OpenSSL 3 EVP wrappers. Each function owns its OpenSSL objects through unique_ptr deleters and
// turns a failing call into a std::runtime_error naming the operation.
#include "snngx/crypto/primitives.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>
#include <utility>

namespace snngx::crypto {
namespace {

[[noreturn]] void fail(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char buf[256] = {};
  if (code != 0) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error("OpenSSL " + what + " failed" + (code ? std::string(": ") + buf : std::string()));
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

struct KdfDeleter {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
};
struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct CipherDeleter {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
using Cipher = std::unique_ptr<EVP_CIPHER, CipherDeleter>;

// OSSL_PARAM wants non-const pointers even for inputs it only reads.
void* mutable_ptr(std::span<const std::uint8_t> s) { return const_cast<std::uint8_t*>(s.data()); }

SecretBytes derive(const char* algorithm, OSSL_PARAM* params, std::size_t out_bytes) {
  const std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, algorithm, nullptr));
  if (!kdf) fail(std::string("EVP_KDF_fetch(") + algorithm + ")");
  const std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) fail("EVP_KDF_CTX_new");
  SecretBytes out(out_bytes);
  if (EVP_KDF_derive(ctx.get(), out.bytes().data(), out.size(), params) != 1) fail(std::string(algorithm) + " derivation");
  return out;
}

Cipher fetch_cipher(const char* family, std::size_t key_bytes) {
  if (key_bytes != 16 && key_bytes != 32) throw std::invalid_argument("AES key must be 16 or 32 bytes, got " + std::to_string(key_bytes));
  const std::string name = std::string("AES-") + (key_bytes == 16 ? "128" : "256") + "-" + family;
  Cipher c(EVP_CIPHER_fetch(nullptr, name.c_str(), nullptr));
  if (!c) fail("EVP_CIPHER_fetch(" + name + ")");
  return c;
}

CipherCtx new_cipher_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) fail("EVP_CIPHER_CTX_new");
  return ctx;
}

int checked_int(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(INT_MAX)) throw std::invalid_argument(std::string(what) + " larger than 2 GiB");
  return static_cast<int>(n);
}

// Runs EVP_CipherUpdate over `in` in chunks below INT_MAX.
void cipher_update(EVP_CIPHER_CTX* ctx, std::span<std::uint8_t> out, std::span<const std::uint8_t> in, const char* what) {
  constexpr std::size_t kChunk = std::size_t{1} << 30;
  for (std::size_t done = 0; done < in.size(); done += kChunk) {
    const std::size_t n = std::min(kChunk, in.size() - done);
    int written = 0;
    check(EVP_CipherUpdate(ctx, out.data() + done, &written, in.data() + done, static_cast<int>(n)), what);
    if (static_cast<std::size_t>(written) != n) fail(std::string(what) + " (short output)");
  }
}

}  // namespace

// ---------------------------------------------------------------- SecretBytes

SecretBytes::~SecretBytes() { wipe(); }
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }
SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}
void SecretBytes::wipe() noexcept {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

// ---------------------------------------------------------------- hashing, hex, random

Sha256Digest sha256(std::span<const std::span<const std::uint8_t>> parts) {
  const std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) fail("EVP_MD_CTX_new");
  check(EVP_DigestInit_ex2(ctx.get(), EVP_sha256(), nullptr), "SHA-256 init");
  for (const auto part : parts) check(EVP_DigestUpdate(ctx.get(), part.data(), part.size()), "SHA-256 update");
  Sha256Digest d{};
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx.get(), d.data(), &len), "SHA-256 final");
  if (len != d.size()) fail("SHA-256 (unexpected digest length)");
  return d;
}

Sha256Digest sha256(std::span<const std::uint8_t> bytes) {
  const std::span<const std::uint8_t> parts[] = {bytes};
  return sha256(std::span<const std::span<const std::uint8_t>>(parts));
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * bytes.size());
  for (const std::uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

std::vector<std::uint8_t> from_hex(std::string_view hex, std::string_view what) {
  auto nibble = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument(std::string(what) + ": not a hex digit '" + c + "'");
  };
  if (hex.size() % 2 != 0) throw std::invalid_argument(std::string(what) + ": odd number of hex digits");
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return out;
}

void random_bytes(std::span<std::uint8_t> out) {
  if (!out.empty()) check(RAND_bytes(out.data(), checked_int(out.size(), "random request")), "RAND_bytes");
}

// ---------------------------------------------------------------- KDFs

SecretBytes scrypt(std::span<const std::uint8_t> password, std::span<const std::uint8_t> salt, std::uint64_t n,
                   std::uint32_t r, std::uint32_t p, std::size_t out_bytes) {
  if (n < 2 || (n & (n - 1)) != 0) throw std::invalid_argument("scrypt N must be a power of two > 1, got " + std::to_string(n));
  // Allow the memory the parameters need (128 r N bytes per lane, plus slack); OpenSSL's default
  // cap of 32 MiB would refuse N = 2^15, r = 8 with its bookkeeping.
  std::uint64_t maxmem = 128ull * r * n * 2 + (std::uint64_t{1} << 20) + 128ull * r * p;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, mutable_ptr(password), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mutable_ptr(salt), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  return derive(OSSL_KDF_NAME_SCRYPT, params, out_bytes);
}

SecretBytes pbkdf2_sha256(std::span<const std::uint8_t> password, std::span<const std::uint8_t> salt,
                          std::uint32_t iterations, std::size_t out_bytes) {
  if (iterations == 0) throw std::invalid_argument("PBKDF2 iterations must be >= 1");
  std::uint64_t iter = iterations;
  int pkcs5_checks_off = 1;  // allow short test passwords/salts; our bounds are checked by callers
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, mutable_ptr(password), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mutable_ptr(salt), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5_checks_off),
      OSSL_PARAM_construct_end()};
  return derive(OSSL_KDF_NAME_PBKDF2, params, out_bytes);
}

SecretBytes hkdf_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info, std::size_t out_bytes) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mutable_ptr(key), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mutable_ptr(salt), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, mutable_ptr(info), info.size()),
      OSSL_PARAM_construct_end()};
  return derive(OSSL_KDF_NAME_HKDF, params, out_bytes);
}

// ---------------------------------------------------------------- AES

std::vector<std::uint8_t> aes_gcm_encrypt(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce,
                                          std::span<const std::uint8_t> aad, std::span<const std::uint8_t> plaintext,
                                          std::span<std::uint8_t, kGcmTagBytes> tag) {
  if (nonce.size() != kGcmNonceBytes) throw std::invalid_argument("AES-GCM nonce must be 12 bytes");
  const Cipher cipher = fetch_cipher("GCM", key.size());
  const CipherCtx ctx = new_cipher_ctx();
  check(EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), nonce.data(), nullptr), "AES-GCM encrypt init");
  int len = 0;
  if (!aad.empty()) check(EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size(), "AAD")), "AES-GCM AAD");
  std::vector<std::uint8_t> out(plaintext.size());
  cipher_update(ctx.get(), out, plaintext, "AES-GCM encrypt");
  check(EVP_EncryptFinal_ex(ctx.get(), out.data() + out.size(), &len), "AES-GCM encrypt final");
  check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes), tag.data()), "AES-GCM get tag");
  return out;
}

bool aes_gcm_decrypt(std::span<const std::uint8_t> key, std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> aad,
                     std::span<const std::uint8_t> ciphertext, std::span<const std::uint8_t, kGcmTagBytes> tag,
                     std::span<std::uint8_t> plaintext) {
  if (nonce.size() != kGcmNonceBytes) throw std::invalid_argument("AES-GCM nonce must be 12 bytes");
  if (plaintext.size() != ciphertext.size()) throw std::invalid_argument("AES-GCM output size differs from the ciphertext");
  const Cipher cipher = fetch_cipher("GCM", key.size());
  const CipherCtx ctx = new_cipher_ctx();
  check(EVP_DecryptInit_ex2(ctx.get(), cipher.get(), key.data(), nonce.data(), nullptr), "AES-GCM decrypt init");
  int len = 0;
  if (!aad.empty()) check(EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size(), "AAD")), "AES-GCM AAD");
  cipher_update(ctx.get(), plaintext, ciphertext, "AES-GCM decrypt");
  check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagBytes), const_cast<std::uint8_t*>(tag.data())),
        "AES-GCM set tag");
  if (EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + plaintext.size(), &len) != 1) {
    ERR_clear_error();
    if (!plaintext.empty()) OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return false;
  }
  return true;
}

void aes_ctr_xcrypt(std::span<const std::uint8_t> key, std::span<const std::uint8_t, kAesBlockBytes> initial_counter,
                    std::uint64_t block_offset, std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
  if (out.size() != in.size()) throw std::invalid_argument("AES-CTR output size differs from the input");
  // Counter block + offset, as a 128-bit big-endian addition (wrapping like OpenSSL's CTR mode).
  std::array<std::uint8_t, kAesBlockBytes> counter{};
  std::copy(initial_counter.begin(), initial_counter.end(), counter.begin());
  std::uint64_t carry = block_offset;
  for (int i = static_cast<int>(kAesBlockBytes) - 1; i >= 0 && carry != 0; --i) {
    const std::uint64_t sum = counter[static_cast<std::size_t>(i)] + (carry & 0xFF);
    counter[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  const Cipher cipher = fetch_cipher("CTR", key.size());
  const CipherCtx ctx = new_cipher_ctx();
  check(EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), counter.data(), nullptr), "AES-CTR init");
  cipher_update(ctx.get(), out, in, "AES-CTR");
  int len = 0;
  check(EVP_EncryptFinal_ex(ctx.get(), out.data() + out.size(), &len), "AES-CTR final");
}

}  // namespace snngx::crypto
