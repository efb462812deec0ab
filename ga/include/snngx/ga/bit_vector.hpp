#pragma once
// A fixed-size packed bit vector (uint64 words, bit i of the vector is bit i%64 of word i/64).
// A GA individual is one BitVector over its search space: bit j set = sign bit j is flipped.
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

namespace snngx::ga {

class BitVector {
 public:
  BitVector() = default;
  explicit BitVector(std::size_t size, bool value = false);

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool test(std::size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1U; }
  void set(std::size_t i) { words_[i >> 6] |= std::uint64_t{1} << (i & 63); }
  void reset(std::size_t i) { words_[i >> 6] &= ~(std::uint64_t{1} << (i & 63)); }
  void flip(std::size_t i) { words_[i >> 6] ^= std::uint64_t{1} << (i & 63); }
  /// Number of set bits (kept up to date only by count(); O(words)).
  [[nodiscard]] std::size_t count() const;
  /// Set positions, ascending.
  [[nodiscard]] std::vector<std::uint64_t> positions() const;
  /// Bits outside [0, size) in the last word are always zero.
  [[nodiscard]] std::span<const std::uint64_t> words() const { return words_; }
  [[nodiscard]] std::span<std::uint64_t> words() { return words_; }
  /// Clears the unused bits of the last word (call after writing words() directly).
  void trim();
  bool operator==(const BitVector&) const = default;

  /// Calls f(i) for every set bit i in [first, last), ascending.
  template <class F>
  void for_each_set(std::size_t first, std::size_t last, F&& f) const {
    if (first >= last) return;
    std::size_t w = first >> 6;
    const std::size_t wl = (last - 1) >> 6;
    for (; w <= wl; ++w) {
      std::uint64_t bits = words_[w];
      if (w == (first >> 6)) bits &= ~std::uint64_t{0} << (first & 63);
      if (w == wl && (last & 63)) bits &= (std::uint64_t{1} << (last & 63)) - 1;
      while (bits) {
        f((w << 6) + static_cast<std::size_t>(std::countr_zero(bits)));
        bits &= bits - 1;
      }
    }
  }
  /// Calls f(i) for every clear bit i in [first, last), ascending.
  template <class F>
  void for_each_clear(std::size_t first, std::size_t last, F&& f) const {
    if (first >= last) return;
    std::size_t w = first >> 6;
    const std::size_t wl = (last - 1) >> 6;
    for (; w <= wl; ++w) {
      std::uint64_t bits = ~words_[w];
      if (w == (first >> 6)) bits &= ~std::uint64_t{0} << (first & 63);
      if (w == wl && (last & 63)) bits &= (std::uint64_t{1} << (last & 63)) - 1;
      while (bits) {
        f((w << 6) + static_cast<std::size_t>(std::countr_zero(bits)));
        bits &= bits - 1;
      }
    }
  }
  /// Number of set bits in [first, last).
  [[nodiscard]] std::size_t count(std::size_t first, std::size_t last) const;

 private:
  std::size_t size_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace snngx::ga
