#pragma once
// Crossbar tiles (config key `crossbar`; built-ins "ideal", "rram"). A tile is `rows` wordlines x
// `columns` bitlines in two arrays, G+ and G-: the sign of an 8-bit sign-magnitude weight picks
// the array, its 7 magnitude bits are sliced over ceil(7 / bits_per_cell) adjacent columns of
// bits_per_cell-bit cells (slice s holds bits s*b .. s*b+b-1). The crossbar stores every weighted
// layer's matrix; the chip cuts it into tiles (accelerator.hpp) and reads one row tile at a time.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

/// One active row of a read: the row of the layer's unrolled weight matrix and its input count
/// (1 for spikes; a first-layer event count n drives the row on read pulses 1..n).
struct ActiveRow {
  std::int32_t row;
  std::int32_t count;
};

/// One pulse of one row tile's read; identifies the read for per-read effects (read noise).
struct TileRead {
  std::size_t layer = 0;  // weighted layer
  int row_tile = 0;
  int pulse = 1;          // the rows with count >= pulse are driven
  std::uint64_t sample = 0;
  int time_step = 0;
  int position = 0;       // output position (read) within the layer's time step
};

class ICrossbar {
 public:
  virtual ~ICrossbar() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Cycles to drive the wordlines and let the bitlines settle, per read pulse.
  [[nodiscard]] virtual int settle_cycles() const = 0;
  [[nodiscard]] virtual int bits_per_cell() const = 0;
  /// Physical columns per weight magnitude in each array: ceil(7 / bits_per_cell).
  [[nodiscard]] int slices() const { return (7 + bits_per_cell() - 1) / bits_per_cell(); }

  /// Programs weighted layer `layer` (0, 1, ... in order) with signed magnitudes -127..127,
  /// laid out [rows][cols] (row = unrolled input, col = logical output column).
  virtual void program(std::size_t layer, int rows, int cols, std::span<const std::int16_t> weights) = 0;
  /// True when every cell conducts exactly its programmed level on every read; with a lossless
  /// ADC the chip then computes reads as integer dot products (accumulate) instead of currents.
  [[nodiscard]] virtual bool exact() const = 0;
  /// What exact cells, ADCs, shift-add and G+ minus G- give for a read of `rows` (any row tiles):
  /// acc[col] += w[row][col] * count for every active row.
  virtual void accumulate(std::size_t layer, std::span<const ActiveRow> rows, std::span<std::int64_t> acc) const = 0;
  /// Bitline currents in level units of one pulse of one row tile, every physical column of the
  /// layer laid out [logical column][G+, G-][slice]; `rows` are that tile's active rows (only
  /// those with count >= read.pulse are driven). Overwrites `currents` (cols * 2 * slices values).
  virtual void read(const TileRead& read, std::span<const ActiveRow> rows, std::span<double> currents) const = 0;
};

template <>
struct ComponentTraits<ICrossbar> : ComponentKind<"crossbar"> {};
template <>
ImplRegistry<ICrossbar>& registry<ICrossbar>();

}  // namespace snngx::rram
