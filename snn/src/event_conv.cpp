#include "event_conv.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <unistd.h>

#if defined(__AVX512F__) && defined(__AVX512BW__)
#define SNNGX_EVENT_CONV_AVX512 1
#include <immintrin.h>
#else
#define SNNGX_EVENT_CONV_AVX512 0
#endif

namespace snngx::snn::detail {

#if SNNGX_EVENT_CONV_AVX512
// GCC 12 flags the intrinsics' own _mm512_undefined_*() placeholders as uninitialized uses.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
namespace {

constexpr int kInt16Max = 32767;

// The accumulators must stay in registers across these helpers.
#define SNNGX_INLINE [[gnu::always_inline]] inline

/// Sums for 32 * NV output channels in int16 lanes; before any lane could pass INT16_MAX (every
/// addend is bounded by max_magnitude * |count|) the lanes are added into int32 totals.
template <int NV>
struct Acc {
  __m512i a16[NV];
  __m512i a32[2 * NV];
  int used = 0;  // bound on |lane| of a16
  bool wide = false;

  Acc() {
    for (auto& a : a16) a = _mm512_setzero_si512();
  }
  SNNGX_INLINE void spill() {
    if (!wide)
      for (auto& a : a32) a = _mm512_setzero_si512();
    wide = true;
    for (int k = 0; k < NV; ++k) {
      a32[2 * k] = _mm512_add_epi32(a32[2 * k], _mm512_cvtepi16_epi32(_mm512_castsi512_si256(a16[k])));
      a32[2 * k + 1] = _mm512_add_epi32(a32[2 * k + 1], _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(a16[k], 1)));
      a16[k] = _mm512_setzero_si512();
    }
    used = 0;
  }
  /// Reserves room for an addend bounded by `need` (<= kInt16Max).
  SNNGX_INLINE void reserve(int need) {
    if (used + need > kInt16Max) spill();
    used += need;
  }
  SNNGX_INLINE void add(const std::int8_t* row) {
    for (int k = 0; k < NV; ++k)
      a16[k] = _mm512_add_epi16(a16[k], _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 32 * k))));
  }
  SNNGX_INLINE void add(const std::int8_t* row, std::int32_t n) {
    const __m512i f = _mm512_set1_epi16(static_cast<std::int16_t>(n));
    for (int k = 0; k < NV; ++k) {
      const __m512i w = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 32 * k)));
      a16[k] = _mm512_add_epi16(a16[k], _mm512_mullo_epi16(w, f));
    }
  }
  /// A count too large for the int16 lanes goes straight into the int32 totals.
  SNNGX_INLINE void add_wide(const std::int8_t* row, std::int32_t n) {
    spill();
    const __m512i f = _mm512_set1_epi32(n);
    for (int j = 0; j < 2 * NV; ++j) {
      const __m512i w = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * j)));
      a32[j] = _mm512_add_epi32(a32[j], _mm512_mullo_epi32(w, f));
    }
  }
  /// Adds n x row, where every |row| entry is at most max_magnitude: in the int16 lanes when the
  /// addend fits them, else straight into the int32 totals.
  SNNGX_INLINE void add_counted(const std::int8_t* row, std::int32_t n, int max_magnitude) {
    const std::int64_t need = static_cast<std::int64_t>(max_magnitude) * std::abs(static_cast<std::int64_t>(n));
    if (need > kInt16Max) {
      add_wide(row, n);
      return;
    }
    reserve(static_cast<int>(need));
    if (n == 1) add(row);
    else add(row, n);
  }
  /// Exact totals of channels 16 j .. 16 j + 15.
  [[nodiscard]] SNNGX_INLINE __m512i total(int j) const {
    const __m256i half = j % 2 ? _mm512_extracti64x4_epi64(a16[j / 2], 1) : _mm512_castsi512_si256(a16[j / 2]);
    const __m512i t = _mm512_cvtepi16_epi32(half);
    return wide ? _mm512_add_epi32(t, a32[j]) : t;
  }
};

/// Reference LIF on 16 neurons: v = v * decay * (1 - s) + I with s = v > threshold from the
/// previous step; stores their new spikes as bits 16 (j % 2) .. of word j / 2 of `out`.
SNNGX_INLINE void lif16(__m512 current, __m512 decay, __m512 th, float* v, std::uint32_t* out, int j) {
  const __m512 old = _mm512_loadu_ps(v);
  const __m512 keep = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(old, th, _CMP_GT_OQ), _mm512_set1_ps(1.0f), _mm512_setzero_ps());  // 1 - s
  const __m512 now = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(old, decay), keep), current);
  _mm512_storeu_ps(v, now);
  const auto spikes = static_cast<std::uint32_t>(_mm512_cmp_ps_mask(now, th, _CMP_GT_OQ));
  if (j % 2) out[j / 2] |= spikes << 16;
  else out[j / 2] = spikes;
}

/// The LIF of 32 * NV neurons from their sums: I = total * scale; writes the new spikes as NV words.
template <int NV>
SNNGX_INLINE void lif(const Acc<NV>& acc, const ConvLif& c, float* v, std::uint32_t* out) {
  const __m512 scale = _mm512_set1_ps(c.scale), decay = _mm512_set1_ps(c.decay), th = _mm512_set1_ps(c.threshold);
  for (int j = 0; j < 2 * NV; ++j) lif16(_mm512_mul_ps(_mm512_cvtepi32_ps(acc.total(j)), scale), decay, th, v + 16 * j, out, j);
}

/// The LIF of neurons without input (I = 0 * scale = +0). Membranes that are all +0 stay +0
/// without spiking (`skip_zero`: threshold >= 0, finite decay and scale), so they are left alone.
template <int NV>
SNNGX_INLINE void lif_quiet(const ConvLif& c, bool skip_zero, float* v, std::uint32_t* out) {
  if (skip_zero) {
    __m512i any = _mm512_setzero_si512();
    for (int j = 0; j < 2 * NV; ++j) any = _mm512_or_si512(any, _mm512_castps_si512(_mm512_loadu_ps(v + 16 * j)));
    if (_mm512_test_epi32_mask(any, any) == 0) {
      for (int k = 0; k < NV; ++k) out[k] = 0;
      return;
    }
  }
  lif<NV>(Acc<NV>{}, c, v, out);
}

/// Spike inputs: for each input position, the weight-row offsets (channel x `channel_stride`) of
/// its active channels (`lists`: positions + 1 starts, then the offsets), so that the up to
/// kh * kw outputs reading a position do not decode its bits again. Each 16 channels' offsets
/// are compressed out of one vector by their bits (no branch per spike); every store writes 16
/// lanes, so the list keeps 16 spare entries at its end.
void spike_rows(const ConvLif& c, const std::uint32_t* in_bits, std::int32_t channel_stride, std::vector<std::int32_t>& lists) {
  const auto positions = static_cast<std::size_t>(c.height) * c.width;
  const auto words = static_cast<std::size_t>(c.cin + 31) / 32;
  const std::size_t most = positions + 1 + positions * static_cast<std::size_t>(c.cin) + 16;
  if (lists.size() < most) lists.resize(most);  // grows once per state, never shrinks
  std::int32_t* start = lists.data();
  std::int32_t* rows = start + positions + 1;
  const __m512i low = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                         _mm512_set1_epi32(channel_stride));  // channels 0..15 of a word
  const __m512i half = _mm512_set1_epi32(16 * channel_stride);
  std::int32_t n = 0;
  for (std::size_t q = 0; q < positions; ++q) {
    start[q] = n;
    for (std::size_t w = 0; w < words; ++w) {
      const std::uint32_t bits = in_bits[q * words + w];
      if (!bits) continue;
      const __m512i first = _mm512_add_epi32(low, _mm512_set1_epi32(static_cast<std::int32_t>(32 * w) * channel_stride));
      const auto lo = static_cast<__mmask16>(bits), hi = static_cast<__mmask16>(bits >> 16);
      _mm512_storeu_si512(rows + n, _mm512_maskz_compress_epi32(lo, first));
      n += std::popcount(static_cast<unsigned>(lo));
      _mm512_storeu_si512(rows + n, _mm512_maskz_compress_epi32(hi, _mm512_add_epi32(first, half)));
      n += std::popcount(static_cast<unsigned>(hi));
    }
  }
  start[positions] = n;
}

/// Count inputs (the first stage, from a frame: few active cells, each with a count): each active
/// cell scatters count x its weight rows into the int32 sums of the outputs it reaches (the first
/// to reach an output sets them); then one pass runs every output's LIF, from its sums or, where
/// nothing reached it, from a zero input. Integer sums are exact in any order. (Gathering each
/// output's receptive field instead tested all its taps for active cells: 8-9 % slower overall.)
void conv_lif_counts(const ConvLif& c, const std::uint32_t* in_bits, const std::int32_t* counts, float* v, std::uint32_t* out_bits,
                     ConvScratch& s) {
  const int in_words = (c.cin + 31) / 32, out_words = c.cout / 32, lanes = c.cout / 16;
  const auto cout = static_cast<std::size_t>(c.cout);
  const std::size_t taps = static_cast<std::size_t>(c.kh) * c.kw;
  const std::size_t positions = static_cast<std::size_t>(c.out_height) * c.out_width;
  if (s.acc32.size() < positions * cout) s.acc32.resize(positions * cout);  // grow only: set on first touch
  s.status.assign(positions, 0);
  std::int32_t* sums = s.acc32.data();
  for (int iy = 0; iy < c.height; ++iy)
    for (int ix = 0; ix < c.width; ++ix) {
      const auto q = static_cast<std::size_t>(iy) * c.width + ix;
      for (int w = 0; w < in_words; ++w)
        for (std::uint32_t b = in_bits[q * in_words + w]; b; b &= b - 1) {
          const int ch = 32 * w + std::countr_zero(b);
          const std::int32_t n = counts[q * c.cin + ch];
          if (n == 0) continue;
          const __m512i factor = _mm512_set1_epi32(n);
          for (const auto& [ky, oy] : (*c.in_rows)[static_cast<std::size_t>(iy)])
            for (const auto& [kx, ox] : (*c.in_cols)[static_cast<std::size_t>(ix)]) {
              const auto p = static_cast<std::size_t>(oy) * c.out_width + ox;
              const std::int8_t* row = c.weights + (static_cast<std::size_t>(ch) * taps + static_cast<std::size_t>(ky * c.kw + kx)) * cout;
              std::int32_t* sum = sums + p * cout;
              const bool first = s.status[p] == 0;
              s.status[p] = 1;
              for (int j = 0; j < lanes; ++j) {
                const __m512i w8 = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * j)));
                const __m512i term = _mm512_mullo_epi32(w8, factor);
                _mm512_storeu_si512(sum + 16 * j, first ? term : _mm512_add_epi32(_mm512_loadu_si512(sum + 16 * j), term));
              }
            }
        }
    }
  const __m512 scale = _mm512_set1_ps(c.scale), decay = _mm512_set1_ps(c.decay), th = _mm512_set1_ps(c.threshold);
  const __m512 zero_current = _mm512_mul_ps(_mm512_setzero_ps(), scale);  // lif()'s current for a zero total
  for (std::size_t p = 0; p < positions; ++p) {
    const std::int32_t* sum = sums + p * cout;
    const bool reached = s.status[p] != 0;
    for (int j = 0; j < lanes; ++j) {
      const __m512 current = reached ? _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(sum + 16 * j)), scale) : zero_current;
      lif16(current, decay, th, v + p * cout + 16 * j, out_bits + p * out_words, j);
    }
  }
}

/// 32 weights as int16 lanes: widened on the fly from int8, or loaded as they are.
SNNGX_INLINE __m512i load_row32(const std::int8_t* w) {
  return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)));
}
SNNGX_INLINE __m512i load_row32(const std::int16_t* w) { return _mm512_loadu_si512(w); }

/// Adds the rows `rows`..`end` (offsets into `slab`) into the int16 sums of one output position,
/// kept in memory between kernel offsets (`status`, `used`, `acc32` as in ConvScratch).
template <int NV, class Weight>
SNNGX_INLINE void add_rows_at(std::int16_t* acc16, std::int32_t* acc32, std::int32_t& used, std::uint8_t& status,
                              const std::int32_t* rows, const std::int32_t* end, const Weight* slab, int max_magnitude) {
  __m512i a[NV];  // a position's first input starts from zero: the sums are never cleared
  for (int k = 0; k < NV; ++k) a[k] = status == 0 ? _mm512_setzero_si512() : _mm512_loadu_si512(acc16 + 32 * k);
  const auto spill = [&] {
    for (int k = 0; k < NV; ++k) {
      for (int h = 0; h < 2; ++h) {
        const __m256i half = h ? _mm512_extracti64x4_epi64(a[k], 1) : _mm512_castsi512_si256(a[k]);
        std::int32_t* wide = acc32 + 32 * k + 16 * h;
        const __m512i before = status == 2 ? _mm512_loadu_si512(wide) : _mm512_setzero_si512();
        _mm512_storeu_si512(wide, _mm512_add_epi32(before, _mm512_cvtepi16_epi32(half)));
      }
      a[k] = _mm512_setzero_si512();
    }
    status = 2;
    used = 0;
  };
  const auto add = [&](std::int32_t offset) {
    for (int k = 0; k < NV; ++k) a[k] = _mm512_add_epi16(a[k], load_row32(slab + offset + 32 * k));
  };
  if (status == 0) status = 1, used = 0;
  const std::int64_t need = static_cast<std::int64_t>(end - rows) * max_magnitude;
  if (used + need <= kInt16Max) {
    used += static_cast<std::int32_t>(need);
    for (; rows != end; ++rows) add(*rows);
  } else {
    for (; rows != end; ++rows) {
      if (used + max_magnitude > kInt16Max) spill();
      used += max_magnitude;
      add(*rows);
    }
  }
  for (int k = 0; k < NV; ++k) _mm512_storeu_si512(acc16 + 32 * k, a[k]);
}

/// Spike inputs with tap-major weights: for each channel block and kernel offset, every output
/// position adds the rows of the spikes its input at that offset holds, from one L1-sized slab;
/// the sums wait in memory between offsets; then the LIF runs per position as in conv_lif_impl.
/// Positions with no spike in their receptive field take lif_quiet, as there.
template <int NV, class Weight>
void conv_lif_spikes(const ConvLif& c, const Weight* tap_major, const std::uint32_t* in_bits, float* v, std::uint32_t* out_bits,
                     ConvScratch& s) {
  constexpr int block = 32 * NV;
  const int out_words = c.cout / 32, blocks = c.cout / block;
  const auto cout = static_cast<std::size_t>(c.cout);
  const auto positions = static_cast<std::size_t>(c.out_height) * c.out_width;
  const bool skip_zero = c.threshold >= 0.0f && std::isfinite(c.decay) && std::isfinite(c.scale);
  spike_rows(c, in_bits, block, s.lists);
  const std::int32_t* start = s.lists.data();
  const std::int32_t* offsets = start + static_cast<std::size_t>(c.height) * c.width + 1;
  if (s.acc16.size() < positions * block) s.acc16.resize(positions * block);  // grow only: never cleared
  if (s.acc32.size() < positions * block) s.acc32.resize(positions * block);
  if (s.used.size() < positions) s.used.resize(positions);
  s.status.resize(positions);
  const std::size_t slab_size = static_cast<std::size_t>(c.cin) * block;
  for (int bb = 0; bb < blocks; ++bb) {
    std::fill(s.status.begin(), s.status.end(), std::uint8_t{0});
    for (int ky = 0; ky < c.kh; ++ky) {
      const auto& ys = (*c.row_offsets)[static_cast<std::size_t>(ky)];
      for (int kx = 0; kx < c.kw; ++kx) {
        const auto& xs = (*c.col_offsets)[static_cast<std::size_t>(kx)];
        const Weight* slab = tap_major + (static_cast<std::size_t>(ky * c.kw + kx) * blocks + bb) * slab_size;
        for (const auto& [oy, iy] : ys)
          for (const auto& [ox, ix] : xs) {
            const auto q = static_cast<std::size_t>(iy) * c.width + ix;
            if (start[q] == start[q + 1]) continue;
            const auto p = static_cast<std::size_t>(oy) * c.out_width + ox;
            add_rows_at<NV>(s.acc16.data() + p * block, s.acc32.data() + p * block, s.used[p], s.status[p], offsets + start[q],
                            offsets + start[q + 1], slab, c.max_magnitude);
          }
      }
    }
    const auto b = static_cast<std::size_t>(bb) * block;
    for (std::size_t p = 0; p < positions; ++p) {
      float* vp = v + p * cout + b;
      std::uint32_t* op = out_bits + p * out_words + b / 32;
      if (s.status[p] == 0) {
        lif_quiet<NV>(c, skip_zero, vp, op);
        continue;
      }
      Acc<NV> acc;
      for (int k = 0; k < NV; ++k) acc.a16[k] = _mm512_loadu_si512(s.acc16.data() + p * block + 32 * k);
      if (s.status[p] == 2) {
        acc.wide = true;
        for (int j = 0; j < 2 * NV; ++j) acc.a32[j] = _mm512_loadu_si512(s.acc32.data() + p * block + 16 * j);
      }
      lif<NV>(acc, c, vp, op);
    }
  }
}

template <int NV>
void conv_lif_dispatch(const ConvLif& c, const std::uint32_t* in_bits, const std::int32_t* counts, float* v, std::uint32_t* out_bits,
                       ConvScratch& scratch) {
  if (counts) conv_lif_counts(c, in_bits, counts, v, out_bits, scratch);
  else if (c.tap_major->wide.empty()) conv_lif_spikes<NV>(c, c.tap_major->narrow.data(), in_bits, v, out_bits, scratch);
  else conv_lif_spikes<NV>(c, c.tap_major->wide.data(), in_bits, v, out_bits, scratch);
}

/// One block of 32 * NV outputs of linear_currents, its sums kept in registers over all inputs.
/// `prefetch` bytes of each row from the block's start are fetched a few rows ahead.
template <int NV>
void linear_block(const std::int8_t* w, std::size_t stride, const std::uint32_t* active, std::size_t count,
                  const std::uint16_t* counts, int max_magnitude, float scale, float* current, std::size_t prefetch) {
  Acc<NV> acc;
  constexpr std::size_t kAhead = 8;  // rows come from beyond L1 (the MLP's first layer is 1.2 MB)
  for (std::size_t k = 0; k < count; ++k) {
    if (k + kAhead < count) {
      const std::int8_t* next = w + static_cast<std::size_t>(active[k + kAhead]) * stride;
      for (std::size_t b = 0; b < prefetch; b += 64) _mm_prefetch(reinterpret_cast<const char*>(next + b), _MM_HINT_T0);
    }
    const std::int8_t* row = w + static_cast<std::size_t>(active[k]) * stride;
    const std::int32_t n = counts ? counts[k] : 1;
    if (n == 0) continue;
    acc.add_counted(row, n, max_magnitude);
  }
  const __m512 s = _mm512_set1_ps(scale);
  for (int j = 0; j < 2 * NV; ++j) _mm512_storeu_ps(current + 16 * j, _mm512_mul_ps(_mm512_cvtepi32_ps(acc.total(j)), s));
}

}  // namespace

bool linear_currents(const std::int8_t* w, std::size_t stride, std::size_t outputs, const std::uint32_t* active, std::size_t count,
                     const std::uint16_t* counts, int max_magnitude, float scale, float* current) {
  if (stride % 32 != 0 || outputs > stride) return false;
  // `current` holds stride floats: the padded lanes are computed (as zeros) and ignored.
  // Blocks of 256 outputs (8 int16 accumulators) walk the active rows half as often as blocks of
  // 128, each fetching its own 256 bytes of every row ahead: engine alone +33-47 % (MLP) and
  // +9 % (CSNN, whose 4096 x 1024 rows come from L2/L3) against 128-output blocks whose first
  // fetched whole rows; 512-output blocks gained less (CSNN +3 %), as did whole-row fetching
  // in the first 256-output block (session 8, alternated runs). Narrower tails take the rest.
  std::size_t b = 0;
  for (; b + 256 <= stride; b += 256) linear_block<8>(w + b, stride, active, count, counts, max_magnitude, scale, current + b, 256);
  const auto fetch = [&] { return b == 0 ? stride : 0; };
  for (; b + 128 <= stride; b += 128) linear_block<4>(w + b, stride, active, count, counts, max_magnitude, scale, current + b, fetch());
  for (; b + 64 <= stride; b += 64) linear_block<2>(w + b, stride, active, count, counts, max_magnitude, scale, current + b, fetch());
  for (; b < stride; b += 32) linear_block<1>(w + b, stride, active, count, counts, max_magnitude, scale, current + b, fetch());
  return true;
}

bool conv_lif_available() { return true; }

void conv_lif(const ConvLif& c, const std::uint32_t* in_bits, const std::int32_t* counts, float* v, std::uint32_t* out_bits,
              ConvScratch& scratch) {
  if (!conv_lif_supports(c.cout)) throw std::logic_error("conv_lif: out channels must be a multiple of 32");
  if (counts && (!c.in_rows || !c.in_cols)) throw std::logic_error("conv_lif: count inputs need the per-input taps");
  if (!counts && (!c.tap_major || !c.tap_major->valid() || !c.row_offsets || !c.col_offsets))
    throw std::logic_error("conv_lif: spike inputs need the tap-major weights and the per-offset taps");
  // Blocks of 128 channels keep 4 int16 + 8 int32 accumulators in registers.
  switch (conv_lif_block(c.cout)) {
    case 128: conv_lif_dispatch<4>(c, in_bits, counts, v, out_bits, scratch); break;
    case 64: conv_lif_dispatch<2>(c, in_bits, counts, v, out_bits, scratch); break;
    default: conv_lif_dispatch<1>(c, in_bits, counts, v, out_bits, scratch); break;
  }
}

#undef SNNGX_INLINE
#pragma GCC diagnostic pop
#else

bool conv_lif_available() { return false; }

bool linear_currents(const std::int8_t*, std::size_t, std::size_t, const std::uint32_t*, std::size_t, const std::uint16_t*, int, float,
                     float*) {
  return false;
}

void conv_lif(const ConvLif&, const std::uint32_t*, const std::int32_t*, float*, std::uint32_t*, ConvScratch&) {
  throw std::logic_error("conv_lif: this build has no AVX-512BW kernel");
}

#endif

int conv_lif_block(int cout) { return cout % 128 == 0 ? 128 : cout % 64 == 0 ? 64 : 32; }

bool conv_lif_widens(int cin, int cout) {
  // The widened slab of one kernel offset and channel block must leave room in L1 for the sums
  // and the spike lists: at most half of it (sysconf's L1d size; 32 KB when it does not say).
  static const long l1 = [] {
    const long size = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    return size > 0 ? size : 32 * 1024L;
  }();
  const long slab = static_cast<long>(cin) * conv_lif_block(cout) * static_cast<long>(sizeof(std::int16_t));
  return 2 * slab <= l1;
}

TapMajorWeights conv_lif_tap_major(const std::vector<std::int8_t>& weights, int cin, int kh, int kw, int cout) {
  return conv_lif_tap_major(weights, cin, kh, kw, cout, conv_lif_widens(cin, cout));
}

TapMajorWeights conv_lif_tap_major(const std::vector<std::int8_t>& weights, int cin, int kh, int kw, int cout, bool widen) {
  const int block = conv_lif_block(cout), blocks = cout / block, taps = kh * kw;
  const auto lay_out = [&](auto& out) {
    out.resize(weights.size());
    std::size_t n = 0;
    for (int t = 0; t < taps; ++t)
      for (int bb = 0; bb < blocks; ++bb)
        for (int ch = 0; ch < cin; ++ch)
          for (int j = 0; j < block; ++j)
            out[n++] = weights[(static_cast<std::size_t>(ch) * taps + t) * cout + static_cast<std::size_t>(bb) * block + j];
  };
  TapMajorWeights out;
  if (widen) lay_out(out.wide);
  else lay_out(out.narrow);
  return out;
}

void bits_to_list(const std::uint32_t* bits, std::size_t positions, int channels, std::vector<std::uint32_t>& list) {
  const std::size_t words = (static_cast<std::size_t>(channels) + 31) / 32;
  list.resize(positions * static_cast<std::size_t>(channels));
  std::size_t n = 0;
  for (std::size_t p = 0; p < positions; ++p)
    for (std::size_t w = 0; w < words; ++w)
      for (std::uint32_t b = bits[p * words + w]; b; b &= b - 1)
        list[n++] = static_cast<std::uint32_t>((32 * w + static_cast<std::size_t>(std::countr_zero(b))) * positions + p);
  list.resize(n);
}

void bits_to_floats(const std::uint32_t* bits, std::size_t positions, int channels, float* out) {
  const std::size_t n = positions * static_cast<std::size_t>(channels);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>((bits[i / 32] >> (i % 32)) & 1U);
}

}  // namespace snngx::snn::detail
