// Key files with the byte-level mutation kinds every file kind is fuzzed with
// (tests/common/file_fuzz.hpp; issue 17 point 5), on top of key_file_test.cpp's exhaustive
// single-byte, bit-flip and truncation checks: several flips and random runs at once, read from
// the file as the commands do (unseal_key). AES-GCM authenticates header and payload, so every
// mutation that changes a byte is one error line naming the file; none yields a different key.
#include <gtest/gtest.h>

#include "file_fuzz.hpp"
#include "snngx/crypto/key_file.hpp"
#include "temp_dir.hpp"

namespace snngx::crypto {
namespace {
namespace fs = std::filesystem;
using namespace snngx::testing;

TEST(KeyFileFuzz, SealedKeyFileSurvivesBitFlipsTruncationAndRandomRuns) {
  const TempDir dir;
  const fs::path valid_path = dir / "valid.key", path = dir / "fuzz.key";
  const XorKey key{{LayerKey{0, 8, 800, {0, 8, 9, 79, 513}}, LayerKey{2, 4, 240, {4, 17, 239}}}};
  const auto secret = KeySecret::device_key(std::vector<std::uint8_t>(32, 0x5a));  // no KDF: fast
  (void)seal_key(valid_path, key, std::string(64, 'a'), secret);
  const XorKey expected = unseal_key(valid_path, secret);
  const Bytes valid = read_bytes(valid_path);
  std::mt19937_64 rng(601);
  const int n = fuzz_mutations();
  const auto read = [&] {
    const XorKey got = unseal_key(path, secret);
    return got.layers.size() == expected.layers.size() &&
           std::equal(got.layers.begin(), got.layers.end(), expected.layers.begin(), [](const LayerKey& a, const LayerKey& b) {
             return a.layer == b.layer && a.bits_per_weight == b.bits_per_weight && a.total_bits == b.total_bits && a.positions == b.positions;
           });
  };
  for (const auto kind : {FileMutation::BitFlips, FileMutation::Truncation, FileMutation::RandomRuns}) {  // no datasets
    const auto t = fuzz_file(valid, path, kind, {}, n, rng, read, "key file");
    EXPECT_EQ(t.changed, 0) << to_string(kind);  // authenticated: never a different key
    if (kind == FileMutation::Truncation) {
      EXPECT_EQ(t.rejected, n);
    }
  }
}

}  // namespace
}  // namespace snngx::crypto
