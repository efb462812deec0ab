#include "snngx/io/npy.hpp"

#include <stdexcept>

namespace snngx::io {

std::vector<std::uint8_t> npy_header(const std::string& descr, std::span<const std::uint64_t> shape) {
  std::string dims;  // Python tuple syntax, as numpy writes it: (), (5,), (5, 10)
  for (std::size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dims += ",";
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims;
  dict += "), }";
  constexpr std::size_t prefix = 10;  // magic (6) + version (2) + header length (2)
  const std::size_t unpadded = prefix + dict.size() + 1;  // + '\n'
  const std::size_t total = (unpadded + 63) / 64 * 64;
  dict.append(total - unpadded, ' ');
  dict += '\n';
  if (dict.size() > 65535) throw std::invalid_argument("npy header too long");
  std::vector<std::uint8_t> out{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.push_back(static_cast<std::uint8_t>(dict.size() & 0xFF));
  out.push_back(static_cast<std::uint8_t>(dict.size() >> 8));
  out.insert(out.end(), dict.begin(), dict.end());
  return out;
}

std::vector<std::uint8_t> npy_file(const std::string& descr, std::size_t item_bytes, std::span<const std::uint64_t> shape,
                                   std::span<const std::uint8_t> data) {
  std::uint64_t count = 1;
  for (const auto d : shape) count *= d;
  if (count * item_bytes != data.size())
    throw std::invalid_argument("npy: " + std::to_string(data.size()) + " data bytes for " + std::to_string(count) + " elements of " +
                                std::to_string(item_bytes) + " bytes");
  std::vector<std::uint8_t> out = npy_header(descr, shape);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

}  // namespace snngx::io
