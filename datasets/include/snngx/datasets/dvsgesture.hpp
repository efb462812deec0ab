#pragma once
// DVS128 Gesture (Amir et al. 2017) in its two released forms (spec: datasets.md):
//  1. IBM's original release: userNN_<lighting>.aedat (AEDAT 3.1) + userNN_<lighting>_labels.csv
//     + trials_to_train.txt / trials_to_test.txt; each recording is cut into one sample per CSV
//     row, the events with start <= t < end, as SpikingJelly and tonic do;
//  2. tonic's preprocessed release: ibmGestureTrain|ibmGestureTest/userNN_<lighting>/<label>.npy,
//     columns x, y, p, t with t in milliseconds.
// Decoders validate everything and throw one line naming the file, the byte offset or line, and
// the problem.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "snngx/datasets/events.hpp"

namespace snngx::datasets {

inline constexpr SensorSize dvsgesture_sensor{128, 128, 2};

/// The 11 class names, in label order (label = CSV class - 1).
const std::vector<std::string>& gesture_classes();

/// Decodes an AEDAT 3.1 file's bytes: the polarity events (eventType 1) whose valid bit is set,
/// in file order, with t = (eventTSOverflow << 31) | timestamp. Other packet types are skipped.
/// Throws on a bad or unterminated header, another AEDAT version, a truncated or overrunning
/// packet, an eventSize inconsistent with the eventType, a negative timestamp, or an event outside
/// `sensor`.
Events decode_aedat31(std::span<const std::uint8_t> bytes, const std::string& where,
                      SensorSize sensor = dvsgesture_sensor);
/// Encodes polarity events (t >= 0) as an AEDAT 3.1 file from a DVS128 camera: header lines,
/// one special-event packet (a timestamp reset, as the camera writes), then polarity packets of at
/// most `events_per_packet` events, a new packet whenever the timestamp's high bits change.
std::vector<std::uint8_t> encode_aedat31(std::span<const Event> events, std::size_t events_per_packet = 4096);

/// One row of a *_labels.csv file.
struct GestureLabel {
  std::int32_t label = 0;  // class - 1
  std::int64_t start_us = 0, end_us = 0;
  bool operator==(const GestureLabel&) const = default;
};
/// Parses a labels CSV (header `class,startTime_usec,endTime_usec`; rows of three integers,
/// class 1..11, start < end). Errors name `where` and the line.
std::vector<GestureLabel> parse_gesture_labels(const std::string& text, const std::string& where);
std::string format_gesture_labels(std::span<const GestureLabel> labels);

/// Cuts one recording into labelled samples (in label order): the events with
/// start <= t < end, times kept absolute. A window that does not overlap the recording
/// ([first t, last t]) is an error naming `labels_where` and its line.
std::vector<Sample> cut_gesture_samples(const Events& recording, std::span<const GestureLabel> labels,
                                        const std::string& recording_name, const std::string& labels_where);

/// A trial list: the non-empty lines (file names), CR LF or LF.
std::vector<std::string> parse_trial_list(const std::string& text);

/// Decodes a tonic preprocessed sample (.npy, format 1.0 or 2.0, a 2-D array of N x 4 of any
/// numeric dtype, C or Fortran order) as tonic does: t *= 1000 in the array's dtype, then x, y
/// cast to int16, p to bool and t to int64 (numpy casts, truncating floats).
Events decode_gesture_npy(std::span<const std::uint8_t> bytes, const std::string& where,
                          SensorSize sensor = dvsgesture_sensor);
/// Writes a float64 N x 4 .npy (x, y, p, t in ms = t_us / 1000), as the tests and tools need.
std::vector<std::uint8_t> encode_gesture_npy(std::span<const Event> events);

}  // namespace snngx::datasets
