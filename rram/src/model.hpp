#pragma once
// Internal: the programmed chip shared by the fast (accelerator.cpp) and cycle (cycle_model.cpp)
// modes, so that both use the same devices, key partitions and timing constants.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "snngx/rram/accelerator.hpp"

namespace snngx::rram::detail {

/// Deterministic, order-independent random draws: a hash of (seed, keys...) -> uniform / normal.
std::uint64_t mix(std::uint64_t a, std::uint64_t b);
double uniform01(std::uint64_t h);
double normal(std::uint64_t h);

/// One active row of a read: unrolled row index and its count (1 for spikes).
struct ActiveRow {
  std::int32_t row;
  std::int32_t count;
};

struct Timing {
  int settle = 0, columns_per_adc = 1, conversion_cycles = 1, window = 1;
  int overhead = 0, adder_cycles_per_level = 1, lif_units = 1, input_bits = 8;
};

struct Adc {
  bool ideal = true;
  int bits = 8;
  double offset = 0.0;
  [[nodiscard]] std::int64_t convert(double current) const;
};

struct ChipLayer {
  LayerMapping m;
  float scale = 1.0f, decay = 0.3f, threshold = 0.3f;
  int cin = 0, kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, H = 1, W = 1, OH = 1, OW = 1;
  std::vector<std::int16_t> w;   // [rows][cols] stored signed magnitudes
  std::vector<float> g;          // [rows][cols][2][slices] conductances in level units (physical path)
  std::size_t in_numel = 0, out_numel = 0;
  bool first = false;            // fed by the frames (counts)
  // Key partitions per tile (rt * col_tiles + ct); only non-empty ones.
  std::map<int, std::vector<KeyEntry>> tile_keys;
  [[nodiscard]] int tile_col_begin(int ct) const { return ct * m.cols_per_tile; }
  [[nodiscard]] int tile_col_count(int ct) const;
};

struct Chip {
  snn::Network net;
  ChipConfig cfg;
  Mapping map;
  std::vector<snn::Shape> shapes;
  std::vector<ChipLayer> layers;       // per weighted layer
  std::vector<std::vector<KeyEntry>> key;
  Timing timing;
  Adc adc;
  bool physical = false;               // per-column path (non-ideal devices or finite ADC)
  double read_noise = 0.0;
  std::uint64_t seed = 1;
  int slices = 7, bits_per_cell = 1;
  std::string du_name = "behavioural";
  DecryptionParams du_params;

  Chip(const snn::Network& stored, const ChipConfig& config);
  void set_key(std::vector<std::vector<KeyEntry>> entries);

  /// Active rows of read `position` of weighted layer `l` for input activation x, grouped by position (CSR).
  struct Reads {
    std::vector<std::int32_t> offsets;  // positions + 1
    std::vector<ActiveRow> rows;        // sorted by row within a position
  };
  void gather(const ChipLayer& L, std::span<const float> x, Reads& reads) const;
  /// Read noise factor of one physical column current.
  [[nodiscard]] double noise(std::uint64_t sample, int t, std::size_t layer, int position, int pulse, int rt,
                             std::size_t column) const;
  [[nodiscard]] std::uint64_t layer_cycles(const ChipLayer& L, std::span<const int> pulses_per_read) const;
  /// The shift-add result of one logical column from the ADC codes of its G+ and G- slices.
  [[nodiscard]] std::int64_t combine(std::span<const std::int64_t> codes_pos, std::span<const std::int64_t> codes_neg) const;
};

}  // namespace snngx::rram::detail

namespace snngx::rram {
struct Accelerator::Impl {
  detail::Chip chip;
  Impl(const snn::Network& stored, const ChipConfig& cfg) : chip(stored, cfg) {}
};
}  // namespace snngx::rram
