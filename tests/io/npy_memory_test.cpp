// .npy v1.0 headers parsed back byte by byte, and the memory guard's arithmetic and message.
#include <gtest/gtest.h>

#include "snngx/io/errors.hpp"

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "snngx/io/memory.hpp"
#include "snngx/io/npy.hpp"

namespace snngx {
namespace {

// The header dict of an .npy file, after checking magic, version, length and alignment.
std::string parse_header(const std::vector<std::uint8_t>& f, std::size_t& data_offset) {
  EXPECT_GE(f.size(), 10u);
  EXPECT_EQ(std::string(f.begin() + 1, f.begin() + 6), "NUMPY");
  EXPECT_EQ(f[0], 0x93);
  EXPECT_EQ(f[6], 1);  // major version
  EXPECT_EQ(f[7], 0);  // minor version
  const std::size_t len = f[8] | (static_cast<std::size_t>(f[9]) << 8);
  data_offset = 10 + len;
  EXPECT_EQ(data_offset % 64, 0u) << "data must start 64-byte aligned";
  EXPECT_EQ(f[data_offset - 1], '\n');
  return std::string(f.begin() + 10, f.begin() + static_cast<std::ptrdiff_t>(data_offset));
}

TEST(Npy, OneDimensionalInt32RoundTrips) {
  const std::int32_t values[3] = {7, -1, 2147483647};
  const std::uint64_t shape[1] = {3};
  const auto f = io::npy_file("<i4", 4, shape, {reinterpret_cast<const std::uint8_t*>(values), sizeof values});
  std::size_t off = 0;
  const std::string dict = parse_header(f, off);
  EXPECT_EQ(dict.substr(0, dict.find_last_not_of(" \n") + 1), "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }");
  ASSERT_EQ(f.size(), off + sizeof values);
  std::int32_t back[3];
  std::memcpy(back, f.data() + off, sizeof back);
  EXPECT_EQ(back[1], -1);
  EXPECT_EQ(back[2], 2147483647);
  // 10 prefix bytes + the 57-character dict + '\n' = 68, padded to 128; then 3 x 4 data bytes.
  EXPECT_EQ(f.size(), 128u + 12u);
}

TEST(Npy, TwoDimensionalShapeIsAPythonTuple) {
  const std::uint64_t shape[2] = {2, 3};
  std::size_t off = 0;
  const std::string dict = parse_header(io::npy_header("<u8", shape), off);
  EXPECT_NE(dict.find("'shape': (2, 3), }"), std::string::npos) << dict;
}

TEST(Npy, DataOfTheWrongSizeIsRefused) {
  const std::uint64_t shape[1] = {3};
  const std::uint8_t bytes[8] = {};
  EXPECT_THROW(io::npy_file("<i4", 4, shape, bytes), std::invalid_argument);
}

TEST(Memory, ParseSizeUsesPowersOf1024) {
  EXPECT_EQ(io::parse_size("512"), 512u);
  EXPECT_EQ(io::parse_size("1K"), 1024u);
  EXPECT_EQ(io::parse_size("2M"), 2u << 20);
  EXPECT_EQ(io::parse_size("1.5G"), 3u << 29);
  EXPECT_EQ(io::parse_size("8GiB"), std::uint64_t{8} << 30);
  EXPECT_THROW(io::parse_size("lots"), std::invalid_argument);
  EXPECT_THROW(io::parse_size("-1G"), std::invalid_argument);
  EXPECT_THROW(io::parse_size("nan"), std::invalid_argument);
  EXPECT_THROW(io::parse_size("3Q"), std::invalid_argument);
}

TEST(Memory, SaturatingArithmeticNeverWraps) {
  const auto max = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(io::saturating_product({1u << 20, 1u << 20, 1u << 20, 1u << 20}), max);
  EXPECT_EQ(io::saturating_product({3, 5, 7}), 105u);
  EXPECT_EQ(io::saturating_sum({max - 1, 5}), max);
  EXPECT_EQ(io::saturating_sum({2, 3}), 5u);
}

TEST(Memory, CheckNamesTheEstimateAndTheLimit) {
  const io::MemoryLimit limit{std::uint64_t{1} << 30, "{max_memory}"};
  EXPECT_NO_THROW(io::check_memory(std::uint64_t{1} << 30, "x", limit));
  try {
    io::check_memory(std::uint64_t{3} << 30, "encrypt {population}", limit);  // a literal brace in `what`
    FAIL() << "not refused";
  } catch (const io::ParameterError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with(
        "encrypt {population} needs about 3.0 GiB of memory, more than the 1.0 GiB available (max memory); "))
        << e.what();
    EXPECT_TRUE(e.render([](std::string_view p) { return "--" + std::string(p); }).ends_with("or --max_memory SIZE if you know better"));
    EXPECT_EQ(e.parameters(), (std::vector<std::string>{"max_memory", "max_memory"}));
  }
  EXPECT_NO_THROW(io::check_memory(std::uint64_t{3} << 30, "x", std::nullopt));  // limit unknown: nothing refused
}

TEST(Memory, AvailableMemoryIsReadOnLinux) {
  const auto a = io::available_memory();
  ASSERT_TRUE(a.has_value());
  EXPECT_GT(a->bytes, 0u);
  EXPECT_FALSE(a->source.empty());
}

}  // namespace
}  // namespace snngx
