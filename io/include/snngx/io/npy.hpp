#pragma once
// NumPy .npy files, format version 1.0 (numpy.lib.format): the magic "\x93NUMPY", version 1.0, a
// little-endian uint16 header length, and a Python dict literal {'descr', 'fortran_order',
// 'shape'} padded with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes;
// then the array in C order.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace snngx::io {

/// The header of a C-order array: `descr` is NumPy's type string ("<i4", "<u8", "<f4", "|u1").
std::vector<std::uint8_t> npy_header(const std::string& descr, std::span<const std::uint64_t> shape);

/// Header plus data; throws std::invalid_argument when data.size() is not the shape's byte count
/// for `item_bytes` per element.
std::vector<std::uint8_t> npy_file(const std::string& descr, std::size_t item_bytes, std::span<const std::uint64_t> shape,
                                   std::span<const std::uint8_t> data);

}  // namespace snngx::io
