#pragma once
// Spiking Heidelberg Digits (Cramer et al. 2020), read as tonic reads it (spec: datasets.md):
// shd_train.h5 / shd_test.h5 with /spikes/times (variable-length float arrays, seconds),
// /spikes/units (variable-length integer arrays, channel 0..699), /labels (0..19) and
// optionally /extra/keys (class names). An event is (t, x = channel, y = 0, p = 0); frames are
// [T][1][1][700] (tonic's [T, 1, 700] with H = 1).
#include <cstdint>
#include <span>
#include <string>

#include "snngx/datasets/events.hpp"

namespace snngx::datasets {

inline constexpr SensorSize shd_sensor{700, 1, 1};
inline constexpr int shd_classes = 20;

/// Microseconds from the stored seconds as tonic computes them (times * 1e6, then a cast to
/// int that truncates toward zero): in float32 arithmetic for float16/float32 files (numpy 1.x
/// promotes a half or single array times the scalar 1e6 to float32), in float64 for float64 files.
std::int64_t shd_time_us(double seconds, bool single_precision);

/// One sample's events from its stored arrays (what the reader does after HDF5 has read them):
/// throws "<where>: ..." on arrays of different lengths, a channel outside 0..699 or a negative or
/// non-finite time. Times are kept in file order (framing refuses decreasing ones).
Events shd_events(std::span<const double> seconds, std::span<const std::int64_t> channels, bool single_precision,
                  const std::string& where);

/// IEEE binary16 bits of `value`, rounded to nearest even (numpy's float64 -> float16). Writers of
/// SHD-format files use it instead of HDF5's own double -> half conversion, which in HDF5 1.10
/// drops the carry when rounding up to a power of two (0.015622 becomes 0.0078125).
std::uint16_t to_half(double value);
/// The value of binary16 bits.
double from_half(std::uint16_t bits);

}  // namespace snngx::datasets
