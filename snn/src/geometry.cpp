#include "snngx/snn/geometry.hpp"

#include <algorithm>

namespace snngx::snn::geometry {

Taps taps_by_input(const Axis& axis) {
  Taps taps(static_cast<std::size_t>(std::max(axis.in, 0)));
  for (int i = 0; i < axis.in; ++i)
    for (int k = 0; k < axis.kernel; ++k)
      if (const int o = axis.output(i, k); o >= 0) taps[static_cast<std::size_t>(i)].emplace_back(k, o);
  return taps;
}

Taps taps_by_output(const Axis& axis) {
  Taps taps(static_cast<std::size_t>(axis.out()));
  for (int o = 0; o < axis.out(); ++o)
    for (int k = 0; k < axis.kernel; ++k)
      if (const int i = axis.input(o, k); axis.inside(i)) taps[static_cast<std::size_t>(o)].emplace_back(k, i);
  return taps;
}

Taps taps_by_offset(const Axis& axis) {
  Taps taps(static_cast<std::size_t>(std::max(axis.kernel, 0)));
  for (int k = 0; k < axis.kernel; ++k)
    for (int o = 0; o < axis.out(); ++o)
      if (const int i = axis.input(o, k); axis.inside(i)) taps[static_cast<std::size_t>(k)].emplace_back(o, i);
  return taps;
}

namespace {
Window make(const Shape& in, std::array<int, 2> kernel, std::array<int, 2> stride, std::array<int, 2> pad) {
  const int h = in.size() == 3 ? in[1] : 1, w = in.size() == 3 ? in[2] : 1;
  return {Axis{h, kernel[0], stride[0], pad[0]}, Axis{w, kernel[1], stride[1], pad[1]}};
}

// The common 2 x 2, stride 2, unpadded window: every output ORs four whole inputs.
void max_pool_bits_2x2(const Window& window, std::size_t words, const std::uint32_t* in, std::uint32_t* out) {
  const int OH = window.out_height(), OW = window.out_width();
  const auto row = static_cast<std::size_t>(window.x.in) * words;
  for (int oy = 0; oy < OH; ++oy) {
    const std::uint32_t* top = in + static_cast<std::size_t>(2 * oy) * row;
    const std::uint32_t* bottom = top + row;
    std::uint32_t* o = out + static_cast<std::size_t>(oy) * OW * words;
    for (int ox = 0; ox < OW; ++ox) {
      const std::size_t left = static_cast<std::size_t>(2 * ox) * words, right = left + words;
      std::uint32_t* to = o + static_cast<std::size_t>(ox) * words;
      for (std::size_t w = 0; w < words; ++w) to[w] = top[left + w] | top[right + w] | bottom[left + w] | bottom[right + w];
    }
  }
}

}  // namespace

Window window(const Conv2d& conv, const Shape& in) { return make(in, conv.kernel, conv.stride, conv.padding); }
Window window(const MaxPool2d& pool, const Shape& in) { return make(in, pool.kernel, pool.stride, {0, 0}); }
Window window(const Pool2d& pool, const Shape& in) { return make(in, pool.kernel, pool.stride, pool.padding); }

void max_pool_bits(const Window& window, std::size_t words, const std::uint32_t* in, std::uint32_t* out) {
  const auto plain_2x2 = [](const Axis& a) { return a.kernel == 2 && a.stride == 2 && a.pad == 0; };
  if (plain_2x2(window.y) && plain_2x2(window.x)) return max_pool_bits_2x2(window, words, in, out);
  const int OH = window.out_height(), OW = window.out_width(), W = window.x.in;
  for (int oy = 0; oy < OH; ++oy)
    for (int ox = 0; ox < OW; ++ox) {
      std::uint32_t* o = out + (static_cast<std::size_t>(oy) * OW + ox) * words;
      std::fill(o, o + words, 0U);
      window.receptive_field(oy, ox, [&](int, int, int iy, int ix) {
        const std::uint32_t* i = in + (static_cast<std::size_t>(iy) * W + ix) * words;
        for (std::size_t w = 0; w < words; ++w) o[w] |= i[w];
      });
    }
}

void max_pool_channels_last(const Window& window, std::size_t channels, const float* in, float* out) {
  const int OH = window.out_height(), OW = window.out_width(), W = window.x.in;
  for (int oy = 0; oy < OH; ++oy)
    for (int ox = 0; ox < OW; ++ox) {
      float* o = out + (static_cast<std::size_t>(oy) * OW + ox) * channels;
      bool first = true;
      window.receptive_field(oy, ox, [&](int, int, int iy, int ix) {
        const float* i = in + (static_cast<std::size_t>(iy) * W + ix) * channels;
        if (first) std::copy(i, i + channels, o);
        else
          for (std::size_t c = 0; c < channels; ++c) o[c] = std::max(o[c], i[c]);
        first = false;
      });
    }
}

void max_pool_channels_first(const Window& window, std::size_t channels, const float* in, float* out) {
  const int OH = window.out_height(), OW = window.out_width(), W = window.x.in;
  const std::size_t in_plane = window.in_positions(), out_plane = window.out_positions();
  for (std::size_t c = 0; c < channels; ++c)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        float& o = out[c * out_plane + static_cast<std::size_t>(oy) * OW + ox];
        bool first = true;
        window.receptive_field(oy, ox, [&](int, int, int iy, int ix) {
          const float v = in[c * in_plane + static_cast<std::size_t>(iy) * W + ix];
          o = first ? v : std::max(o, v);
          first = false;
        });
      }
}

}  // namespace snngx::snn::geometry
