// Known-answer tests of the OpenSSL wrappers against published vectors: SHA-256 (FIPS 180-2),
// AES-GCM (McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13, 14, 16),
// AES-CTR (NIST SP 800-38A F.5.1), scrypt and PBKDF2-HMAC-SHA256 (RFC 7914 sections 11, 12),
// HKDF-SHA256 (RFC 5869 A.1).
#include <gtest/gtest.h>

#include <random>

#include "snngx/crypto/primitives.hpp"

namespace snngx::crypto {
namespace {

std::vector<std::uint8_t> hex(std::string_view h) { return from_hex(h); }
std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }
std::string hex_of(const SecretBytes& s) { return to_hex(s.bytes()); }

TEST(Hex, RoundTripsAndRejectsBadDigits) {
  const std::vector<std::uint8_t> b = {0x00, 0x7f, 0x80, 0xff, 0x1a};
  EXPECT_EQ(to_hex(b), "007f80ff1a");
  EXPECT_EQ(from_hex("007F80fF1a"), b);
  EXPECT_THROW((void)from_hex("abc"), std::invalid_argument);
  EXPECT_THROW((void)from_hex("zz"), std::invalid_argument);
}

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(sha256_hex(bytes("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, OfPartsEqualsOfConcatenation) {
  const auto a = bytes("abcdbcdecdefdefgefghfghighij"), b = bytes("hijkijkljklmklmnlmnomnopnopq");
  const std::span<const std::uint8_t> parts[] = {a, {}, b};
  EXPECT_EQ(to_hex(sha256(std::span<const std::span<const std::uint8_t>>(parts))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");  // FIPS 180-2 two-block vector
}

TEST(AesGcm, MatchesGcmSpecTestCase13EmptyMessage) {
  const std::vector<std::uint8_t> key(32, 0), nonce(12, 0);
  std::array<std::uint8_t, 16> tag{};
  EXPECT_TRUE(aes_gcm_encrypt(key, nonce, {}, {}, tag).empty());
  EXPECT_EQ(to_hex(tag), "530f8afbc74536b9a963b4f1c4cb738b");
}

TEST(AesGcm, MatchesGcmSpecTestCase14OneZeroBlock) {
  const std::vector<std::uint8_t> key(32, 0), nonce(12, 0), plain(16, 0);
  std::array<std::uint8_t, 16> tag{};
  EXPECT_EQ(to_hex(aes_gcm_encrypt(key, nonce, {}, plain, tag)), "cea7403d4d606b6e074ec5d3baf39d18");
  EXPECT_EQ(to_hex(tag), "d0d1c8a799996bf0265b98b5d48ab919");
}

struct Case16 {
  std::vector<std::uint8_t> key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  std::vector<std::uint8_t> plain = hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  std::vector<std::uint8_t> aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::vector<std::uint8_t> nonce = hex("cafebabefacedbaddecaf888");
  std::string cipher =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
  std::string tag = "76fc6ece0f4e1768cddf8853bb2d551b";
};

TEST(AesGcm, MatchesGcmSpecTestCase16WithAad) {
  const Case16 c;
  std::array<std::uint8_t, 16> tag{};
  EXPECT_EQ(to_hex(aes_gcm_encrypt(c.key, c.nonce, c.aad, c.plain, tag)), c.cipher);
  EXPECT_EQ(to_hex(tag), c.tag);
}

TEST(AesGcm, DecryptsTestCase16AndRejectsAnyChangedByte) {
  const Case16 c;
  const auto cipher = hex(c.cipher);
  auto tag_v = hex(c.tag);
  std::array<std::uint8_t, 16> tag{};
  std::copy(tag_v.begin(), tag_v.end(), tag.begin());
  std::vector<std::uint8_t> out(cipher.size());
  ASSERT_TRUE(aes_gcm_decrypt(c.key, c.nonce, c.aad, cipher, tag, out));
  EXPECT_EQ(out, c.plain);
  // One changed byte anywhere in ciphertext, AAD or tag must fail, and the output is wiped.
  for (std::size_t i = 0; i < cipher.size(); ++i) {
    auto bad = cipher;
    bad[i] ^= 0x01;
    EXPECT_FALSE(aes_gcm_decrypt(c.key, c.nonce, c.aad, bad, tag, out)) << "ciphertext byte " << i;
    EXPECT_EQ(out, std::vector<std::uint8_t>(out.size(), 0));
  }
  for (std::size_t i = 0; i < c.aad.size(); ++i) {
    auto bad = c.aad;
    bad[i] ^= 0x80;
    EXPECT_FALSE(aes_gcm_decrypt(c.key, c.nonce, bad, cipher, tag, out)) << "aad byte " << i;
  }
  for (std::size_t i = 0; i < tag.size(); ++i) {
    auto bad = tag;
    bad[i] ^= 0x40;
    EXPECT_FALSE(aes_gcm_decrypt(c.key, c.nonce, c.aad, cipher, bad, out)) << "tag byte " << i;
  }
}

TEST(AesCtr, MatchesSp80038aF51) {
  const auto key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  const auto ctr = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const auto plain = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
  std::vector<std::uint8_t> out(plain.size());
  aes_ctr_xcrypt(key, std::span<const std::uint8_t, 16>(ctr.data(), 16), 0, plain, out);
  EXPECT_EQ(to_hex(out), "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
  // Starting at block 1 gives the second block alone (the counter carries across bytes: ..ff -> ..00).
  std::vector<std::uint8_t> second(16);
  aes_ctr_xcrypt(key, std::span<const std::uint8_t, 16>(ctr.data(), 16), 1, std::span(plain).subspan(16), second);
  EXPECT_EQ(to_hex(second), "9806f66b7970fdff8617187bb9fffdff");
}

TEST(AesCtr, SplitAtBlockBoundariesEqualsOnePass) {
  std::mt19937_64 rng(7);
  std::vector<std::uint8_t> key(32), iv(16), data(16 * 37 + 5);
  for (auto* v : {&key, &iv, &data})
    for (auto& b : *v) b = static_cast<std::uint8_t>(rng());
  iv[15] = 0xF0;  // make the split cross a carry into the next counter byte
  const std::span<const std::uint8_t, 16> ivs(iv.data(), 16);
  std::vector<std::uint8_t> whole(data.size()), parts(data.size());
  aes_ctr_xcrypt(key, ivs, 0, data, whole);
  for (const std::size_t split : {std::size_t{16}, std::size_t{16 * 17}, std::size_t{16 * 37}}) {
    aes_ctr_xcrypt(key, ivs, 0, std::span(data).first(split), std::span(parts).first(split));
    aes_ctr_xcrypt(key, ivs, split / 16, std::span(data).subspan(split), std::span(parts).subspan(split));
    EXPECT_EQ(parts, whole) << "split at " << split;
  }
}

TEST(Scrypt, MatchesRfc7914Vectors) {
  EXPECT_EQ(hex_of(scrypt({}, {}, 16, 1, 1, 64)),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  EXPECT_EQ(hex_of(scrypt(bytes("password"), bytes("NaCl"), 1024, 8, 16, 64)),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST(Scrypt, MatchesRfc7914VectorWithRealisticCost) {
  // N = 2^14, r = 8 (16 MiB): the RFC vector closest to the default cost (N = 2^15, r = 8).
  EXPECT_EQ(hex_of(scrypt(bytes("pleaseletmein"), bytes("SodiumChloride"), 16384, 8, 1, 64)),
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

TEST(Scrypt, RefusesNonPowerOfTwoN) { EXPECT_THROW((void)scrypt(bytes("p"), bytes("s"), 1000, 1, 1, 32), std::invalid_argument); }

TEST(Pbkdf2Sha256, MatchesRfc7914Vectors) {
  EXPECT_EQ(hex_of(pbkdf2_sha256(bytes("passwd"), bytes("salt"), 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(hex_of(pbkdf2_sha256(bytes("Password"), bytes("NaCl"), 80000, 64)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST(HkdfSha256, MatchesRfc5869CaseA1) {
  const std::vector<std::uint8_t> ikm(22, 0x0b);
  EXPECT_EQ(hex_of(hkdf_sha256(ikm, hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes a(std::vector<std::uint8_t>{1, 2, 3});
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented moved-from state
  SecretBytes c;
  c = std::move(b);
  EXPECT_EQ(to_hex(c.bytes()), "010203");
}

TEST(Random, FillsDistinctBuffers) {
  std::array<std::uint8_t, 32> a{}, b{};
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);  // 2^-256 chance of a false failure
}

}  // namespace
}  // namespace snngx::crypto
