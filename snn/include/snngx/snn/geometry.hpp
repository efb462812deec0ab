#pragma once
// Conv / pool geometry, one definition for every fast path (issue 15 point 3): output shapes,
// receptive fields, "which outputs does input (y, x) reach" with their kernel taps, pooling
// windows, and max-pool as an OR over spike bitmaps. Used by the network's shape rule, the event
// engine (inference.cpp, event_conv.cpp), both training paths, the GA's fitness cache and the
// accelerator model's chip mapping (rram/src/chip.cpp, accelerator.cpp).
//
// The dense reference engine keeps its own index arithmetic on purpose: it is the independent
// check of everything written here.
//
// Semantics are PyTorch's Conv2d / MaxPool2d / AvgPool2d (no dilation, floor mode): along one
// axis, output o's tap k reads input  i = o * stride - pad + k,  k in [0, kernel); taps landing in
// the padding (i < 0 or i >= in) read zeros and are never listed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "snngx/snn/network.hpp"

namespace snngx::snn::geometry {

/// One spatial axis of a sliding window (a Conv2d kernel or a pooling window).
struct Axis {
  int in = 1, kernel = 1, stride = 1, pad = 0;

  /// Number of outputs: floor((in + 2 pad - kernel) / stride) + 1, or 0 when the window does not
  /// fit the padded input at all.
  [[nodiscard]] constexpr int out() const {
    const int room = in + 2 * pad - kernel;
    return room < 0 || stride <= 0 ? 0 : room / stride + 1;
  }
  /// The input coordinate that tap k of output o reads (may lie in the padding).
  [[nodiscard]] constexpr int input(int o, int k) const { return o * stride - pad + k; }
  [[nodiscard]] constexpr bool inside(int i) const { return i >= 0 && i < in; }
  /// The output whose tap k reads input i, or -1 when no output does.
  [[nodiscard]] constexpr int output(int i, int k) const {
    const int n = i + pad - k;
    if (n < 0 || n % stride != 0) return -1;
    return n / stride < out() ? n / stride : -1;
  }
};

/// Per coordinate along one axis, (kernel offset, other coordinate) pairs, kernel offset ascending.
using Taps = std::vector<std::vector<std::pair<int, int>>>;
/// For each input coordinate, the (k, output) pairs that read it: the outputs it reaches.
Taps taps_by_input(const Axis& axis);
/// For each output coordinate, the (k, input) pairs it reads inside the input: its receptive field.
Taps taps_by_output(const Axis& axis);
/// For each kernel offset k, the (output, input) pairs it joins inside the input, output ascending:
/// what a kernel-offset-major loop walks.
Taps taps_by_offset(const Axis& axis);

/// A 2-D window over [C, H, W] maps: the row axis and the column axis.
struct Window {
  Axis y, x;

  [[nodiscard]] int out_height() const { return y.out(); }
  [[nodiscard]] int out_width() const { return x.out(); }
  [[nodiscard]] std::size_t in_positions() const { return static_cast<std::size_t>(y.in) * static_cast<std::size_t>(x.in); }
  [[nodiscard]] std::size_t out_positions() const { return static_cast<std::size_t>(out_height()) * static_cast<std::size_t>(out_width()); }
  /// Taps per output (kernel height x kernel width).
  [[nodiscard]] int taps() const { return y.kernel * x.kernel; }

  /// Calls f(ky, kx, oy, ox) for every output reached by input (iy, ix), ky then kx ascending.
  template <class F>
  void outputs_reached(int iy, int ix, F&& f) const {
    for (int ky = 0; ky < y.kernel; ++ky) {
      const int oy = y.output(iy, ky);
      if (oy < 0) continue;
      for (int kx = 0; kx < x.kernel; ++kx)
        if (const int ox = x.output(ix, kx); ox >= 0) f(ky, kx, oy, ox);
    }
  }
  /// Calls f(ky, kx, iy, ix) for every tap of output (oy, ox) inside the input (the padding is
  /// skipped), ky then kx ascending.
  template <class F>
  void receptive_field(int oy, int ox, F&& f) const {
    for (int ky = 0; ky < y.kernel; ++ky) {
      const int iy = y.input(oy, ky);
      if (!y.inside(iy)) continue;
      for (int kx = 0; kx < x.kernel; ++kx)
        if (const int ix = x.input(ox, kx); x.inside(ix)) f(ky, kx, iy, ix);
    }
  }
};

/// The window of a Conv2d / pooling layer on an input of shape [C, H, W].
Window window(const Conv2d& conv, const Shape& in);
Window window(const MaxPool2d& pool, const Shape& in);
Window window(const Pool2d& pool, const Shape& in);

/// Max-pool of a channels-last spike bitmap (`words` 32-bit words per position, [H][W][words]):
/// spikes are 0 / 1, so the maximum of a window is the OR of its bits. Writes [OH][OW][words].
void max_pool_bits(const Window& window, std::size_t words, const std::uint32_t* in, std::uint32_t* out);
/// Max-pool of a channels-last float map ([H][W][channels] -> [OH][OW][channels]); windows are
/// scanned ky then kx ascending, the first tap giving the start value.
void max_pool_channels_last(const Window& window, std::size_t channels, const float* in, float* out);
/// The same on a channels-first map ([C][H][W] -> [C][OH][OW]), for callers that keep PyTorch's
/// layout (the accelerator model's spike maps between crossbar layers).
void max_pool_channels_first(const Window& window, std::size_t channels, const float* in, float* out);

}  // namespace snngx::snn::geometry
