// DVS128 Gesture decoders: AEDAT 3.1 recordings, their label CSVs and trial lists, and tonic's
// preprocessed .npy samples.
#include "snngx/datasets/dvsgesture.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace snngx::datasets {

const std::vector<std::string>& gesture_classes() {
  static const std::vector<std::string> names{
      "hand clapping",         "right hand wave",             "left hand wave",
      "right arm clockwise",   "right arm counter-clockwise", "left arm clockwise",
      "left arm counter-clockwise", "arm roll",               "air drums",
      "air guitar",            "other gestures"};
  return names;
}

namespace {

[[noreturn]] void fail_at(const std::string& where, std::size_t offset, const std::string& what) {
  throw std::runtime_error(where + ": byte offset " + std::to_string(offset) + ": " + what);
}

template <typename T>
T load_le(const std::uint8_t* p) {
  static_assert(std::endian::native == std::endian::little, "AEDAT/NPY decoding assumes a little-endian host");
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void store_le(std::vector<std::uint8_t>& out, T v) {
  const auto bits = std::bit_cast<std::conditional_t<sizeof(T) == 8, std::uint64_t,
                                                     std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint16_t>>>(v);
  for (std::size_t k = 0; k < sizeof v; ++k) out.push_back(static_cast<std::uint8_t>(bits >> (8 * k)));
}

constexpr std::int16_t polarity_event_type = 1;
constexpr std::int32_t polarity_event_size = 8;
constexpr std::size_t packet_header_size = 28;

// One line without its terminator (LF or CR LF), starting at `pos`; `next` is past the LF.
std::string_view line_at(std::span<const std::uint8_t> bytes, std::size_t pos, std::size_t& next, bool& terminated) {
  const auto* begin = reinterpret_cast<const char*>(bytes.data()) + pos;
  const std::size_t n = bytes.size() - pos;
  const void* lf = std::memchr(begin, '\n', n);
  std::size_t len = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - begin) : n;
  terminated = lf != nullptr;
  next = pos + len + (terminated ? 1 : 0);
  if (len > 0 && begin[len - 1] == '\r') --len;
  return {begin, len};
}

// Parses the text header; returns the offset of the first packet.
std::size_t parse_aedat_header(std::span<const std::uint8_t> bytes, const std::string& where) {
  std::size_t pos = 0, next = 0;
  bool terminated = false;
  const std::string_view first = line_at(bytes, 0, next, terminated);
  if (!first.starts_with("#!AER-DAT")) fail_at(where, 0, "not an AEDAT file (the first line must be '#!AER-DAT3.1')");
  if (first != "#!AER-DAT3.1")
    fail_at(where, 0, "unknown AEDAT version '" + std::string(first.substr(9, 16)) + "' (only 3.1 is supported)");
  for (pos = next; pos < bytes.size(); pos = next) {
    const std::string_view line = line_at(bytes, pos, next, terminated);
    if (line.empty() || line[0] != '#')
      fail_at(where, pos, "header line does not start with '#' before '#!END-HEADER'");
    if (line == "#!END-HEADER") {
      if (!terminated) fail_at(where, pos, "'#!END-HEADER' is not terminated by a line end");
      return next;
    }
  }
  fail_at(where, bytes.size(), "header without '#!END-HEADER'");
}

}  // namespace

Events decode_aedat31(std::span<const std::uint8_t> bytes, const std::string& where, SensorSize sensor) {
  std::size_t pos = parse_aedat_header(bytes, where);
  Events events;
  events.reserve((bytes.size() - pos) / polarity_event_size);  // at most one event per 8 bytes
  while (pos < bytes.size()) {
    if (bytes.size() - pos < packet_header_size)
      fail_at(where, pos, "truncated packet header (" + std::to_string(bytes.size() - pos) + " of 28 bytes)");
    const std::uint8_t* h = bytes.data() + pos;
    const auto type = load_le<std::int16_t>(h);
    const auto size = load_le<std::int32_t>(h + 4);
    const auto ts_overflow = load_le<std::int32_t>(h + 12);
    const auto number = load_le<std::int32_t>(h + 20);
    if (size <= 0) fail_at(where, pos, "packet eventSize " + std::to_string(size) + " is not positive");
    if (number < 0) fail_at(where, pos, "packet eventNumber " + std::to_string(number) + " is negative");
    if (ts_overflow < 0) fail_at(where, pos, "packet eventTSOverflow " + std::to_string(ts_overflow) + " is negative");
    if (type == polarity_event_type && size != polarity_event_size)
      fail_at(where, pos, "eventSize " + std::to_string(size) + " is inconsistent with eventType 1 (polarity events are 8 bytes)");
    const std::uint64_t payload = static_cast<std::uint64_t>(number) * static_cast<std::uint64_t>(size);
    const std::size_t data = pos + packet_header_size;
    if (payload > bytes.size() - data)
      fail_at(where, pos, "packet of " + std::to_string(number) + " x " + std::to_string(size) + " bytes overruns the file (" +
                              std::to_string(bytes.size() - data) + " bytes left)");
    if (type == polarity_event_type) {
      const std::int64_t high = static_cast<std::int64_t>(ts_overflow) << 31;
      for (std::int32_t i = 0; i < number; ++i) {
        const std::size_t at = data + static_cast<std::size_t>(i) * polarity_event_size;
        const auto word = load_le<std::uint32_t>(bytes.data() + at);
        const auto ts = load_le<std::int32_t>(bytes.data() + at + 4);
        if ((word & 1u) == 0) continue;  // invalid event
        if (ts < 0) fail_at(where, at, "negative event timestamp " + std::to_string(ts));
        const std::uint32_t x = (word >> 17) & 0x7FFF, y = (word >> 2) & 0x7FFF;
        const std::uint32_t p = (word >> 1) & 1;
        if (x >= static_cast<std::uint32_t>(sensor.w) || y >= static_cast<std::uint32_t>(sensor.h))
          fail_at(where, at, "event at x=" + std::to_string(x) + ", y=" + std::to_string(y) + " is outside the " +
                                 std::to_string(sensor.w) + "x" + std::to_string(sensor.h) + " sensor");
        events.push_back({high | ts, static_cast<std::uint16_t>(x), static_cast<std::uint16_t>(y),
                          static_cast<std::uint8_t>(p)});
      }
    }
    pos = data + static_cast<std::size_t>(payload);
  }
  return events;
}

std::vector<std::uint8_t> encode_aedat31(std::span<const Event> events, std::size_t events_per_packet) {
  if (events_per_packet == 0) throw std::invalid_argument("encode_aedat31: events_per_packet must be positive");
  const std::string header =
      "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2026-11-23 00:00:00 (TZ+0000)\r\n"
      "#!END-HEADER\r\n";
  std::vector<std::uint8_t> out(header.begin(), header.end());
  out.reserve(out.size() + 64 + events.size() * 8 + (events.size() / events_per_packet + 2) * packet_header_size);
  const auto packet_header = [&](std::int16_t type, std::int32_t overflow, std::int32_t n) {
    store_le<std::int16_t>(out, type);
    store_le<std::int16_t>(out, 1);  // eventSource: the camera's id
    store_le<std::int32_t>(out, 8);  // eventSize
    store_le<std::int32_t>(out, 4);  // eventTSOffset: the timestamp follows the 4-byte data word
    store_le<std::int32_t>(out, overflow);
    store_le<std::int32_t>(out, n);  // eventCapacity (= eventNumber in files)
    store_le<std::int32_t>(out, n);  // eventNumber
    store_le<std::int32_t>(out, n);  // eventValid
  };
  // Special event "timestamp reset" (type 1 << 1 | valid), as DVS128 recordings begin.
  packet_header(0, 0, 1);
  store_le<std::uint32_t>(out, (1u << 1) | 1u);
  store_le<std::int32_t>(out, 0);
  for (std::size_t first = 0; first < events.size();) {
    if (events[first].t < 0) throw std::invalid_argument("encode_aedat31: negative timestamp");
    const std::int64_t overflow = events[first].t >> 31;
    std::size_t last = first;
    while (last < events.size() && last - first < events_per_packet && events[last].t >> 31 == overflow) ++last;
    packet_header(polarity_event_type, static_cast<std::int32_t>(overflow), static_cast<std::int32_t>(last - first));
    for (std::size_t i = first; i < last; ++i) {
      const Event& e = events[i];
      if (e.x > 0x7FFF || e.y > 0x7FFF || e.p > 1) throw std::invalid_argument("encode_aedat31: event field out of range");
      store_le<std::uint32_t>(out, (std::uint32_t{e.x} << 17) | (std::uint32_t{e.y} << 2) | (std::uint32_t{e.p} << 1) | 1u);
      store_le<std::int32_t>(out, static_cast<std::int32_t>(e.t & 0x7FFFFFFF));
    }
    first = last;
  }
  return out;
}

namespace {

bool parse_int(std::string_view s, std::int64_t& value) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

// Lines of a text file without their terminators (LF or CR LF).
std::vector<std::string_view> split_lines(const std::string& text) {
  std::vector<std::string_view> lines;
  std::string_view rest(text);
  while (!rest.empty()) {
    const std::size_t lf = rest.find('\n');
    std::string_view line = rest.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (lf == std::string_view::npos) break;
    rest.remove_prefix(lf + 1);
  }
  return lines;
}

}  // namespace

std::vector<GestureLabel> parse_gesture_labels(const std::string& text, const std::string& where) {
  const auto lines = split_lines(text);
  if (lines.empty() || lines[0] != "class,startTime_usec,endTime_usec")
    throw std::runtime_error(where + ": line 1: expected the header 'class,startTime_usec,endTime_usec'");
  std::vector<GestureLabel> labels;
  const int classes = static_cast<int>(gesture_classes().size());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string at = where + ": line " + std::to_string(i + 1) + ": ";
    std::int64_t v[3];
    std::size_t field = 0, begin = 0;
    bool ok = true;
    for (; field < 3 && ok; ++field) {
      const std::size_t comma = line.find(',', begin);
      const bool last = field == 2;
      if (last != (comma == std::string_view::npos)) {
        ok = false;
        break;
      }
      ok = parse_int(line.substr(begin, last ? std::string_view::npos : comma - begin), v[field]);
      begin = comma + 1;
    }
    if (!ok) throw std::runtime_error(at + "expected three integers 'class,startTime_usec,endTime_usec', got '" +
                                      std::string(line.substr(0, 80)) + "'");
    if (v[0] < 1 || v[0] > classes)
      throw std::runtime_error(at + "class " + std::to_string(v[0]) + " outside 1.." + std::to_string(classes));
    if (v[1] < 0 || v[2] <= v[1])
      throw std::runtime_error(at + "label window [" + std::to_string(v[1]) + ", " + std::to_string(v[2]) +
                               ") is empty or negative");
    labels.push_back({static_cast<std::int32_t>(v[0] - 1), v[1], v[2]});
  }
  return labels;
}

std::string format_gesture_labels(std::span<const GestureLabel> labels) {
  std::string s = "class,startTime_usec,endTime_usec\r\n";
  for (const auto& l : labels)
    s += std::to_string(l.label + 1) + "," + std::to_string(l.start_us) + "," + std::to_string(l.end_us) + "\r\n";
  return s;
}

std::vector<Sample> cut_gesture_samples(const Events& recording, std::span<const GestureLabel> labels,
                                        const std::string& recording_name, const std::string& labels_where) {
  std::int64_t first = 0, last = -1;
  if (!recording.empty()) {
    const auto [lo, hi] = std::minmax_element(recording.begin(), recording.end(),
                                              [](const Event& a, const Event& b) { return a.t < b.t; });
    first = lo->t;
    last = hi->t;
  }
  std::vector<Sample> samples;
  samples.reserve(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const GestureLabel& l = labels[i];
    if (l.end_us <= first || l.start_us > last)
      throw std::runtime_error(labels_where + ": label row " + std::to_string(i + 1) + " [" + std::to_string(l.start_us) +
                               ", " + std::to_string(l.end_us) + ") is outside the recording " + recording_name + " [" +
                               std::to_string(first) + ", " + std::to_string(last) + "]");
    Sample s;
    s.label = l.label;
    s.id = recording_name + "#" + std::to_string(i + 1);
    // As SpikingJelly: the mask start <= t < end over the whole recording, file order kept.
    for (const Event& e : recording)
      if (e.t >= l.start_us && e.t < l.end_us) s.events.push_back(e);
    samples.push_back(std::move(s));
  }
  return samples;
}

std::vector<std::string> parse_trial_list(const std::string& text) {
  std::vector<std::string> names;
  for (std::string_view line : split_lines(text)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty()) names.emplace_back(line);
  }
  return names;
}

// ---- NPY ------------------------------------------------------------------------------------

namespace {

struct NpyHeader {
  char kind = 0;        // 'f', 'i', 'u', 'b'
  int item = 0;         // bytes per value
  bool swap = false;    // big-endian data
  bool fortran = false;
  std::size_t rows = 0, cols = 0;
  std::size_t data = 0;  // offset of the data
};

// Value of `key` in the header dict: the text after "'key':" up to the matching end.
std::string_view dict_value(std::string_view dict, std::string_view key) {
  const std::string quoted = "'" + std::string(key) + "'";
  std::size_t at = dict.find(quoted);
  if (at == std::string_view::npos) return {};
  at = dict.find(':', at + quoted.size());
  if (at == std::string_view::npos) return {};
  std::string_view v = dict.substr(at + 1);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}

NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, const std::string& where) {
  static constexpr std::uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, 6) != 0) fail_at(where, 0, "not an NPY file (bad magic)");
  const int major = bytes[6];
  std::size_t len = 0, start = 0;
  if (major == 1) {
    len = load_le<std::uint16_t>(bytes.data() + 8);
    start = 10;
  } else if (major == 2) {
    if (bytes.size() < 12) fail_at(where, 8, "truncated NPY header");
    len = load_le<std::uint32_t>(bytes.data() + 8);
    start = 12;
  } else {
    fail_at(where, 6, "unknown NPY version " + std::to_string(major) + "." + std::to_string(bytes[7]) + " (expected 1.0 or 2.0)");
  }
  if (len > bytes.size() - start) fail_at(where, 8, "NPY header length " + std::to_string(len) + " overruns the file");
  const std::string_view dict(reinterpret_cast<const char*>(bytes.data()) + start, len);
  NpyHeader h;
  h.data = start + len;
  // descr: '<f8', '|u1', ...
  std::string_view descr = dict_value(dict, "descr");
  if (descr.size() < 5 || descr[0] != '\'') fail_at(where, start, "NPY header has no 'descr'");
  descr = descr.substr(1, descr.find('\'', 1) == std::string_view::npos ? 0 : descr.find('\'', 1) - 1);
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '>' && descr[0] != '|' && descr[0] != '='))
    fail_at(where, start, "unsupported NPY dtype '" + std::string(descr) + "'");
  h.swap = descr[0] == '>';
  h.kind = descr[1];
  std::int64_t item = 0;
  if (!parse_int(descr.substr(2), item)) fail_at(where, start, "unsupported NPY dtype '" + std::string(descr) + "'");
  h.item = static_cast<int>(item);
  const bool ok = (h.kind == 'f' && (h.item == 4 || h.item == 8)) ||
                  ((h.kind == 'i' || h.kind == 'u') && (h.item == 1 || h.item == 2 || h.item == 4 || h.item == 8)) ||
                  (h.kind == 'b' && h.item == 1);
  if (!ok) fail_at(where, start, "unsupported NPY dtype '" + std::string(descr) + "' (expected a numeric type)");
  const std::string_view fortran = dict_value(dict, "fortran_order");
  if (fortran.starts_with("True")) h.fortran = true;
  else if (!fortran.starts_with("False")) fail_at(where, start, "NPY header has no valid 'fortran_order'");
  std::string_view shape = dict_value(dict, "shape");
  if (shape.empty() || shape[0] != '(') fail_at(where, start, "NPY header has no 'shape'");
  shape = shape.substr(1, shape.find(')') == std::string_view::npos ? 0 : shape.find(')') - 1);
  std::vector<std::int64_t> dims;
  while (!shape.empty()) {
    const std::size_t comma = shape.find(',');
    const std::string_view part = shape.substr(0, comma);
    if (part.find_first_not_of(" ") != std::string_view::npos) {
      std::int64_t d = 0;
      if (!parse_int(part, d) || d < 0) fail_at(where, start, "NPY header has a bad 'shape'");
      dims.push_back(d);
    }
    if (comma == std::string_view::npos) break;
    shape.remove_prefix(comma + 1);
  }
  if (dims.size() != 2 || dims[1] != 4)
    fail_at(where, start, "NPY array is not 2-D with 4 columns (x, y, p, t)");
  h.rows = static_cast<std::size_t>(dims[0]);
  h.cols = 4;
  const std::size_t need = h.rows * h.cols * static_cast<std::size_t>(h.item);
  if (h.rows > bytes.size() || need != bytes.size() - h.data)
    fail_at(where, h.data, "NPY data holds " + std::to_string(bytes.size() - h.data) + " bytes, the shape needs " +
                               std::to_string(need));
  return h;
}

// One element as the array's own type, widened: integers exactly, floats as double (float32
// values are exact in double).
struct NpyValue {
  bool is_float = false;
  double f = 0;
  std::int64_t i = 0;  // (uint64 above 2^63 wraps; such coordinates are rejected anyway)
};

NpyValue npy_value(const NpyHeader& h, const std::uint8_t* p) {
  std::uint8_t b[8] = {};
  const std::size_t n = std::min<std::size_t>(8, static_cast<std::size_t>(h.item));
  for (std::size_t k = 0; k < n; ++k) b[k] = h.swap ? p[n - 1 - k] : p[k];
  NpyValue v;
  switch (h.kind) {
    case 'f':
      v.is_float = true;
      if (h.item == 4) {
        float f;
        std::memcpy(&f, b, 4);
        v.f = f;
      } else {
        std::memcpy(&v.f, b, 8);
      }
      return v;
    case 'b': v.i = b[0] != 0; return v;
    case 'u': {
      std::uint64_t u = 0;
      std::memcpy(&u, b, static_cast<std::size_t>(h.item));
      v.i = static_cast<std::int64_t>(u);
      return v;
    }
    default: {
      std::int64_t s = 0;
      std::memcpy(&s, b, static_cast<std::size_t>(h.item));
      const int shift = 64 - 8 * h.item;  // sign-extend
      v.i = shift ? static_cast<std::int64_t>(static_cast<std::uint64_t>(s) << shift) >> shift : s;
      return v;
    }
  }
}

}  // namespace

Events decode_gesture_npy(std::span<const std::uint8_t> bytes, const std::string& where, SensorSize sensor) {
  const NpyHeader h = parse_npy_header(bytes, where);
  Events events(h.rows);
  const auto element = [&](std::size_t row, std::size_t col) {
    const std::size_t index = h.fortran ? col * h.rows + row : row * h.cols + col;
    return npy_value(h, bytes.data() + h.data + index * static_cast<std::size_t>(h.item));
  };
  for (std::size_t r = 0; r < h.rows; ++r) {
    const std::size_t offset = h.data + r * h.cols * static_cast<std::size_t>(h.item);
    const auto bad = [&](const std::string& what) { fail_at(where, offset, "row " + std::to_string(r) + ": " + what); };
    // numpy's float -> int casts truncate toward zero; values that do not fit are rejected.
    const auto coordinate = [&](const NpyValue& v, const char* name) -> std::int64_t {
      if (v.is_float) {
        if (!(std::fabs(v.f) < 1e9)) bad(std::string(name) + " is not a finite coordinate");
        return static_cast<std::int64_t>(v.f);
      }
      return v.i;
    };
    const std::int64_t x = coordinate(element(r, 0), "x"), y = coordinate(element(r, 1), "y");
    const NpyValue p = element(r, 2), t = element(r, 3);
    if (x < 0 || y < 0 || x >= sensor.w || y >= sensor.h)
      bad("event at x=" + std::to_string(x) + ", y=" + std::to_string(y) + " is outside the " + std::to_string(sensor.w) +
          "x" + std::to_string(sensor.h) + " sensor");
    std::int64_t t_us = 0;
    if (t.is_float) {
      // tonic: events[:, 3] *= 1000 in the array's dtype, then cast to int64.
      const double scaled = h.item == 4 ? static_cast<double>(static_cast<float>(t.f) * 1000.0f) : t.f * 1000.0;
      if (!(std::fabs(scaled) < 9e18)) bad("t is not a finite time");
      t_us = static_cast<std::int64_t>(scaled);
    } else {
      t_us = t.i * 1000;
    }
    const bool on = p.is_float ? p.f != 0.0 : p.i != 0;
    events[r] = {t_us, static_cast<std::uint16_t>(x), static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(on)};
  }
  return events;
}

std::vector<std::uint8_t> encode_gesture_npy(std::span<const Event> events) {
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(events.size()) + ", 4), }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes, newline-terminated.
  const std::size_t total = (10 + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::vector<std::uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  store_le<std::uint16_t>(out, static_cast<std::uint16_t>(dict.size()));
  out.insert(out.end(), dict.begin(), dict.end());
  for (const Event& e : events) {
    store_le<double>(out, e.x);
    store_le<double>(out, e.y);
    store_le<double>(out, e.p);
    store_le<double>(out, static_cast<double>(e.t) / 1000.0);
  }
  return out;
}

}  // namespace snngx::datasets
