#include "snngx/ga/bit_vector.hpp"

namespace snngx::ga {

BitVector::BitVector(std::size_t size, bool value) : size_(size), words_((size + 63) / 64, value ? ~std::uint64_t{0} : 0) {
  trim();
}

void BitVector::trim() {
  if (size_ & 63) words_.back() &= (std::uint64_t{1} << (size_ & 63)) - 1;
}

std::size_t BitVector::count() const {
  std::size_t n = 0;
  for (const auto w : words_) n += static_cast<std::size_t>(std::popcount(w));
  return n;
}

std::size_t BitVector::count(std::size_t first, std::size_t last) const {
  std::size_t n = 0;
  for_each_set(first, last, [&](std::size_t) { ++n; });
  return n;
}

std::vector<std::uint64_t> BitVector::positions() const {
  std::vector<std::uint64_t> p;
  p.reserve(count());
  for_each_set(0, size_, [&](std::size_t i) { p.push_back(i); });
  return p;
}

}  // namespace snngx::ga
