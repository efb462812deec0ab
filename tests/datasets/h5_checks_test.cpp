// h5::check_storage's number-type rule (issue 17 point 5): libhdf5 converts numbers trusting
// every field of a stored type, so a corrupted field must be refused before a read, while every
// type a real writer stores (HDF5's standard integers, IEEE floats, h5py's float16) still reads.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <random>

#include "error_of.hpp"
#include "file_fuzz.hpp"
#include "snngx/datasets/h5.hpp"
#include "temp_dir.hpp"

namespace snngx::h5 {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

// A 2-element dataset of `type` (a type id this test owns or a predefined one), then check_storage.
std::string check_type(const fs::path& path, hid_t type) {
  {
    H5::H5File f(path.string(), H5F_ACC_TRUNC);
    const hsize_t n = 2;
    const double values[2] = {1.0, 2.0};
    H5::DataSet ds = f.createDataSet("x", H5::DataType(type), H5::DataSpace(1, &n));
    ds.write(values, H5::PredType::NATIVE_DOUBLE);
  }
  const H5::H5File f(path.string(), H5F_ACC_RDONLY);
  return error_of([&] { check_storage(path.string(), f.openDataSet("x"), "x"); });
}

// numpy's float16 as h5py builds it: a copy of IEEE binary32 with binary16 fields.
hid_t float16() {
  const hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(t, 15, 10, 5, 0, 10);
  H5Tset_size(t, 2);
  H5Tset_ebias(t, 15);
  return t;
}

TEST(H5Checks, EveryStandardNumberTypeIsAccepted) {
  const testing::TempDir dir;
  for (const hid_t t : {H5T_STD_I8LE, H5T_STD_U8BE, H5T_STD_I16BE, H5T_STD_U16LE, H5T_STD_I32LE, H5T_STD_U32BE, H5T_STD_I64BE,
                        H5T_STD_U64LE, H5T_IEEE_F32LE, H5T_IEEE_F32BE, H5T_IEEE_F64LE, H5T_IEEE_F64BE}) {
    EXPECT_EQ(check_type(dir / "ok.h5", t), "no error");
  }
  const hid_t half = float16();
  EXPECT_EQ(check_type(dir / "half.h5", half), "no error");
  H5Tclose(half);
}

TEST(H5Checks, ACorruptNumberTypeFieldIsOneError) {
  const testing::TempDir dir;
  const fs::path path = dir / "bad.h5";
  const std::string expected = path.string() + ": dataset 'x' has a corrupt number type (not a standard integer or IEEE float layout)";
  struct Case {
    const char* what;
    std::function<void(hid_t)> corrupt;
    hid_t base;
  };
  const std::vector<Case> cases = {
      {"int32 with 31-bit precision", [](hid_t t) { H5Tset_precision(t, 31); }, H5T_STD_I32LE},
      {"int32 with bit offset 1", [](hid_t t) { H5Tset_precision(t, 31), H5Tset_offset(t, 1); }, H5T_STD_I32LE},
      {"uint16 with ones as padding", [](hid_t t) { H5Tset_pad(t, H5T_PAD_ONE, H5T_PAD_ONE); }, H5T_STD_U16LE},
      {"float32 with exponent bias 126", [](hid_t t) { H5Tset_ebias(t, 126); }, H5T_IEEE_F32LE},
      {"float64 with a 51-bit mantissa", [](hid_t t) { H5Tset_fields(t, 63, 51, 12, 0, 51); }, H5T_IEEE_F64LE},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const hid_t t = H5Tcopy(c.base);
    c.corrupt(t);
    EXPECT_EQ(check_type(path, t), expected);
    H5Tclose(t);
  }
}

// Fuzzing found (NirFileFuzz, the Norse file, 10,000 mutations): a variable-length string's
// character type is stored apart with a size of its own; one flipped bit made it 2 GiB, and
// libhdf5 allocated and zeroed that much per character (54 s for one file, 102 s for another).
// Built here by hand in a file with unchecksummed object headers (as h5py writes them): the
// character size of a string dataset, of a string attribute, and the element size of a
// variable-length float sequence (as SHD stores spike times). Each is one error, at once.
TEST(H5Checks, ACorruptCharacterOrElementSizeIsOneError) {
  const testing::TempDir dir;
  const fs::path path = dir / "strings.h5";
  {
    H5::H5File f(path.string(), H5F_ACC_TRUNC);  // default (1.0) object headers: no checksums
    const H5::StrType text(H5::PredType::C_S1, H5T_VARIABLE);
    const char* value = "LIF";
    f.createDataSet("type", text, H5::DataSpace()).write(&value, text);
    f.createAttribute("name", text, H5::DataSpace()).write(text, &value);
    const H5::VarLenType floats(H5::PredType::IEEE_F32LE);
    const float times[3] = {0.1f, 0.2f, 0.3f};
    hvl_t sequence{3, const_cast<float*>(times)};
    const hsize_t one = 1;
    f.createDataSet("times", floats, H5::DataSpace(1, &one)).write(&sequence, H5::VarLenType(H5::PredType::NATIVE_FLOAT));
  }
  const auto check = [&] {
    const H5::H5File f(path.string(), H5F_ACC_RDONLY);
    std::vector<std::string> errors;
    errors.push_back(error_of([&] { check_storage(path.string(), f.openDataSet("type"), "type"); }));
    errors.push_back(error_of([&] { (void)get_strings(f, "name", path.string()); }));
    errors.push_back(error_of([&] { check_storage(path.string(), f.openDataSet("times"), "times"); }));
    return errors;
  };
  ASSERT_EQ(check(), std::vector<std::string>(3, "no error"));
  // The variable-length type message (class 9, version 1; its size, 16 bytes) is followed by its
  // base: an unsigned char (class 0: libhdf5 stores a string's characters so) or a float (class 1)
  // message, version 1, whose 4-byte size we raise.
  std::vector<std::uint8_t> bytes = snngx::testing::read_bytes(path);
  int patched = 0;
  for (std::size_t p = 0; p + 16 <= bytes.size(); ++p) {
    const auto le32 = [&](std::size_t at) { return bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | bytes[at + 3] << 24; };
    if (bytes[p] == 0x19 && le32(p + 4) == 16 && (bytes[p + 8] == 0x10 || bytes[p + 8] == 0x11) && le32(p + 12) == (bytes[p + 8] == 0x10 ? 1 : 4)) {
      bytes[p + 15] = 0x80;  // + 2 GiB
      ++patched;
    }
  }
  ASSERT_EQ(patched, 3) << "the dataset's, the attribute's and the sequence's type messages";
  snngx::testing::write_bytes(path, bytes);
  const auto errors = check();
  EXPECT_EQ(errors[0], path.string() + ": dataset 'type' has a corrupt string type (not one-byte characters, ASCII or UTF-8)");
  EXPECT_EQ(errors[1], path.string() + ": attribute 'name' has a corrupt string type (not one-byte characters, ASCII or UTF-8)");
  EXPECT_EQ(errors[2], path.string() +
                           ": dataset 'times' (its elements) has a corrupt number type (not a standard integer or IEEE float layout)");
}

}  // namespace
}  // namespace snngx::h5

namespace snngx::h5 {
namespace {

H5G_storage_type_t link_storage(const H5::Group& g) {
  H5G_info_t info;
  EXPECT_GE(H5Gget_info(g.getId(), &info), 0);
  return info.storage_type;
}

// libhdf5 moves a group past 8 links (or an object past 8 attributes) to "dense" storage in a
// fractal heap whose blocks have no checksum; a fuzzed bit there reached a libhdf5 crash. Files
// made by create_checksummed_file keep both in the checksummed object headers at any count, and
// link_names lists a group (dense or not) sorted.
TEST(ChecksummedFiles, KeepManyLinksAndAttributesInTheCheckedObjectHeaders) {
  const testing::TempDir dir;
  const fs::path path = dir.path / "many.h5";
  std::vector<std::string> expected;
  {
    H5::H5File f = create_checksummed_file(path);
    H5::Group sub = create_group(f, "sub");
    for (int i = 29; i >= 0; --i) {
      const std::string name = "g" + std::to_string(i);
      create_group(sub, name);
      create_group(f, name);
      set_attr(sub, "a" + std::to_string(i), std::int64_t{i});
      expected.push_back(name);
    }
  }
  std::sort(expected.begin(), expected.end());
  const H5::H5File f(path.string(), H5F_ACC_RDONLY);
  const H5::Group sub = f.openGroup("sub");
  EXPECT_EQ(link_storage(f), H5G_STORAGE_TYPE_COMPACT);
  EXPECT_EQ(link_storage(sub), H5G_STORAGE_TYPE_COMPACT);
  H5O_info_t info;
  ASSERT_GE(H5Oget_info2(sub.getId(), &info, H5O_INFO_NUM_ATTRS), 0);
  EXPECT_EQ(info.num_attrs, 30U);
  ASSERT_GE(H5Oget_info2(sub.getId(), &info, H5O_INFO_META_SIZE), 0);
  EXPECT_EQ(info.meta_size.attr.heap_size, 0U) << "attributes went to a dense (unchecksummed) heap";
  EXPECT_EQ(get_int(sub, "a17", "many.h5:/sub"), 17);
  EXPECT_EQ(link_names(sub), expected);
  auto with_sub = expected;
  with_sub.push_back("sub");
  std::sort(with_sub.begin(), with_sub.end());
  EXPECT_EQ(link_names(f), with_sub);
}

// A plain file (libhdf5's defaults, as other tools write) does go dense past 8 links; link_names
// lists it the same, sorted.
TEST(ChecksummedFiles, LinkNamesListsADenseGroupSorted) {
  const testing::TempDir dir;
  const fs::path path = dir.path / "dense.h5";
  {
    H5::FileAccPropList access;
    access.setLibverBounds(H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    H5::H5File f(path.string(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, access);
    for (int i = 0; i < 20; ++i) f.createGroup("n" + std::to_string(i));
  }
  const H5::H5File f(path.string(), H5F_ACC_RDONLY);
  ASSERT_EQ(link_storage(f), H5G_STORAGE_TYPE_DENSE);
  const auto names = link_names(f);
  ASSERT_EQ(names.size(), 20U);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.front(), "n0");
  EXPECT_EQ(names.back(), "n9");
}

}  // namespace
}  // namespace snngx::h5

namespace snngx::h5 {
namespace {

// h5::fletcher32 against libhdf5's own filter: a chunk written through the Fletcher-32 filter
// alone, read back raw (H5Dread_chunk), is the data followed by the checksum, little-endian.
// Odd and even chunk lengths, and one long enough for several 360-word runs.
TEST(ChecksummedFiles, Fletcher32EqualsLibhdf5sFilter) {
  const testing::TempDir dir;
  const fs::path path = dir.path / "f.h5";
  for (const hsize_t n : {hsize_t{1}, hsize_t{2}, hsize_t{7}, hsize_t{720}, hsize_t{721}, hsize_t{5001}}) {
    SCOPED_TRACE(n);
    std::vector<std::uint8_t> data(n);
    for (hsize_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(255 - (i * 37 + i / 7) % 256);
    {
      H5::H5File f(path.string(), H5F_ACC_TRUNC);
      H5::DSetCreatPropList props;
      props.setChunk(1, &n);
      props.setFletcher32();
      f.createDataSet("x", H5::PredType::STD_U8LE, H5::DataSpace(1, &n), props).write(data.data(), H5::PredType::NATIVE_UINT8);
    }
    const H5::H5File f(path.string(), H5F_ACC_RDONLY);
    const H5::DataSet ds = f.openDataSet("x");
    const hsize_t origin = 0;
    hsize_t stored = 0;
    ASSERT_GE(H5Dget_chunk_storage_size(ds.getId(), &origin, &stored), 0);
    ASSERT_EQ(stored, n + 4);
    std::vector<std::uint8_t> raw(stored);
    std::uint32_t filters = 0;
    ASSERT_GE(H5Dread_chunk(ds.getId(), H5P_DEFAULT, &origin, &filters, raw.data()), 0);
    ASSERT_TRUE(std::equal(data.begin(), data.end(), raw.begin()));
    const std::uint32_t sum = fletcher32(data);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(raw[n + static_cast<hsize_t>(k)], static_cast<std::uint8_t>(sum >> (8 * k))) << "byte " << k;
  }
}

// libhdf5's word-by-word loop, written out as the slow path h5::fletcher32 must equal.
std::uint32_t fletcher32_word_by_word(std::span<const std::uint8_t> bytes) {
  std::uint32_t sum1 = 0, sum2 = 0;
  const auto fold = [](std::uint32_t x) { return (x & 0xffff) + (x >> 16); };
  std::size_t words = bytes.size() / 2;
  const std::uint8_t* at = bytes.data();
  while (words > 0) {
    const std::size_t run = std::min<std::size_t>(words, 360);
    words -= run;
    for (std::size_t k = 0; k < run; ++k, at += 2) {
      sum1 += static_cast<std::uint32_t>(at[0]) << 8 | at[1];
      sum2 += sum1;
    }
    sum1 = fold(sum1);
    sum2 = fold(sum2);
  }
  if (bytes.size() % 2 != 0) {
    sum1 += static_cast<std::uint32_t>(*at) << 8;
    sum2 += sum1;
    sum1 = fold(sum1);
    sum2 = fold(sum2);
  }
  return fold(sum2) << 16 | fold(sum1);
}

// Every length to 3 blocks and beyond, random bytes and the patterns where the residue
// representation matters: all zero (0), all 0xff (sums are multiples of 65535: 0xffff), and
// a lone nonzero byte at either end.
TEST(ChecksummedFiles, Fletcher32EqualsTheWordByWordSum) {
  std::mt19937_64 rng(17);
  for (std::size_t n = 0; n < 1600; n += (n < 600 ? 1 : 37)) {
    SCOPED_TRACE(n);
    std::vector<std::uint8_t> random(n), zeros(n, 0), ones(n, 0xff);
    for (auto& b : random) b = static_cast<std::uint8_t>(rng());
    for (const auto* data : {&random, &zeros, &ones}) ASSERT_EQ(fletcher32(*data), fletcher32_word_by_word(*data));
    if (n > 0) {
      zeros.front() = 1;
      ASSERT_EQ(fletcher32(zeros), fletcher32_word_by_word(zeros));
      zeros.front() = 0;
      zeros.back() = 0x80;
      ASSERT_EQ(fletcher32(zeros), fletcher32_word_by_word(zeros));
    }
  }
  std::vector<std::uint8_t> large(3'000'001);  // the block sums stay exact over millions of words
  for (auto& b : large) b = static_cast<std::uint8_t>(rng() | 0xf0);
  EXPECT_EQ(fletcher32(large), fletcher32_word_by_word(large));
  EXPECT_EQ(fletcher32(std::vector<std::uint8_t>(4, 0xff)), 0xffffffffU);
  EXPECT_EQ(fletcher32(std::vector<std::uint8_t>(4, 0)), 0U);
}

// h5::read_whole (model weights): a dataset of Fletcher-32 chunks of whole rows is read straight
// from the file and equals libhdf5's read, edge chunk and single chunk included; datasets stored
// any other way (partial-row chunks, deflate, a converted type) go through libhdf5 and equal it
// too. A flipped bit in a chunk is refused by the direct reader itself: its own message names the
// chunk, so the test also shows which path read the dataset.
struct Stored {
  std::string name;
  std::vector<hsize_t> dims, chunk;
  bool deflate = false;
};

TEST(ChecksummedFiles, ReadWholeReadsRowChunksDirectlyAndEqualsLibhdf5) {
  const testing::TempDir dir;
  const fs::path path = dir.path / "w.h5";
  const std::vector<Stored> stored{{"rows", {37, 11}, {8, 11}},       {"one", {512, 9}, {512, 9}},
                                   {"cube", {6, 3, 4}, {4, 3, 4}},    {"vector", {1000}, {300}},
                                   {"partial_rows", {20, 12}, {8, 5}}, {"deflated", {20, 12}, {8, 12}, true}};
  std::mt19937 rng(5);
  {
    H5::H5File f(path.string(), H5F_ACC_TRUNC);
    for (const auto& d : stored) {
      H5::DSetCreatPropList props;
      props.setChunk(static_cast<int>(d.chunk.size()), d.chunk.data());
      if (d.deflate) props.setDeflate(1);
      props.setFletcher32();
      hsize_t n = 1;
      for (const auto e : d.dims) n *= e;
      std::vector<float> v(n);
      for (auto& x : v) x = std::uniform_real_distribution<float>(-1, 1)(rng);
      f.createDataSet(d.name, H5::PredType::IEEE_F32LE, H5::DataSpace(static_cast<int>(d.dims.size()), d.dims.data()), props)
          .write(v.data(), H5::PredType::NATIVE_FLOAT);
    }
  }
  const H5::H5File f(path.string(), H5F_ACC_RDONLY);
  for (const auto& d : stored) {
    SCOPED_TRACE(d.name);
    const H5::DataSet ds = f.openDataSet(d.name);
    const auto n = static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints());
    std::vector<float> expected(n), got(n, -7.0f);
    ds.read(expected.data(), H5::PredType::NATIVE_FLOAT);
    read_whole(ds, H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, got.data());
    EXPECT_EQ(got, expected);
    std::vector<double> wide(n), converted(n);  // a converted type: libhdf5's path
    ds.read(wide.data(), H5::PredType::NATIVE_DOUBLE);
    read_whole(ds, H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_DOUBLE, converted.data());
    EXPECT_EQ(converted, wide);
  }
}

TEST(ChecksummedFiles, ReadWholeRefusesAFlippedBitInAChunkDirectly) {
  const testing::TempDir dir;
  const fs::path path = dir.path / "w.h5";
  const hsize_t dims[2] = {37, 11}, chunk[2] = {8, 11};
  {
    H5::H5File f(path.string(), H5F_ACC_TRUNC);
    H5::DSetCreatPropList props;
    props.setChunk(2, chunk);
    props.setFletcher32();
    const std::vector<float> v(37 * 11, 0.25f);
    f.createDataSet("w", H5::PredType::IEEE_F32LE, H5::DataSpace(2, dims), props).write(v.data(), H5::PredType::NATIVE_FLOAT);
  }
  haddr_t address = 0;
  {
    const H5::H5File f(path.string(), H5F_ACC_RDONLY);
    const hsize_t origin[2] = {16, 0};  // chunk 2
    unsigned mask = 0;
    hsize_t size = 0;
    ASSERT_GE(H5Dget_chunk_info_by_coord(f.openDataSet("w").getId(), origin, &mask, &address, &size), 0);
  }
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(address + 13));
    char byte = 0;
    io.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x04);
    io.seekp(static_cast<std::streamoff>(address + 13));
    io.write(&byte, 1);
  }
  const H5::H5File f(path.string(), H5F_ACC_RDONLY);
  std::vector<float> out(37 * 11);
  const std::string error = error_of([&] {
    try {
      read_whole(f.openDataSet("w"), H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, out.data());
    } catch (const H5::Exception& e) {
      throw std::runtime_error(e.getDetailMsg());
    }
  });
  EXPECT_NE(error.find("chunk 2 of '/w' fails its Fletcher-32 checksum"), std::string::npos) << error;
}

}  // namespace
}  // namespace snngx::h5
