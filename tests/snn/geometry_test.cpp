// Conv / pool geometry (snngx/snn/geometry.hpp): hand-worked values for stride, padding, odd sizes
// and pooling windows, and the two directions ("outputs reached by an input", "receptive field of
// an output") checked against a brute-force enumeration of every (output, tap) pair.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "snngx/snn/geometry.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::snn::geometry {
namespace {

using Pairs = std::vector<std::pair<int, int>>;

TEST(Geometry, OutputSizeFollowsPyTorchFloorRule) {
  EXPECT_EQ((Axis{5, 3, 2, 1}.out()), 3);   // (5 + 2 - 3) / 2 + 1
  EXPECT_EQ((Axis{7, 2, 2, 0}.out()), 3);   // odd size: the last input row is dropped
  EXPECT_EQ((Axis{128, 3, 1, 1}.out()), 128);
  EXPECT_EQ((Axis{4, 4, 1, 0}.out()), 1);
  EXPECT_EQ((Axis{3, 4, 1, 0}.out()), 0);   // kernel larger than the input
  // (1 - 2) / 3 truncates to 0 in C++, which would claim one output: the window does not fit.
  EXPECT_EQ((Axis{1, 2, 3, 0}.out()), 0);
  EXPECT_EQ((Axis{1, 2, 3, 1}.out()), 1);   // with padding it fits once
}

TEST(Geometry, TapsOfStridedPaddedAxisByHand) {
  const Axis a{5, 3, 2, 1};
  // Output o reads inputs 2o - 1 + k, k = 0..2; the padding (-1, 5) is not listed.
  EXPECT_EQ(taps_by_output(a), (Taps{{{1, 0}, {2, 1}}, {{0, 1}, {1, 2}, {2, 3}}, {{0, 3}, {1, 4}}}));
  // Input i is read by output (i + 1 - k) / 2 where that is whole and in range.
  EXPECT_EQ(taps_by_input(a), (Taps{{{1, 0}}, {{0, 1}, {2, 0}}, {{1, 1}}, {{0, 2}, {2, 1}}, {{1, 2}}}));
  EXPECT_EQ(a.input(0, 0), -1);
  EXPECT_FALSE(a.inside(a.input(0, 0)));
  EXPECT_EQ(a.output(3, 0), 2);
  EXPECT_EQ(a.output(3, 1), -1);  // 3 + 1 - 1 = 3 is odd
  EXPECT_EQ(a.output(4, 0), -1);  // would be output 2.5
}

TEST(Geometry, OddSizeLeavesTrailingInputUnread) {
  const Axis a{7, 2, 2, 0};
  const Taps by_input = taps_by_input(a);
  ASSERT_EQ(by_input.size(), 7U);
  EXPECT_EQ(by_input[5], (Pairs{{1, 2}}));
  EXPECT_TRUE(by_input[6].empty());
  EXPECT_EQ(taps_by_output(a)[2], (Pairs{{0, 4}, {1, 5}}));
}

// The brute-force relation: every (output, tap) whose input lies inside.
std::set<std::tuple<int, int, int>> brute(const Axis& a) {
  std::set<std::tuple<int, int, int>> r;  // (input, tap, output)
  for (int o = 0; o < a.out(); ++o)
    for (int k = 0; k < a.kernel; ++k) {
      const int i = o * a.stride - a.pad + k;
      if (i >= 0 && i < a.in) r.emplace(i, k, o);
    }
  return r;
}

TEST(Geometry, BothDirectionsMatchBruteForce) {
  std::mt19937 rng(15);
  for (int trial = 0; trial < 400; ++trial) {
    const Axis a{std::uniform_int_distribution<int>(1, 13)(rng), std::uniform_int_distribution<int>(1, 5)(rng),
                 std::uniform_int_distribution<int>(1, 4)(rng), std::uniform_int_distribution<int>(0, 2)(rng)};
    const auto expected = brute(a);
    std::set<std::tuple<int, int, int>> from_inputs, from_outputs, from_offsets;
    const Taps by_input = taps_by_input(a), by_output = taps_by_output(a), by_offset = taps_by_offset(a);
    ASSERT_EQ(by_offset.size(), static_cast<std::size_t>(a.kernel));
    for (int k = 0; k < a.kernel; ++k) {
      int last_o = -1;
      for (const auto& [o, i] : by_offset[static_cast<std::size_t>(k)]) {
        EXPECT_GT(o, last_o) << "outputs ascend";
        last_o = o;
        from_offsets.emplace(i, k, o);
      }
    }
    for (int i = 0; i < a.in; ++i) {
      int last_k = -1;
      for (const auto& [k, o] : by_input[static_cast<std::size_t>(i)]) {
        EXPECT_GT(k, last_k) << "kernel offsets ascend";
        last_k = k;
        from_inputs.emplace(i, k, o);
      }
    }
    for (int o = 0; o < a.out(); ++o)
      for (const auto& [k, i] : by_output[static_cast<std::size_t>(o)]) from_outputs.emplace(i, k, o);
    EXPECT_EQ(from_inputs, expected) << a.in << " " << a.kernel << " " << a.stride << " " << a.pad;
    EXPECT_EQ(from_outputs, expected) << a.in << " " << a.kernel << " " << a.stride << " " << a.pad;
    EXPECT_EQ(from_offsets, expected) << a.in << " " << a.kernel << " " << a.stride << " " << a.pad;
  }
}

TEST(Geometry, WindowOfConvAndPoolLayers) {
  const Conv2d conv{2, 4, {3, 1}, {2, 1}, {1, 0}, {}};
  const Window c = window(conv, Shape{2, 5, 4});
  EXPECT_EQ(c.out_height(), 3);
  EXPECT_EQ(c.out_width(), 4);
  EXPECT_EQ(c.taps(), 3);
  EXPECT_EQ(c.in_positions(), 20U);
  EXPECT_EQ(c.out_positions(), 12U);
  const Window m = window(MaxPool2d{{2, 2}, {2, 2}}, Shape{3, 7, 6});
  EXPECT_EQ(m.out_height(), 3);
  EXPECT_EQ(m.out_width(), 3);
  EXPECT_EQ(m.y.pad, 0);
  const Window p = window(Pool2d{Pool2d::Mode::Sum, {3, 3}, {2, 2}, {1, 1}}, Shape{1, 4, 4});
  EXPECT_EQ(p.out_height(), 2);
  EXPECT_EQ(p.out_width(), 2);
}

TEST(Geometry, OutputsReachedAndReceptiveFieldByHand) {
  const Window w{Axis{5, 3, 2, 1}, Axis{4, 2, 1, 0}};  // out 3 x 3
  std::vector<std::tuple<int, int, int, int>> reached;
  w.outputs_reached(1, 2, [&](int ky, int kx, int oy, int ox) { reached.emplace_back(ky, kx, oy, ox); });
  // Row 1: (ky 0, oy 1), (ky 2, oy 0); column 2: (kx 0, ox 2), (kx 1, ox 1).
  EXPECT_EQ(reached, (std::vector<std::tuple<int, int, int, int>>{{0, 0, 1, 2}, {0, 1, 1, 1}, {2, 0, 0, 2}, {2, 1, 0, 1}}));
  std::vector<std::tuple<int, int, int, int>> field;
  w.receptive_field(0, 2, [&](int ky, int kx, int iy, int ix) { field.emplace_back(ky, kx, iy, ix); });
  // Output row 0 reads rows -1 (padding), 0, 1; output column 2 reads columns 2, 3.
  EXPECT_EQ(field, (std::vector<std::tuple<int, int, int, int>>{{1, 0, 0, 2}, {1, 1, 0, 3}, {2, 0, 1, 2}, {2, 1, 1, 3}}));
}

TEST(Geometry, MaxPoolOfSpikeBitmapIsOrOverEachWindow) {
  // 3 x 5 positions, 2 words each; 2 x 2 windows, stride 2 -> 1 x 2 outputs (odd sizes: row 2 and
  // column 4 are outside every window).
  const Window w = window(MaxPool2d{{2, 2}, {2, 2}}, Shape{40, 3, 5});
  std::vector<std::uint32_t> in(3 * 5 * 2, 0);
  const auto at = [&](int y, int x, int word) -> std::uint32_t& { return in[static_cast<std::size_t>((y * 5 + x) * 2 + word)]; };
  at(0, 0, 0) = 0x1;
  at(1, 1, 0) = 0x4;
  at(1, 0, 1) = 0x80;
  at(0, 3, 1) = 0x10;
  at(1, 2, 0) = 0x100;
  at(2, 0, 0) = 0xFFFF;  // row 2: not in any window
  at(0, 4, 1) = 0xFFFF;  // column 4: not in any window
  std::vector<std::uint32_t> out(2 * 2, 0xDEADBEEF);
  max_pool_bits(w, 2, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<std::uint32_t>{0x5, 0x80, 0x100, 0x10}));
}

// The plain 2 x 2 / stride 2 window takes a fast path; other windows the general one. Both equal
// the OR over each window by definition, on random maps of odd sizes.
TEST(Geometry, MaxPoolOfSpikeBitmapEqualsTheDefinitionForEveryWindowKind) {
  std::mt19937 rng(5);
  const std::size_t words = 3;
  for (const MaxPool2d& pool : {MaxPool2d{{2, 2}, {2, 2}}, MaxPool2d{{3, 3}, {2, 2}}, MaxPool2d{{2, 3}, {1, 2}}}) {
    const Window w = window(pool, Shape{96, 7, 9});
    std::vector<std::uint32_t> in(7 * 9 * words);
    for (auto& v : in) v = static_cast<std::uint32_t>(rng()) & static_cast<std::uint32_t>(rng());
    std::vector<std::uint32_t> out(w.out_positions() * words, 0xDEADBEEF), expected(w.out_positions() * words, 0);
    for (int oy = 0; oy < w.out_height(); ++oy)
      for (int ox = 0; ox < w.out_width(); ++ox)
        for (int ky = 0; ky < w.y.kernel; ++ky)
          for (int kx = 0; kx < w.x.kernel; ++kx) {
            const int iy = w.y.input(oy, ky), ix = w.x.input(ox, kx);
            if (!w.y.inside(iy) || !w.x.inside(ix)) continue;
            for (std::size_t k = 0; k < words; ++k)
              expected[(static_cast<std::size_t>(oy) * w.out_width() + ox) * words + k] |=
                  in[(static_cast<std::size_t>(iy) * 9 + ix) * words + k];
          }
    max_pool_bits(w, words, in.data(), out.data());
    EXPECT_EQ(out, expected) << "kernel " << w.y.kernel << " x " << w.x.kernel << ", stride " << w.y.stride << " x " << w.x.stride;
  }
}

TEST(Geometry, MaxPoolChannelsLastTakesTheLargestValuePerChannel) {
  // 3 x 3 map, 2 channels, 2 x 2 windows with stride 1 -> 2 x 2 outputs.
  const Window w = window(MaxPool2d{{2, 2}, {1, 1}}, Shape{2, 3, 3});
  const std::vector<float> in = {// [y][x][c]
                                 -1, 5, -2, 0, -3, 1,  //
                                 -4, 2, -5, 7, -6, 0,  //
                                 -7, 3, 4, -1, -8, 9};
  std::vector<float> out(2 * 2 * 2, 99.0f);
  max_pool_channels_last(w, 2, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{-1, 7, -2, 7, 4, 7, 4, 9}));
}

TEST(Geometry, MaxPoolChannelsFirstEqualsChannelsLastTransposed) {
  // The map of the channels-last test in [C][H][W] order: the same maxima, channels-first.
  const Window w = window(MaxPool2d{{2, 2}, {1, 1}}, Shape{2, 3, 3});
  const std::vector<float> in = {-1, -2, -3, -4, -5, -6, -7, 4, -8,  // channel 0
                                 5, 0, 1, 2, 7, 0, 3, -1, 9};        // channel 1
  std::vector<float> out(2 * 2 * 2, 99.0f);
  max_pool_channels_first(w, 2, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{-1, -2, 4, 4, 7, 7, 7, 9}));
}

TEST(Geometry, NetworkRefusesConvWhoseWindowDoesNotFit) {
  Network n;
  n.arch = "tiny";
  n.time_steps = 1;
  n.input_shape = {1, 1, 4};
  n.num_classes = 2;
  Conv2d c{1, 2, {2, 1}, {3, 1}, {0, 0}, {}};
  c.weight.shape = {2, 1, 2, 1};
  c.weight.values.assign(4, 0.5f);
  n.layers = {c};
  EXPECT_THROW(n.layer_output_shapes(), std::invalid_argument);
}

}  // namespace
}  // namespace snngx::snn::geometry
