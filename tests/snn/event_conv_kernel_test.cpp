// The fused Conv2d -> LIF kernel (snn/src/event_conv.hpp) against a scalar reference written from
// the definition (integer sums, the LIF's float operations in order): on count inputs (the first
// stage), and on spike inputs with its tap-major weights kept as int8 and widened to int16. Which
// of the two a layer gets depends on the machine's L1 size (conv_lif_widens), so both are pinned
// here, on every machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "event_conv.hpp"

namespace snngx::snn::detail {
namespace {

struct Case {
  int cin, cout, height, width;
  double density;
  int max_weight;
};

struct Layer {
  geometry::Window window;
  std::vector<std::int8_t> weights;  // [cin][kh][kw][cout]
  Taps row_offsets, col_offsets, in_rows, in_cols;
};

Layer make_layer(const Case& k, std::mt19937& rng) {
  Layer l;
  l.window.y = {k.height, 3, 1, 1};
  l.window.x = {k.width, 3, 1, 1};
  l.weights.resize(static_cast<std::size_t>(k.cin) * 9 * k.cout);
  std::uniform_int_distribution<int> w(-k.max_weight, k.max_weight);
  for (auto& v : l.weights) v = static_cast<std::int8_t>(w(rng));
  l.row_offsets = geometry::taps_by_offset(l.window.y);
  l.col_offsets = geometry::taps_by_offset(l.window.x);
  l.in_rows = geometry::taps_by_input(l.window.y);
  l.in_cols = geometry::taps_by_input(l.window.x);
  return l;
}

// One step by definition: sum of the active inputs' weights (times their counts, when given),
// then v = v * decay * (1 - s) + I.
void reference_step(const Case& k, const Layer& l, const std::vector<std::uint32_t>& in_bits, const std::vector<std::int32_t>* counts,
                    const ConvLif& c, std::vector<float>& v, std::vector<std::uint32_t>& out_bits) {
  const int in_words = (k.cin + 31) / 32;
  std::fill(out_bits.begin(), out_bits.end(), 0U);
  for (int oy = 0; oy < k.height; ++oy)
    for (int ox = 0; ox < k.width; ++ox)
      for (int co = 0; co < k.cout; ++co) {
        std::int64_t sum = 0;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            const int iy = oy - 1 + ky, ix = ox - 1 + kx;
            if (iy < 0 || iy >= k.height || ix < 0 || ix >= k.width) continue;
            for (int ci = 0; ci < k.cin; ++ci) {
              const std::uint32_t word = in_bits[static_cast<std::size_t>(iy * k.width + ix) * in_words + ci / 32];
              if (!((word >> (ci % 32)) & 1U)) continue;
              const std::int64_t n = counts ? (*counts)[static_cast<std::size_t>(iy * k.width + ix) * k.cin + ci] : 1;
              sum += n * l.weights[((static_cast<std::size_t>(ci) * 3 + ky) * 3 + kx) * k.cout + co];
            }
          }
        const std::size_t p = static_cast<std::size_t>(oy) * k.width + ox;
        float& m = v[p * k.cout + co];
        const float current = static_cast<float>(sum) * c.scale;
        const float keep = m > c.threshold ? 0.0f : 1.0f;
        m = m * c.decay * keep + current;
        if (m > c.threshold) out_bits[p * (k.cout / 32) + co / 32] |= 1U << (co % 32);
      }
}

// `with_counts`: the first stage's inputs (frame cells with counts up to 1,000, a few of 60,000,
// and some set bits whose count is 0), else spikes.
void expect_kernel_matches_reference(const Case& k, bool widen, bool with_counts = false) {
  if (!conv_lif_available()) GTEST_SKIP() << "this build has no AVX-512BW kernel (the engine falls back)";
  std::mt19937 rng(static_cast<std::uint32_t>(k.cin * 7 + k.cout + (widen ? 1 : 0)));
  const Layer l = make_layer(k, rng);
  const TapMajorWeights tap_major = conv_lif_tap_major(l.weights, k.cin, 3, 3, k.cout, widen);
  ASSERT_EQ(tap_major.wide.empty(), !widen);
  int max_magnitude = 0;
  for (const auto w : l.weights) max_magnitude = std::max(max_magnitude, std::abs(static_cast<int>(w)));
  const ConvLif c{k.cin, k.cout, k.height, k.width, k.height, k.width, 3, 3, l.weights.data(), &tap_major, &l.row_offsets,
                  &l.col_offsets, &l.in_rows, &l.in_cols, max_magnitude, 0.25f, 0.75f, 1.0f};
  const std::size_t positions = static_cast<std::size_t>(k.height) * k.width;
  std::vector<float> v_kernel(positions * k.cout, 0.0f), v_reference = v_kernel;
  std::vector<std::uint32_t> out_kernel(positions * (k.cout / 32)), out_reference = out_kernel;
  std::vector<std::uint32_t> in_bits(positions * ((k.cin + 31) / 32));
  std::bernoulli_distribution active(k.density);
  std::vector<std::int32_t> counts(positions * k.cin);
  std::uniform_int_distribution<int> count(1, 1000), rare(0, 99);
  ConvScratch scratch;
  for (int step = 0; step < 4; ++step) {
    std::fill(in_bits.begin(), in_bits.end(), 0U);
    for (std::size_t p = 0; p < positions; ++p)
      for (int ci = 0; ci < k.cin; ++ci)
        if (active(rng)) {
          in_bits[p * ((k.cin + 31) / 32) + ci / 32] |= 1U << (ci % 32);
          const int r = rare(rng);
          counts[p * k.cin + ci] = r == 0 ? 60000 : r == 1 ? 0 : count(rng);
        }
    conv_lif(c, in_bits.data(), with_counts ? counts.data() : nullptr, v_kernel.data(), out_kernel.data(), scratch);
    reference_step(k, l, in_bits, with_counts ? &counts : nullptr, c, v_reference, out_reference);
    ASSERT_EQ(out_kernel, out_reference) << "spikes differ at step " << step;
    for (std::size_t i = 0; i < v_kernel.size(); ++i)
      ASSERT_EQ(std::bit_cast<std::uint32_t>(v_kernel[i]), std::bit_cast<std::uint32_t>(v_reference[i]))
          << "membrane " << i << ", step " << step;
  }
}

// Blocks of 128, 64 and 32 channels; sparse and dense inputs; with weights of 127 and ~all 64
// inputs of a 3 x 3 field active, true sums pass INT16_MAX (the int32 spills).
const Case kCases[] = {{64, 128, 9, 7, 0.15, 20}, {128, 128, 6, 6, 0.3, 127}, {32, 64, 5, 8, 0.9, 127},
                       {48, 32, 4, 4, 0.5, 90},   {64, 256, 4, 4, 0.95, 127}};

TEST(EventConvKernel, Int8TapMajorWeightsEqualTheDefinition) {
  for (const Case& k : kCases) {
    SCOPED_TRACE(testing::Message() << "cin " << k.cin << ", cout " << k.cout);
    expect_kernel_matches_reference(k, false);
  }
}

TEST(EventConvKernel, WidenedInt16TapMajorWeightsEqualTheDefinition) {
  for (const Case& k : kCases) {
    SCOPED_TRACE(testing::Message() << "cin " << k.cin << ", cout " << k.cout);
    expect_kernel_matches_reference(k, true);
  }
}

// The first stage: each active cell scatters count x its rows into int32 sums (here past
// INT16_MAX too: counts of 60,000).
TEST(EventConvKernel, CountInputsEqualTheDefinition) {
  const Case cases[] = {{2, 64, 12, 10, 0.05, 127}, {2, 64, 9, 9, 0.6, 127}, {5, 32, 7, 6, 0.2, 60}, {40, 96, 5, 5, 0.3, 127}};
  for (const Case& k : cases) {
    SCOPED_TRACE(testing::Message() << "cin " << k.cin << ", cout " << k.cout << ", density " << k.density);
    expect_kernel_matches_reference(k, false, true);
  }
}

TEST(EventConvKernel, WidensOnlySlabsThatLeaveHalfOfL1) {
  // The first CSNN stage's slab (2 inputs x 64 channels x 2 bytes) is tiny; 1024 inputs x 128
  // channels x 2 bytes = 256 KB, twice any L1d there is.
  EXPECT_TRUE(conv_lif_widens(2, 64));
  EXPECT_FALSE(conv_lif_widens(1024, 128));
}

}  // namespace
}  // namespace snngx::snn::detail
