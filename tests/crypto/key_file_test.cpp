// Sealed key files: codec, round trips, the documented layout, exhaustive tamper and
// truncation detection, wrong secrets, KDF parameters, binding to the model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "snngx/crypto/key_file.hpp"
#include "temp_dir.hpp"
#include "error_of.hpp"

namespace snngx::crypto {
namespace {

const std::string kModelFp = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr std::array<std::uint8_t, kKeySaltBytes> kSalt{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr std::array<std::uint8_t, kGcmNonceBytes> kNonce{0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB};
const KdfParams kFastScrypt = KdfParams::scrypt(1, 1, 1);  // tests only; users get N = 2^15, r = 8

// Two layers, q = 8 and q = 4, a handful of positions (a "small sealed key file").
XorKey small_key() {
  return XorKey{{LayerKey{0, 8, 80, {0, 8, 9, 79}}, LayerKey{1, 4, 24, {4, 300 % 24}}}};
}

KeySecret device_secret(std::uint8_t fill = 0x42) { return KeySecret::device_key(std::vector<std::uint8_t>(32, fill)); }

using snngx::testing::error_of;

void expect_same_key(const XorKey& a, const XorKey& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    EXPECT_EQ(a.layers[i].layer, b.layers[i].layer);
    EXPECT_EQ(a.layers[i].bits_per_weight, b.layers[i].bits_per_weight);
    EXPECT_EQ(a.layers[i].total_bits, b.layers[i].total_bits);
    EXPECT_EQ(a.layers[i].positions, b.layers[i].positions);
  }
}

std::uint64_t le(const std::vector<std::uint8_t>& f, std::size_t off, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(f[off + i]) << (8 * i);
  return v;
}

// ---------------------------------------------------------------- payload codec

TEST(Varint, EncodesUnsignedLeb128) {
  auto enc = [](std::uint64_t v) {
    std::vector<std::uint8_t> out;
    append_varint(out, v);
    return to_hex(out);
  };
  EXPECT_EQ(enc(0), "00");
  EXPECT_EQ(enc(127), "7f");
  EXPECT_EQ(enc(128), "8001");
  EXPECT_EQ(enc(300), "ac02");
  EXPECT_EQ(enc(~std::uint64_t{0}), "ffffffffffffffffff01");
}

TEST(PositionCodec, StoresFirstPositionThenGapMinusOne) {
  const XorKey key{{LayerKey{0, 8, 800, {3, 4, 200}}, LayerKey{1, 8, 8, {}}, LayerKey{2, 8, 8, {7}}}};
  // 3 | 4-3-1 = 0 | 200-4-1 = 195 = c3 01 | (layer 1 empty) | 7
  EXPECT_EQ(to_hex(encode_positions(key)), "0300c30107");
}

TEST(PositionCodec, RoundTripsRandomKeys) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 30; ++trial) {
    XorKey key;
    std::vector<KeyLayerInfo> infos;
    for (std::uint32_t l = 0; l < 3; ++l) {
      LayerKey k{l, 1 + static_cast<int>(rng() % 8), 0, {}};
      k.total_bits = (1 + rng() % 5000) * static_cast<std::uint64_t>(k.bits_per_weight);
      for (std::uint64_t p = 0; p < k.total_bits; ++p)
        if (rng() % 97 == 0) k.positions.push_back(p);
      infos.push_back({l, k.bits_per_weight, k.total_bits, k.positions.size()});
      key.layers.push_back(k);
    }
    expect_same_key(decode_positions(encode_positions(key), infos), key);
  }
}

TEST(PositionCodec, RejectsOutOfRangeTrailingAndShortPayloads) {
  const std::vector<KeyLayerInfo> infos = {{0, 8, 16, 2}};
  EXPECT_NO_THROW((void)decode_positions(std::vector<std::uint8_t>{0x03, 0x0B}, infos));  // 3, 15
  EXPECT_THROW((void)decode_positions(std::vector<std::uint8_t>{0x03, 0x0C}, infos), std::invalid_argument);  // 16
  EXPECT_THROW((void)decode_positions(std::vector<std::uint8_t>{0x03, 0x00, 0x00}, infos), std::invalid_argument);
  EXPECT_THROW((void)decode_positions(std::vector<std::uint8_t>{0x03}, infos), std::invalid_argument);
  EXPECT_THROW((void)decode_positions(std::vector<std::uint8_t>{0x83, 0x00, 0x01}, infos), std::invalid_argument);  // non-canonical
}

// ---------------------------------------------------------------- round trips and layout

TEST(KeyFile, RoundTripsWithScryptPbkdf2AndDeviceKey) {
  const auto pass = KeySecret::passphrase("correct horse");
  expect_same_key(unseal_key_bytes(seal_key_bytes(small_key(), kModelFp, pass, kFastScrypt, kSalt, kNonce), pass, "k"), small_key());
  expect_same_key(unseal_key_bytes(seal_key_bytes(small_key(), kModelFp, pass, KdfParams::pbkdf2(10), kSalt, kNonce), pass, "k"),
                  small_key());
  const auto dev = device_secret();
  expect_same_key(unseal_key_bytes(seal_key_bytes(small_key(), kModelFp, dev, {}, kSalt, kNonce), dev, "k"), small_key());
}

TEST(KeyFile, RoundTripsAnEmptyKey) {
  const auto dev = device_secret();
  const XorKey empty{{LayerKey{0, 8, 64, {}}}};
  const auto file = seal_key_bytes(empty, kModelFp, dev, {}, kSalt, kNonce);
  EXPECT_EQ(parse_key_header(file, "k").payload_bytes, 0u);
  expect_same_key(unseal_key_bytes(file, dev, "k"), empty);
}

TEST(KeyFile, HeaderFieldsSitAtTheDocumentedOffsets) {
  const auto pass = KeySecret::passphrase("pw");
  const auto f = seal_key_bytes(small_key(), kModelFp, pass, KdfParams::scrypt(3, 2, 5), kSalt, kNonce);
  EXPECT_EQ(std::string(f.begin(), f.begin() + 8), "SNNGXKEY");
  EXPECT_EQ(le(f, 8, 2), 1u);   // major
  EXPECT_EQ(le(f, 10, 2), 0u);  // minor
  const std::size_t header = 96 + 2 * 24 + 8;
  EXPECT_EQ(le(f, 12, 4), header);
  EXPECT_EQ(to_hex(std::span(f).subspan(16, 32)), kModelFp);
  EXPECT_EQ(f[48], 1);  // scrypt
  EXPECT_EQ(f[49], 3);  // log2 N
  EXPECT_EQ(le(f, 50, 2), 0u);
  EXPECT_EQ(le(f, 52, 4), 2u);  // r
  EXPECT_EQ(le(f, 56, 4), 5u);  // p
  EXPECT_EQ(le(f, 60, 4), 0u);  // no PBKDF2 iterations
  EXPECT_TRUE(std::equal(kSalt.begin(), kSalt.end(), f.begin() + 64));
  EXPECT_TRUE(std::equal(kNonce.begin(), kNonce.end(), f.begin() + 80));
  EXPECT_EQ(le(f, 92, 4), 2u);  // layers
  // layer 0: index 0, q 8, 80 bits, 4 flipped; layer 1: index 1, q 4, 24 bits, 2 flipped
  EXPECT_EQ(le(f, 96, 4), 0u);
  EXPECT_EQ(f[100], 8);
  EXPECT_EQ(le(f, 104, 8), 80u);
  EXPECT_EQ(le(f, 112, 8), 4u);
  EXPECT_EQ(le(f, 120, 4), 1u);
  EXPECT_EQ(f[124], 4);
  EXPECT_EQ(le(f, 128, 8), 24u);
  EXPECT_EQ(le(f, 136, 8), 2u);
  const std::uint64_t payload = encode_positions(small_key()).size();
  EXPECT_EQ(le(f, 144, 8), payload);
  EXPECT_EQ(f.size(), header + payload + 16);

  const KeyHeader h = parse_key_header(f, "k");
  EXPECT_EQ(h.model_fingerprint, kModelFp);
  EXPECT_EQ(h.kdf.kind, KdfKind::Scrypt);
  EXPECT_EQ(h.kdf.scrypt_log2_n, 3);
  EXPECT_EQ(h.kdf.scrypt_r, 2u);
  EXPECT_EQ(h.kdf.scrypt_p, 5u);
  EXPECT_EQ(h.salt, kSalt);
  EXPECT_EQ(h.nonce, kNonce);
  EXPECT_EQ(h.flipped_bits(), 6u);
  EXPECT_EQ(h.total_bits(), 104u);
  EXPECT_EQ(h.header_bytes, header);
}

TEST(KeyFile, FingerprintIsSha256OfTheHeaderBytes) {
  const auto f = seal_key_bytes(small_key(), kModelFp, device_secret(), {}, kSalt, kNonce);
  const KeyHeader h = parse_key_header(f, "k");
  EXPECT_EQ(h.fingerprint, sha256_hex(std::span(f).first(h.header_bytes)));
}

TEST(KeyFile, PayloadIsNotThePlainEncoding) {
  const auto f = seal_key_bytes(small_key(), kModelFp, device_secret(), {}, kSalt, kNonce);
  const auto plain = encode_positions(small_key());
  const std::size_t header = parse_key_header(f, "k").header_bytes;
  EXPECT_FALSE(std::equal(plain.begin(), plain.end(), f.begin() + static_cast<std::ptrdiff_t>(header)));
}

// ---------------------------------------------------------------- tampering and truncation

TEST(KeyFile, EverySingleByteChangeIsDetectedDeviceKey) {
  // All 255 other values at every offset (cheap: no passphrase KDF to run).
  const auto dev = device_secret();
  const auto f = seal_key_bytes(small_key(), kModelFp, dev, {}, kSalt, kNonce);
  std::size_t detected = 0;
  for (std::size_t i = 0; i < f.size(); ++i)
    for (int v = 1; v < 256; ++v) {
      auto t = f;
      t[i] = static_cast<std::uint8_t>(t[i] ^ v);
      try {
        (void)unseal_key_bytes(t, dev, "k.key");
        ADD_FAILURE() << "change at offset " << i << " xor " << v << " not detected";
      } catch (const std::runtime_error& e) {
        ++detected;
        EXPECT_EQ(std::string(e.what()).rfind("k.key: ", 0), 0u) << e.what();
      }
    }
  EXPECT_EQ(detected, f.size() * 255);
}

TEST(KeyFile, EveryBitFlipAndByteInversionIsDetectedScrypt) {
  const auto pass = KeySecret::passphrase("pw");
  const auto f = seal_key_bytes(small_key(), kModelFp, pass, kFastScrypt, kSalt, kNonce);
  for (std::size_t i = 0; i < f.size(); ++i)
    for (const int v : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF}) {
      auto t = f;
      t[i] = static_cast<std::uint8_t>(t[i] ^ v);
      EXPECT_THROW((void)unseal_key_bytes(t, pass, "k.key"), std::runtime_error) << "offset " << i << " xor " << v;
    }
}

TEST(KeyFile, EveryTruncationIsReportedAsTruncated) {
  const auto dev = device_secret();
  const auto f = seal_key_bytes(small_key(), kModelFp, dev, {}, kSalt, kNonce);
  for (std::size_t n = 0; n < f.size(); ++n) {
    const std::span<const std::uint8_t> prefix(f.data(), n);
    const std::string msg = error_of([&] { (void)unseal_key_bytes(prefix, dev, "k.key"); });
    EXPECT_NE(msg.find("k.key: truncated key file"), std::string::npos) << n << ": " << msg;
    EXPECT_NE(error_of([&] { (void)parse_key_header(prefix, "k.key"); }), "no error") << n;
  }
}

TEST(KeyFile, TrailingBytesAreRejected) {
  auto f = seal_key_bytes(small_key(), kModelFp, device_secret(), {}, kSalt, kNonce);
  f.push_back(0);
  EXPECT_NE(error_of([&] { (void)parse_key_header(f, "k.key"); }).find("trailing bytes"), std::string::npos);
}

TEST(KeyFile, NotAKeyFileAndUnknownVersionAreNamed) {
  const std::string text = "{\"format\": \"snngx-xor-key\"}";
  const std::vector<std::uint8_t> json(text.begin(), text.end());
  EXPECT_EQ(error_of([&] { (void)parse_key_header(json, "x.json"); }), "x.json: not an snngx key file (bad magic at offset 0)");
  auto f = seal_key_bytes(small_key(), kModelFp, device_secret(), {}, kSalt, kNonce);
  f[8] = 2;
  EXPECT_EQ(error_of([&] { (void)parse_key_header(f, "k.key"); }), "k.key: unsupported key file version 2.0 (this snngx reads 1.0)");
}

TEST(KeyFile, WrongPassphraseFailsWithOneClearLine) {
  const auto f = seal_key_bytes(small_key(), kModelFp, KeySecret::passphrase("right"), kFastScrypt, kSalt, kNonce);
  EXPECT_EQ(error_of([&] { (void)unseal_key_bytes(f, KeySecret::passphrase("wrong"), "k.key"); }),
            "k.key: authentication failed: wrong passphrase, or the key file was modified");
}

TEST(KeyFile, WrongDeviceKeyFails) {
  const auto f = seal_key_bytes(small_key(), kModelFp, device_secret(1), {}, kSalt, kNonce);
  EXPECT_EQ(error_of([&] { (void)unseal_key_bytes(f, device_secret(2), "k.key"); }),
            "k.key: authentication failed: wrong device key, or the key file was modified");
}

TEST(KeyFile, SecretKindMustMatchTheFile) {
  const auto dev_file = seal_key_bytes(small_key(), kModelFp, device_secret(), {}, kSalt, kNonce);
  EXPECT_EQ(error_of([&] { (void)unseal_key_bytes(dev_file, KeySecret::passphrase("x"), "k"); }),
            "k: this key file is sealed with a device key; give device key, not a passphrase");  // crypto's terms; the CLI says --device-key
  const auto pass_file = seal_key_bytes(small_key(), kModelFp, KeySecret::passphrase("x"), kFastScrypt, kSalt, kNonce);
  EXPECT_NE(error_of([&] { (void)unseal_key_bytes(pass_file, device_secret(), "k"); }).find("sealed with a passphrase"), std::string::npos);
}

// ---------------------------------------------------------------- KDF parameters

TEST(Kdf, DefaultsAreTheSecureOnes) {
  const KdfParams d;
  EXPECT_EQ(d.kind, KdfKind::Scrypt);
  EXPECT_EQ(d.scrypt_log2_n, 15);
  EXPECT_EQ(d.scrypt_r, 8u);
  EXPECT_EQ(d.scrypt_p, 1u);
  EXPECT_GE(KdfParams::pbkdf2(600000).pbkdf2_iterations, 600000u);
}

TEST(Kdf, SecureDefaultDerivesDespiteOpenSslDefaultMemoryCap) {
  // scrypt N = 2^15, r = 8 needs 32 MiB plus bookkeeping, above OpenSSL's default 32 MiB cap.
  // Expected value from Python's hashlib.scrypt(b"pw", salt=bytes(range(1, 17)), n=32768, r=8, p=1, dklen=32).
  EXPECT_EQ(to_hex(derive_key_encryption_key(KeySecret::passphrase("pw"), KdfParams{}, kSalt).bytes()),
            "6c1f09297389a7b27ab29399d035f1edeb836e172f60967d533bd0efd84b8a97");
}

TEST(Kdf, KeyEncryptionKeyIsTheScryptOrPbkdf2OfTheRecordedParameters) {
  const auto pass = KeySecret::passphrase("pw");
  const std::vector<std::uint8_t> pw = {'p', 'w'};
  EXPECT_EQ(to_hex(derive_key_encryption_key(pass, KdfParams::scrypt(4, 2, 3), kSalt).bytes()),
            to_hex(scrypt(pw, kSalt, 16, 2, 3, 32).bytes()));
  EXPECT_EQ(to_hex(derive_key_encryption_key(pass, KdfParams::pbkdf2(7), kSalt).bytes()), to_hex(pbkdf2_sha256(pw, kSalt, 7, 32).bytes()));
}

TEST(Kdf, ChangingAnyParameterChangesTheKey) {
  const auto pass = KeySecret::passphrase("pw");
  auto kek = [&](const KdfParams& k) { return to_hex(derive_key_encryption_key(pass, k, kSalt).bytes()); };
  const std::string base = kek(KdfParams::scrypt(4, 1, 1));
  EXPECT_NE(kek(KdfParams::scrypt(5, 1, 1)), base);
  EXPECT_NE(kek(KdfParams::scrypt(4, 2, 1)), base);
  EXPECT_NE(kek(KdfParams::scrypt(4, 1, 2)), base);
  EXPECT_NE(kek(KdfParams::pbkdf2(10)), kek(KdfParams::pbkdf2(11)));
  auto other_salt = kSalt;
  other_salt[0] ^= 1;
  EXPECT_NE(to_hex(derive_key_encryption_key(pass, KdfParams::scrypt(4, 1, 1), other_salt).bytes()), base);
}

TEST(Kdf, SealingUsesTheGivenParametersNotTheDefaults) {
  // Decrypt the payload by hand with KEKs from candidate parameters: only the recorded ones work.
  const auto pass = KeySecret::passphrase("pw");
  const auto f = seal_key_bytes(small_key(), kModelFp, pass, KdfParams::scrypt(5, 2, 1), kSalt, kNonce);
  const KeyHeader h = parse_key_header(f, "k");
  auto opens_with = [&](const KdfParams& k) {
    const SecretBytes kek = derive_key_encryption_key(pass, k, h.salt);
    const std::span<const std::uint8_t, 16> tag(f.data() + h.header_bytes + h.payload_bytes, 16);
    std::vector<std::uint8_t> out(h.payload_bytes);
    return aes_gcm_decrypt(kek.bytes(), h.nonce, std::span(f).first(h.header_bytes), std::span(f).subspan(h.header_bytes, h.payload_bytes),
                           tag, out);
  };
  EXPECT_TRUE(opens_with(KdfParams::scrypt(5, 2, 1)));
  EXPECT_FALSE(opens_with(KdfParams::scrypt(4, 2, 1)));
  EXPECT_FALSE(opens_with(KdfParams{}));
}

TEST(Kdf, EqualityComparesOnlyTheFieldsOfItsKind) {
  KdfParams a = KdfParams::scrypt(4, 2, 1), b = a;
  b.pbkdf2_iterations = 7;  // not an scrypt parameter
  EXPECT_EQ(a, b);
  b.scrypt_r = 3;
  EXPECT_NE(a, b);
  EXPECT_NE(KdfParams::pbkdf2(10), KdfParams::pbkdf2(11));
  EXPECT_NE(KdfParams::pbkdf2(10), KdfParams::scrypt(4, 2, 1));
}

TEST(Kdf, HeaderRecordsExactlyTheParametersSealedWith) {
  const auto pass = KeySecret::passphrase("pw");
  for (const KdfParams& k : {KdfParams::scrypt(3, 2, 5), KdfParams::scrypt(1, 1, 1), KdfParams::pbkdf2(1234)})
    EXPECT_EQ(parse_key_header(seal_key_bytes(small_key(), kModelFp, pass, k, kSalt, kNonce), "k").kdf, k);
  EXPECT_EQ(parse_key_header(seal_key_bytes(small_key(), kModelFp, device_secret(), KdfParams::pbkdf2(9), kSalt, kNonce), "k").kdf.kind,
            KdfKind::DeviceKeyHkdf);
}

TEST(Kdf, BoundsRefuseDenialOfServiceParameters) {
  EXPECT_THROW((void)KdfParams::scrypt(25, 1, 1), std::invalid_argument);
  EXPECT_THROW((void)KdfParams::scrypt(0, 1, 1), std::invalid_argument);
  EXPECT_THROW((void)KdfParams::scrypt(20, 16, 1), std::invalid_argument);  // 2 GiB
  EXPECT_NO_THROW((void)KdfParams::scrypt(20, 8, 1));                        // 1 GiB
  EXPECT_THROW((void)KdfParams::scrypt(4, 1, 65), std::invalid_argument);
  EXPECT_THROW((void)KdfParams::pbkdf2(0), std::invalid_argument);
  EXPECT_THROW((void)KdfParams::pbkdf2((1u << 24) + 1), std::invalid_argument);
}

// ---------------------------------------------------------------- files and secrets

TEST(KeyFile, SealWritesAnOwnerOnlyFileAndReturnsItsFingerprint) {
  const testing::TempDir dir;
  const auto path = dir / "m.key";
  const auto dev = device_secret();
  const std::string fp = seal_key(path, small_key(), kModelFp, dev);
  EXPECT_EQ(read_key_header(path).fingerprint, fp);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.key.tmp"));
  expect_same_key(unseal_key(path, dev), small_key());
  // Fresh salt and nonce each time: another header, another fingerprint, same key inside.
  const std::string fp2 = seal_key(path, small_key(), kModelFp, dev);
  EXPECT_NE(fp2, fp);
  expect_same_key(unseal_key(path, dev), small_key());
}

TEST(KeySecret, PassphraseFileDropsOneTrailingNewline) {
  const testing::TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
    return dir / name;
  };
  auto kek = [&](const KeySecret& s) { return to_hex(derive_key_encryption_key(s, KdfParams::pbkdf2(1), kSalt).bytes()); };
  const std::string plain = kek(KeySecret::passphrase("pw"));
  EXPECT_EQ(kek(KeySecret::read_passphrase_file(write("a", "pw\n"))), plain);
  EXPECT_EQ(kek(KeySecret::read_passphrase_file(write("b", "pw\r\n"))), plain);
  EXPECT_EQ(kek(KeySecret::read_passphrase_file(write("c", "pw"))), plain);
  EXPECT_NE(kek(KeySecret::read_passphrase_file(write("d", "pw\n\n"))), plain);
  EXPECT_NE(error_of([&] { (void)KeySecret::read_passphrase_file(write("e", "\n")); }).find("empty passphrase"), std::string::npos);
  EXPECT_THROW((void)KeySecret::passphrase(""), std::invalid_argument);
}

TEST(KeySecret, DeviceKeyFileMustHoldExactly32Bytes) {
  const testing::TempDir dir;
  std::ofstream(dir / "short.bin", std::ios::binary) << std::string(31, 'x');
  std::ofstream(dir / "ok.bin", std::ios::binary) << std::string(32, 'x');
  EXPECT_NE(error_of([&] { (void)KeySecret::read_device_key_file(dir / "short.bin"); }).find("short.bin: a device-key file holds exactly 32"),
            std::string::npos);
  EXPECT_EQ(KeySecret::read_device_key_file(dir / "ok.bin").kind(), KeySecret::Kind::DeviceKey);
}

// ---------------------------------------------------------------- binding to the model

TEST(ModelFingerprint, IsSha256OfTheLayersConcatenated) {
  const std::vector<std::uint8_t> a = {1, 2, 3}, b = {}, c = {0xFF, 0x80};
  const std::span<const std::uint8_t> layers[] = {a, b, c};
  const std::vector<std::uint8_t> all = {1, 2, 3, 0xFF, 0x80};
  EXPECT_EQ(model_fingerprint(layers), sha256_hex(all));
}

struct BoundModel {
  std::vector<std::uint8_t> w0 = std::vector<std::uint8_t>(10, 0x11), w1 = std::vector<std::uint8_t>(6, 0x22);
  std::vector<ModelLayerBits> layers() const { return {{w0, 8}, {w1, 4}}; }
  std::string fp() const {
    const std::span<const std::uint8_t> s[] = {w0, w1};
    return model_fingerprint(s);
  }
};

TEST(KeyBinding, AcceptsItsModelAndRefusesAnother) {
  BoundModel m;
  const auto f = seal_key_bytes(small_key(), m.fp(), device_secret(), {}, kSalt, kNonce);
  const KeyHeader h = parse_key_header(f, "k.key");
  EXPECT_NO_THROW(check_key_matches_model(h, "k.key", m.layers(), h.fingerprint));
  // Another model: one stored weight byte differs.
  BoundModel other = m;
  other.w1[5] ^= 0x80;
  EXPECT_NE(error_of([&] { check_key_matches_model(h, "k.key", other.layers(), h.fingerprint); }).find("k.key: this key belongs to another model"),
            std::string::npos);
  // The model names another key file (e.g. re-sealed without rebinding).
  EXPECT_NE(error_of([&] { check_key_matches_model(h, "k.key", m.layers(), std::string(64, '0')); }).find("belongs to another model"),
            std::string::npos);
  // Same bytes but a different q for a layer.
  std::vector<ModelLayerBits> wrong_q = {{m.w0, 8}, {m.w1, 8}};
  EXPECT_NE(error_of([&] { check_key_matches_model(h, "k.key", wrong_q, h.fingerprint); }).find("q = 4"), std::string::npos);
}

}  // namespace
}  // namespace snngx::crypto
