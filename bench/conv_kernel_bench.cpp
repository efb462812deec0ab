// Issue 17 point 4: would an AVX-512 VNNI (vpdpbusd) path beat the event conv kernel's row gather?
// Times, per 128 output channels, the two inner loops on weights held in one working set:
//   gather: one active input's int8 weight row widened to int16 and added (what
//           snn/src/event_conv.cpp does per active input and kernel tap: 4 x vpmovsxbw + vpaddw);
//   vnni:   one group of 4 input channels, active or not, as vpdpbusd (u8 spikes x s8 weights,
//           4 products per int32 lane: 8 instructions for 128 outputs), the dense-by-groups scheme.
// A group path pays only where a nonzero group holds more active inputs than vnni / gather. The
// working sets show what L1 residency is worth in isolation; blocking the real kernel by input
// channel to get it was slower (README, "The CSNN engine").
// Usage: conv_kernel_bench [--quick] [--kib N ...] [--reps N]   (about 1 s; --quick about 0.1 s)
#include "bench_common.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>
#define SNNGX_BENCH_VNNI 1
#else
#define SNNGX_BENCH_VNNI 0
#endif

namespace {

#if SNNGX_BENCH_VNNI
// GCC 12 flags the intrinsics' own _mm512_undefined_*() placeholders as uninitialized uses.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

constexpr std::size_t kRow = 128;  // output channels per block, bytes per gathered row
constexpr std::size_t kGroup = 512;  // bytes of 4 channels x 128 outputs (vpdpbusd layout)

// Visits rows in a scattered order inside the working set, as receptive fields do (no division
// in the timed loop).
std::size_t next_row(std::size_t at, std::size_t rows) {
  at += 37;
  while (at >= rows) at -= rows;
  return at;
}

template <class F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// ns per gathered row: 128 int8 weights widened and added into 4 int16 registers.
double gather_ns(const std::vector<std::int8_t>& w, std::size_t reps, std::int64_t& sink) {
  const std::size_t rows = w.size() / kRow, n = reps * rows;
  const double s = seconds([&] {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    std::size_t at = 0;
    for (std::size_t r = 0; r < n; ++r, at = next_row(at, rows)) {
      const std::int8_t* row = w.data() + at * kRow;
      a0 = _mm512_add_epi16(a0, _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row))));
      a1 = _mm512_add_epi16(a1, _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 32))));
      a2 = _mm512_add_epi16(a2, _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 64))));
      a3 = _mm512_add_epi16(a3, _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 96))));
    }
    sink += _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)));
  });
  return s / static_cast<double>(n) * 1e9;
}

/// ns per 4-channel group: 8 vpdpbusd into 8 int32 registers (128 outputs).
double vnni_ns(const std::vector<std::int8_t>& w, std::size_t reps, std::int64_t& sink) {
  const std::size_t groups = w.size() / kGroup, n = reps * groups;
  const double s = seconds([&] {
    __m512i a[8];
    for (auto& x : a) x = _mm512_setzero_si512();
    std::size_t at = 0;
    for (std::size_t g = 0; g < n; ++g, at = next_row(at, groups)) {
      const std::int8_t* grp = w.data() + at * kGroup;
      const __m512i spikes = _mm512_set1_epi32(0x01000101 + static_cast<int>(g & 1));  // 0/1 bytes
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) a[j] = _mm512_dpbusd_epi32(a[j], spikes, _mm512_loadu_si512(grp + 64 * j));
    }
    __m512i t = a[0];
    for (int j = 1; j < 8; ++j) t = _mm512_add_epi32(t, a[j]);
    sink += _mm512_reduce_add_epi32(t);
  });
  return s / static_cast<double>(n) * 1e9;
}
#pragma GCC diagnostic pop
#endif

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Event conv kernel: int8 row gather (widen + add) against VNNI vpdpbusd groups"};
  bool quick = false;
  std::vector<std::size_t> kib{16, 72, 288};  // L1-resident; conv2's and conv4's weights (DVSGesture CSNN)
  std::size_t reps = 100000;
  snngx::bench::add_quick_flag(app, quick);
  app.add_option("--kib", kib, "working sets of weights, KiB")->check(CLI::Range(1, 1 << 20));
  app.add_option("--reps", reps, "passes over a 16-KiB working set (larger sets: proportionally fewer)")->check(CLI::Range(1, 1 << 30));
  return snngx::bench::run(app, argc, argv, [&] {
#if SNNGX_BENCH_VNNI
    if (quick) reps = std::max<std::size_t>(1, reps / 10);
    fmt::print("{}, 1 thread, best of 5 runs\n\n", snngx::bench::cpu_name());
    fmt::print("| weights | gather: ns per active input row (128 outputs) | vnni: ns per 4-channel group | break-even active inputs per nonzero group |\n");
    fmt::print("|---|---|---|---|\n");
    std::int64_t sink = 0;
    for (const std::size_t k : kib) {
      std::vector<std::int8_t> w(k * 1024);
      for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<std::int8_t>(i * 7 + 3);
      const std::size_t scaled = std::max<std::size_t>(1, reps * 16 / k);  // same rows visited per working set
      // Best of 5 alternating runs: the machine may be shared, and interference only adds time.
      double g = 1e300, v = 1e300;
      for (int run = 0; run < 5; ++run) {
        g = std::min(g, gather_ns(w, scaled, sink));
        v = std::min(v, vnni_ns(w, scaled, sink));
      }
      fmt::print("| {} KiB | {:.2f} | {:.2f} | {:.1f} of 4 |\n", k, g, v, v / g);
    }
    if (sink == 42) fmt::print("\n");  // keeps the sums alive
#else
    fmt::print("conv_kernel_bench: skipped (this build has no AVX-512 VNNI)\n");
#endif
  });
}
