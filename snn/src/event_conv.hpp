#pragma once
// Fused event-driven stage of a quantized network: Conv2d -> LIF (-> MaxPool2d) on spike bitmaps.
// Internal to snngx_snn (used by inference.cpp).
//
// Maps are stored channels-last as bitmaps: position p = y * W + x holds ceil(C / 32) words, bit
// (c % 32) of word c / 32 set when channel c is active. Spike inputs (every stage after the
// first) are summed one kernel offset at a time: each output position adds the weight rows of the
// spikes its input at that offset holds, from a tap-major slab that stays in L1, into int16 sums
// kept per position (exact int32 spills, as Int16Blocks). Count inputs (the first stage, from a
// frame: few active cells) are scattered: each active cell adds count x its rows into the int32
// sums of the outputs it reaches. The LIF update then runs per position. Integer sums are exact
// in any order, so the result equals the dense engine bit for bit; the LIF uses the reference
// float operations.
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

#include "snngx/snn/geometry.hpp"

namespace snngx::snn::detail {

using Taps = geometry::Taps;  // per coordinate: (kernel offset, other coordinate) pairs (snngx/snn/geometry.hpp)

/// Whether this build has the fused kernel (it needs AVX-512BW); callers fall back otherwise.
bool conv_lif_available();

/// Whether `cout` suits the kernel (whole 32-channel words).
inline bool conv_lif_supports(int cout) { return cout > 0 && cout % 32 == 0; }

/// Allocates on 64-byte (cache line) boundaries, so that every 64-byte row load of the widened
/// weights stays in one line.
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheLineAllocator() = default;
  template <class U>
  explicit CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}
  [[nodiscard]] T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, kAlign); }
  friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
};
template <class T>
using CacheLineVector = std::vector<T, CacheLineAllocator<T>>;

/// A stage's weights for spike inputs, laid out by conv_lif_tap_major: int8 as stored, or widened
/// to int16 when a slab fits L1 twice over (no per-row widening then; conv_lif_widens).
struct TapMajorWeights {
  CacheLineVector<std::int8_t> narrow;
  CacheLineVector<std::int16_t> wide;
  [[nodiscard]] bool valid() const { return !narrow.empty() || !wide.empty(); }
};

/// One quantized Conv2d followed by a LIF layer.
struct ConvLif {
  int cin = 0, cout = 0, height = 0, width = 0, out_height = 0, out_width = 0, kh = 1, kw = 1;
  const std::int8_t* weights = nullptr;  // signed magnitudes, [cin][kh][kw][cout]
  const TapMajorWeights* tap_major = nullptr;  // the same as conv_lif_tap_major lays them out (spike inputs)
  const Taps* row_offsets = nullptr;     // kh entries (geometry::taps_by_offset), for spike inputs
  const Taps* col_offsets = nullptr;     // kw entries
  const Taps* in_rows = nullptr;         // height entries (geometry::taps_by_input), for count inputs
  const Taps* in_cols = nullptr;         // width entries
  int max_magnitude = 127;               // largest |weight| of the layer (bounds one int16 addend)
  float scale = 1.0f;                    // 2^e
  float decay = 0.0f, threshold = 0.0f;
};

/// The working buffers of one stage, reused from step to step (the engine's per-sample state).
struct ConvScratch {
  std::vector<std::int32_t> lists;   // per input position, the weight-row offsets of its spikes
  CacheLineVector<std::int16_t> acc16;  // tap-major path: per output position, int16 sums of one block
  CacheLineVector<std::int32_t> acc32;  // and their int32 spills; count inputs: the int32 sums
  std::vector<std::int32_t> used;    // bound on |lane| of each position's int16 sums
  std::vector<std::uint8_t> status;  // 0 no input yet, 1 summed, 2 spilled into acc32 (count inputs: 0 or 1)
};

/// Channels per block of the kernel (the int16 sums of 32, 64 or 128 outputs kept in registers).
int conv_lif_block(int cout);

/// Whether conv_lif_tap_major widens this stage's weights to int16: when the slab of one kernel
/// offset and channel block (cin x block x 2 bytes) takes at most half of this machine's L1 data
/// cache. Widened rows are added with one load each instead of a load and a sign extension (the
/// stage's bound: ~6 % faster on a 48 KB-L1 Xeon); a slab that would crowd L1 stays int8.
bool conv_lif_widens(int cin, int cout);

/// `weights` ([cin][kh][kw][cout]) rearranged for spike inputs as [kh*kw][cout / block][cin][block]
/// (block = conv_lif_block(cout)), on cache-line boundaries: the rows one kernel offset adds into
/// one channel block lie together, 16 KB for 128 inputs x 128 int8 channels, so they stay in L1
/// while every output position takes them. (Gathering per output position instead walked all nine
/// offsets' rows, 9x that, for each position from L2: the stage's bound; measured again on int16
/// rows in session 8: 17 % slower.)
/// Widened as conv_lif_widens says for this machine, or as `widen` says (tests pin both).
TapMajorWeights conv_lif_tap_major(const std::vector<std::int8_t>& weights, int cin, int kh, int kw, int cout);
TapMajorWeights conv_lif_tap_major(const std::vector<std::int8_t>& weights, int cin, int kh, int kw, int cout, bool widen);

/// Runs the stage for one time step. `in_bits` marks the active inputs; `counts` (channels-last
/// [H*W][cin], read only where a bit is set) gives their values, or is null when every active
/// input is a spike (value 1). `v` is the LIF membrane, channels-last [OH*OW][cout]; the spike of
/// the previous step is v > threshold (see inference.cpp). Writes the new spikes to `out_bits`.
/// `scratch` is the stage's own. Spike inputs (`tap_major`, `row_offsets` and `col_offsets` set)
/// are summed one kernel offset at a time into per-position int16 sums in `scratch`; count inputs
/// (`in_rows` and `in_cols` set) are scattered into per-position int32 sums there.
void conv_lif(const ConvLif& c, const std::uint32_t* in_bits, const std::int32_t* counts, float* v, std::uint32_t* out_bits,
              ConvScratch& scratch);

/// Currents of a quantized Linear from its active inputs: current[o] = scale * sum_k n_k *
/// w[active[k] * stride + o] for o < outputs (stride % 32 == 0, rows zero padded), n_k = counts[k]
/// or 1 without counts. Integer sums in int16 registers with exact int32 spills (as conv_lif), so
/// the result is the exact integer sum scaled once. Returns false (nothing written) when this build
/// has no kernel for it; callers then take the portable loop.
bool linear_currents(const std::int8_t* w, std::size_t stride, std::size_t outputs, const std::uint32_t* active, std::size_t count,
                     const std::uint16_t* counts, int max_magnitude, float scale, float* current);

/// Spike bitmap -> channels-last floats 0/1 ([positions][channels], channels % 32 == 0).
void bits_to_floats(const std::uint32_t* bits, std::size_t positions, int channels, float* out);

/// Spike bitmap -> the channels-first indices (c * positions + p) of its spikes, in bitmap order
/// (position by position), for a Linear that takes the flattened map.
void bits_to_list(const std::uint32_t* bits, std::size_t positions, int channels, std::vector<std::uint32_t>& list);

}  // namespace snngx::snn::detail
