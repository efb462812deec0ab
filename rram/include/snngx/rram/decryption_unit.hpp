#pragma once
// The SNNGX decryption engine and its key SRAM (spec: accelerator.md section 2; the contract
// shared with rtl/, whose rtl/sv/snngx_decrypt_engine.sv implements it edge for edge).
//
// Architecture (docs/accelerator.md, "The decryption unit"): the crossbars hold the ENCRYPTED
// weights. The decryption unit is a pool of `decryption_unit.engines` engines; at key load each
// crossbar tile that holds key entries is bound to one engine. An engine serves one tile of
// ROWS rows x COLS logical columns (COLS = crossbar.columns / slices):
//  - Key SRAM, row-indexed: word r holds row r's COLS corrections (CORR_W-bit signed,
//    corr = w_plain - w_stored in units of the layer's weight step, 0 = no key entry). The words
//    sit in LANES banks, row r in bank r % LANES at address r / LANES. Capacity is therefore
//    every weight of the tile: no key is too large for a tile, and no logic grows with the key.
//  - A keyed-row bitmap (ROWS flip-flops): keyed[r] = word r has a nonzero correction.
//  - Per read pulse of its tile (request = the ROWS-bit active-row mask of the pulse), the
//    engine streams the rows that are both active and keyed through the SRAM, LANES rows per
//    cycle (one per bank, lowest row first), sums the words column by column and answers with
//    the COLS corrections, which the adder-tree merge stage adds to the tile's partial sums.
//
// Cycle semantics of tick(): one call = one rising clock edge. The call (1) samples the outputs
// corr_valid / corr as they are before the edge, (2) applies the request (in_valid = request !=
// nullptr), (3) clocks the edge. A request is accepted only while the engine is idle (ready);
// giving one while busy is a contract violation (std::logic_error).
// Pipeline, edge by edge, of a request accepted on edge E0 with pending = active & keyed:
//  - E0: pending <= active & keyed, acc <= 0, busy <= 1.
//  - each later edge while busy: (pop) every bank with a pending row clears its lowest one and
//    reads that row's word from the SRAM (data registered by the SRAM on that edge);
//    (sum) s2 <= the column-wise sum of the words read on the previous edge;
//    (accumulate) acc <= acc + s2 of the previous edge;
//    (done) if nothing is pending or in flight, corr_valid <= 1 (for one cycle), corr = acc,
//    busy <= 0.
//  - With work w = max over banks of the pending rows in that bank, the answer is visible to
//    the call n + response_latency(w) for a request given to call n:
//    response_latency(0) = 2, response_latency(w >= 1) = w + 4.
//
// The accelerator issues the request on cycle 0 of each pulse of a bound tile (multi-level
// first-layer inputs: pulse k activates the rows whose count >= k) and needs the answer by the
// pulse's last cycle W - 1 (W = settle + columns_per_adc x conversion cycles). When the answer
// comes later, the pulse is stretched to response_latency(w) + 1 cycles and the difference is
// counted as added cycles (reported, never hidden).
//
// How rtl/ plugs in its Verilated engine: register_component<IDecryptionUnit> with the name
// "rtl" (see rtl/include/snngx/rtl/cosim.hpp), then select `decryption_unit: {impl: rtl}`.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace snngx::rram {

struct DecryptionParams {
  int rows = 128;   // ROWS: rows of the tile an engine serves (crossbar.rows)
  int cols = 18;    // COLS: logical columns of that tile (crossbar.columns / slices)
  int lanes = 10;   // LANES: SRAM banks = keyed rows read per cycle
  static constexpr int corr_bits = 9;   // CORR_W: -256..255 holds any 8-bit sign-magnitude difference
  static constexpr int psum_bits = 32;  // PSUM_W: width of each corr output (sign-extended)
  /// Throws std::invalid_argument naming the parameter if a value is out of range.
  void validate() const;
  /// Rows per SRAM bank (ceil(rows / lanes)).
  [[nodiscard]] int bank_depth() const { return (rows + lanes - 1) / lanes; }
  /// Key SRAM bits of one engine (rows x cols x CORR_W).
  [[nodiscard]] std::uint64_t sram_bits() const {
    return static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols) * corr_bits;
  }
};

/// One key correction in tile-local coordinates (row < ROWS, col < COLS). The accelerator's
/// layer-level entries use the same type with layer coordinates (key_entries in accelerator.hpp).
struct KeyEntry {
  std::uint16_t row = 0;
  std::uint16_t col = 0;
  std::int32_t corr = 0;
  friend bool operator==(const KeyEntry&, const KeyEntry&) = default;
};

/// One read pulse presented to an engine: the tile's active rows.
struct CorrectionRequest {
  /// ROWS-bit mask, ceil(ROWS/64) words: bit r of word r/64 (LSB first) = row r active.
  std::vector<std::uint64_t> active;

  [[nodiscard]] bool row_active(std::uint32_t r) const { return (active[r / 64] >> (r % 64)) & 1U; }
};

/// Ticks from a request to its answer for work w (see the pipeline above).
[[nodiscard]] constexpr int response_latency(int work) { return work == 0 ? 2 : work + 4; }

/// The key SRAM image of one engine: ROWS words of COLS corrections, plus the keyed-row bitmap.
/// Throws std::invalid_argument for an entry outside the tile, a duplicate (row, col) or a
/// correction that does not fit CORR_W bits. A zero correction (a flipped sign of a zero
/// magnitude) is accepted and stores nothing.
struct KeyImage {
  DecryptionParams params;
  std::vector<std::int16_t> words;   // [row][col]
  std::vector<std::uint64_t> keyed;  // ROWS-bit mask
  KeyImage(const DecryptionParams& p, std::span<const KeyEntry> entries);
  [[nodiscard]] std::size_t keyed_rows() const;
  /// Work of a request: the most pending (active and keyed) rows of one bank.
  [[nodiscard]] int work(const CorrectionRequest& request) const;
};

class IDecryptionUnit {
 public:
  virtual ~IDecryptionUnit() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual const DecryptionParams& params() const = 0;
  /// Clears the keyed-row bitmap, then writes the words of the keyed rows through the key
  /// write port (one word per cycle); an empty span leaves the engine without a key (every
  /// answer 0). Only while idle (std::logic_error otherwise). Throws as KeyImage does.
  virtual void load_key(std::span<const KeyEntry> entries) = 0;
  /// Synchronous reset (one edge with rst = 1): empties the pipeline, keeps the key.
  virtual void reset() = 0;
  /// One rising clock edge (see "Cycle semantics" above). Returns corr_valid as seen before the
  /// edge and, when true, writes corr (params().cols values) into `corr`.
  virtual bool tick(const CorrectionRequest* request, std::span<std::int32_t> corr) = 0;

  /// Transaction-level use (the accelerator's fast mode): the answer to one request given to an
  /// idle engine, and the ticks it took (response_latency of its work). The default ticks the
  /// engine until it answers; the behavioural engine computes both directly. Leaves it idle.
  virtual int correct(const CorrectionRequest& request, std::span<std::int32_t> corr);
};

/// The behavioural engine (what implementation "behavioural" builds).
std::unique_ptr<IDecryptionUnit> make_behavioural_decryption_unit(const DecryptionParams& params);

/// Slow, obviously-correct reference of the answer (for tests of any implementation).
std::vector<std::int32_t> reference_correction(std::span<const KeyEntry> key, const DecryptionParams& params,
                                               const CorrectionRequest& request);

}  // namespace snngx::rram
