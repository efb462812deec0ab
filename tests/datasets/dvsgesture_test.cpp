// DVS128 Gesture: AEDAT 3.1 decoding from hand-built bytes, label CSVs, cutting recordings into
// samples, tonic's .npy release, the dataset reader over both layouts, and every malformed input.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "snngx/datasets/dvsgesture.hpp"
#include "snngx/datasets/nmnist.hpp"
#include "snngx/datasets/reader.hpp"
#include "temp_dir.hpp"

namespace snngx::datasets {
namespace {

using Bytes = std::vector<std::uint8_t>;

template <typename T>
void put(Bytes& b, T v) {
  std::uint8_t raw[sizeof v];
  std::memcpy(raw, &v, sizeof v);
  b.insert(b.end(), raw, raw + sizeof v);
}

Bytes header(const std::string& text = "#!AER-DAT3.1\r\n#Format: RAW\r\n#!END-HEADER\r\n") { return {text.begin(), text.end()}; }

void packet(Bytes& b, std::int16_t type, std::int32_t size, std::int32_t overflow, std::int32_t number) {
  put<std::int16_t>(b, type);
  put<std::int16_t>(b, 1);
  put<std::int32_t>(b, size);
  put<std::int32_t>(b, 4);
  put<std::int32_t>(b, overflow);
  put<std::int32_t>(b, number);
  put<std::int32_t>(b, number);
  put<std::int32_t>(b, number);
}

void polarity(Bytes& b, std::uint32_t x, std::uint32_t y, std::uint32_t p, std::int32_t ts, bool valid = true) {
  put<std::uint32_t>(b, (x << 17) | (y << 2) | (p << 1) | (valid ? 1u : 0u));
  put<std::int32_t>(b, ts);
}

std::string error_of(const Bytes& bytes) {
  try {
    (void)decode_aedat31(bytes, "u.aedat");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Aedat31, DecodesPolarityPacketsSkipsOtherTypesAndInvalidEvents) {
  Bytes b = header();
  packet(b, 0, 8, 0, 1);  // a special event, skipped by size
  put<std::uint32_t>(b, 3);
  put<std::int32_t>(b, 0);
  packet(b, 1, 8, 0, 3);
  polarity(b, 127, 0, 1, 10);
  polarity(b, 5, 6, 0, 11, false);  // invalid: dropped
  polarity(b, 0, 127, 0, 2147483647);
  packet(b, 2, 12, 0, 1);  // another type with 12-byte events
  b.insert(b.end(), 12, 0xFF);
  packet(b, 1, 8, 3, 1);  // timestamp overflow 3: t = 3 << 31 | 42
  polarity(b, 64, 65, 1, 42);
  const Events e = decode_aedat31(b, "u.aedat");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0], (Event{10, 127, 0, 1}));
  EXPECT_EQ(e[1], (Event{2147483647, 0, 127, 0}));
  EXPECT_EQ(e[2], (Event{(std::int64_t{3} << 31) | 42, 64, 65, 1}));
}

TEST(Aedat31, EncodeRoundTripsAndAcceptsLfHeaders) {
  Events events;
  for (int i = 0; i < 10000; ++i)
    events.push_back({std::int64_t{2147480000} + i * 7, static_cast<std::uint16_t>(i % 128),
                      static_cast<std::uint16_t>((i * 7) % 128), static_cast<std::uint8_t>(i % 2)});
  EXPECT_EQ(decode_aedat31(encode_aedat31(events, 1000), "x"), events);  // crosses 2^31
  Bytes b = header("#!AER-DAT3.1\n#!END-HEADER\n");
  packet(b, 1, 8, 0, 1);
  polarity(b, 1, 2, 1, 3);
  EXPECT_EQ(decode_aedat31(b, "x"), (Events{{3, 1, 2, 1}}));
}

TEST(Aedat31, RejectsMalformedFilesWithOffsetAndReason) {
  EXPECT_EQ(error_of(header("#!AER-DAT2.0\r\n#!END-HEADER\r\n")),
            "u.aedat: byte offset 0: unknown AEDAT version '2.0' (only 3.1 is supported)");
  EXPECT_EQ(error_of(header("hello\r\n")), "u.aedat: byte offset 0: not an AEDAT file (the first line must be '#!AER-DAT3.1')");
  EXPECT_EQ(error_of(header("#!AER-DAT3.1\r\n#a\r\n")), "u.aedat: byte offset 18: header without '#!END-HEADER'");
  EXPECT_EQ(error_of(header("#!AER-DAT3.1\r\n#a\r\nxyz\r\n")),
            "u.aedat: byte offset 18: header line does not start with '#' before '#!END-HEADER'");
  const std::size_t h = header().size();
  Bytes b = header();
  b.resize(h + 27);
  EXPECT_EQ(error_of(b), "u.aedat: byte offset " + std::to_string(h) + ": truncated packet header (27 of 28 bytes)");
  b = header();
  packet(b, 1, 8, 0, 2);
  polarity(b, 1, 1, 1, 1);
  EXPECT_EQ(error_of(b), "u.aedat: byte offset " + std::to_string(h) +
                             ": packet of 2 x 8 bytes overruns the file (8 bytes left)");
  b = header();
  packet(b, 1, 12, 0, 1);
  b.insert(b.end(), 12, 0);
  EXPECT_EQ(error_of(b), "u.aedat: byte offset " + std::to_string(h) +
                             ": eventSize 12 is inconsistent with eventType 1 (polarity events are 8 bytes)");
  b = header();
  packet(b, 1, 8, 0, 1);
  polarity(b, 128, 3, 1, 5);
  EXPECT_EQ(error_of(b), "u.aedat: byte offset " + std::to_string(h + 28) +
                             ": event at x=128, y=3 is outside the 128x128 sensor");
  b = header();
  packet(b, 1, 8, 0, 1);
  polarity(b, 1, 3, 1, -5);
  EXPECT_EQ(error_of(b), "u.aedat: byte offset " + std::to_string(h + 28) + ": negative event timestamp -5");
  b = header();
  packet(b, 1, 0, 0, 1);
  EXPECT_EQ(error_of(b), "u.aedat: byte offset " + std::to_string(h) + ": packet eventSize 0 is not positive");
}

TEST(GestureLabels, ParsesRowsAndNamesTheBadLine) {
  const auto labels = parse_gesture_labels("class,startTime_usec,endTime_usec\r\n1,100,200\r\n11, 5 ,6\r\n\r\n", "l.csv");
  EXPECT_EQ(labels, (std::vector<GestureLabel>{{0, 100, 200}, {10, 5, 6}}));
  EXPECT_EQ(parse_gesture_labels(format_gesture_labels(labels), "x"), labels);
  const auto error = [](const std::string& text) {
    try {
      (void)parse_gesture_labels(text, "l.csv");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string head = "class,startTime_usec,endTime_usec\n";
  EXPECT_EQ(error("class,start,end\n"), "l.csv: line 1: expected the header 'class,startTime_usec,endTime_usec'");
  EXPECT_EQ(error(head + "1,2,3\n1,2\n"),
            "l.csv: line 3: expected three integers 'class,startTime_usec,endTime_usec', got '1,2'");
  EXPECT_EQ(error(head + "1,2,3,4\n"),
            "l.csv: line 2: expected three integers 'class,startTime_usec,endTime_usec', got '1,2,3,4'");
  EXPECT_EQ(error(head + "1,2x,3\n"),
            "l.csv: line 2: expected three integers 'class,startTime_usec,endTime_usec', got '1,2x,3'");
  EXPECT_EQ(error(head + "12,2,3\n"), "l.csv: line 2: class 12 outside 1..11");
  EXPECT_EQ(error(head + "0,2,3\n"), "l.csv: line 2: class 0 outside 1..11");
  EXPECT_EQ(error(head + "3,30,30\n"), "l.csv: line 2: label window [30, 30) is empty or negative");
}

TEST(GestureLabels, SamplesAreTheEventsWithStartLeTLessThanEnd) {
  const Events rec{{100, 1, 1, 1}, {150, 2, 2, 0}, {199, 3, 3, 1}, {200, 4, 4, 0}, {260, 5, 5, 1}};
  const std::vector<GestureLabel> labels{{4, 150, 200}, {0, 100, 101}, {2, 199, 1000}};
  const auto s = cut_gesture_samples(rec, labels, "user01_led.aedat", "l.csv");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].label, 4);
  EXPECT_EQ(s[0].events, (Events{rec[1], rec[2]}));  // t = 200 belongs to the next window only
  EXPECT_EQ(s[0].id, "user01_led.aedat#1");
  EXPECT_EQ(s[1].events, (Events{rec[0]}));
  EXPECT_EQ(s[2].events, (Events{rec[2], rec[3], rec[4]}));  // windows may overlap (as in user22_led)
  try {
    const std::vector<GestureLabel> outside{{1, 300, 400}};
    (void)cut_gesture_samples(rec, outside, "user01_led.aedat", "l.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "l.csv: label row 1 [300, 400) is outside the recording user01_led.aedat [100, 260]");
  }
}

Bytes npy(const std::string& descr, const std::string& shape, const Bytes& data, bool fortran = false, int major = 1) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
  dict.append(64 - (10 + dict.size() + 1) % 64, ' ');
  dict += '\n';
  Bytes b{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  if (major == 1) put<std::uint16_t>(b, static_cast<std::uint16_t>(dict.size()));
  else put<std::uint32_t>(b, static_cast<std::uint32_t>(dict.size()));
  b.insert(b.end(), dict.begin(), dict.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

TEST(GestureNpy, ConvertsMillisecondsAsTonicInTheArraysOwnDtype) {
  // Rows (x, y, p, t_ms); tonic computes t *= 1000 in the array's dtype then casts to int64:
  // float64 1.001 * 1000 = 1000.9999999999999 -> 1000, float32 1.001f * 1000 = 1001.00006 -> 1001
  // (values checked with numpy).
  const double rows[3][4] = {{1, 2, 1, 1.001}, {3, 4, 0, 0.0015}, {5, 6, 1, 123.456}};
  Bytes f8, f4;
  for (const auto& r : rows)
    for (const double v : r) {
      put<double>(f8, v);
      put<float>(f4, static_cast<float>(v));
    }
  const Events a = decode_gesture_npy(npy("<f8", "(3, 4)", f8), "a.npy");
  EXPECT_EQ(a, (Events{{1000, 1, 2, 1}, {1, 3, 4, 0}, {123456, 5, 6, 1}}));
  const Events b = decode_gesture_npy(npy("<f4", "(3, 4)", f4, false, 2), "b.npy");
  EXPECT_EQ(b, (Events{{1001, 1, 2, 1}, {1, 3, 4, 0}, {123456, 5, 6, 1}}));
  // int16, Fortran order (column after column).
  Bytes i2;
  for (const std::int16_t v : {7, 8, 9, 10, 1, 0, 5, 6}) put<std::int16_t>(i2, v);
  EXPECT_EQ(decode_gesture_npy(npy("<i2", "(2, 4)", i2, true), "c.npy"), (Events{{5000, 7, 9, 1}, {6000, 8, 10, 0}}));
  // The writer's float64 file reads back (times that are whole milliseconds survive exactly).
  const Events ms{{2000, 1, 1, 1}, {5000, 127, 127, 0}};
  EXPECT_EQ(decode_gesture_npy(encode_gesture_npy(ms), "d.npy"), ms);
}

TEST(GestureNpy, RejectsBadHeadersShapesAndCoordinates) {
  const auto error = [](const Bytes& b) {
    try {
      (void)decode_gesture_npy(b, "s.npy");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  Bytes row;
  for (const double v : {1.0, 2.0, 1.0, 3.0}) put<double>(row, v);
  EXPECT_EQ(error(npy("<f8", "(1, 3)", Bytes(24, 0))), "s.npy: byte offset 10: NPY array is not 2-D with 4 columns (x, y, p, t)");
  EXPECT_EQ(error(npy("<f8", "(4,)", Bytes(32, 0))), "s.npy: byte offset 10: NPY array is not 2-D with 4 columns (x, y, p, t)");
  const Bytes short_data = npy("<f8", "(2, 4)", row);
  const std::string data_at = std::to_string(short_data.size() - row.size());
  EXPECT_EQ(error(short_data), "s.npy: byte offset " + data_at + ": NPY data holds 32 bytes, the shape needs 64");
  EXPECT_EQ(error(npy("<U8", "(1, 4)", row)), "s.npy: byte offset 10: unsupported NPY dtype '<U8' (expected a numeric type)");
  EXPECT_EQ(error(npy("<f8", "(1, 4)", row, false, 3)), "s.npy: byte offset 6: unknown NPY version 3.0 (expected 1.0 or 2.0)");
  EXPECT_EQ(error(Bytes{1, 2, 3}), "s.npy: byte offset 0: not an NPY file (bad magic)");
  Bytes outside;
  for (const double v : {1.0, 128.0, 1.0, 3.0}) put<double>(outside, v);
  EXPECT_EQ(error(npy("<f8", "(1, 4)", outside)), "s.npy: byte offset " + data_at + ": row 0: event at x=1, y=128 is outside the 128x128 sensor");
}

void write_text(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

TEST(DvsGestureReader, ReadsTheIbmLayoutInTrialListOrder) {
  const testing::TempDir dir;
  const Events rec1{{1000, 10, 20, 1}, {1500, 11, 21, 0}, {2500, 12, 22, 1}};
  const Events rec2{{7, 0, 0, 0}, {9, 1, 1, 1}};
  write_file_bytes(dir / "user02_led.aedat", encode_aedat31(rec1));
  write_text(dir / "user02_led_labels.csv", "class,startTime_usec,endTime_usec\r\n3,1000,2000\r\n1,1500,2600\r\n");
  write_file_bytes(dir / "user01_lab.aedat", encode_aedat31(rec2));
  write_text(dir / "user01_lab_labels.csv", "class,startTime_usec,endTime_usec\r\n11,0,10\r\n");
  write_text(dir / "trials_to_train.txt", "user02_led.aedat\r\nuser01_lab.aedat\r\n\r\n");
  const auto data = open_dataset("dvsgesture", dir.path, "train");
  EXPECT_EQ(data->sensor(), (SensorSize{128, 128, 2}));
  EXPECT_EQ(data->classes().size(), 11u);
  EXPECT_EQ(data->classes()[3], "right arm clockwise");
  ASSERT_EQ(data->num_units(), 2u);
  const auto s = data->load(0);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].label, 2);
  EXPECT_EQ(s[0].events, (Events{rec1[0], rec1[1]}));
  EXPECT_EQ(s[1].label, 0);
  EXPECT_EQ(s[1].events, (Events{rec1[1], rec1[2]}));
  const auto s2 = data->load(1);
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(s2[0].label, 10);
  EXPECT_EQ(s2[0].events, rec2);
  // Missing pieces are named.
  write_text(dir / "trials_to_test.txt", "user09_led.aedat\n");
  try {
    (void)open_dataset("dvsgesture", dir.path, "test");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "trials_to_test.txt").string() + ": line 1: " + (dir / "user09_led.aedat").string() + " not found");
  }
}

TEST(DvsGestureReader, ReadsTonicsNpyLayout) {
  const testing::TempDir dir;
  std::filesystem::create_directories(dir / "ibmGestureTest/user24_led");
  const Events a{{1000, 1, 2, 1}, {3000, 4, 5, 0}};
  write_file_bytes(dir / "ibmGestureTest/user24_led/7.npy", encode_gesture_npy(a));
  write_file_bytes(dir / "ibmGestureTest/user24_led/10.npy", encode_gesture_npy(a));
  const auto data = open_dataset("dvsgesture", dir.path, "test");
  ASSERT_EQ(data->num_units(), 2u);  // ordered by file name: "10.npy" < "7.npy"
  EXPECT_EQ(data->load(0)[0].label, 10);
  EXPECT_EQ(data->load(1)[0].label, 7);
  EXPECT_EQ(data->load(1)[0].events, a);
  write_file_bytes(dir / "ibmGestureTest/user24_led/x.npy", encode_gesture_npy(a));
  EXPECT_THROW((void)open_dataset("dvsgesture", dir.path, "test"), std::runtime_error);
}

}  // namespace
}  // namespace snngx::datasets
