#pragma once
// The SNNGX decryption unit and its trusted key store (spec: accelerator.md section 2; interface
// contract shared with rtl/). The crossbars hold the ENCRYPTED weights; the unit adds, to the
// partial sums of one tile read, the correction of every key entry whose row carries a spike.
//
// Two implementations must behave identically at this interface, edge by edge:
//  - "behavioural": the C++ model in rram/ (always registered);
//  - "rtl": rtl/'s Verilated RTL (target snngx_cosim), registered by rtl/ at start-up;
//  - "none" is a chip without the unit (make_decryption_unit returns nullptr).
// The accelerator gives every crossbar tile (ROWS rows x its logical columns) its own unit with
// its own key-store partition, holding the entries whose (row, col) fall in that tile; requests of
// a tile read carry in_row_base = the tile's first row and in_col_base = the tile's first logical
// column + g * LANES for lane group g = 0 .. ceil(tile columns / LANES) - 1, issued on the first
// cycles of the read (one per cycle). Units whose partition is empty output 0 by contract and are
// not simulated.
//
// Signal-level contract (names of the RTL ports):
//  - Parameters: ROWS = params.rows (rows per tile read, default 128), LANES = params.lanes
//    (logical output columns corrected per request, default 16), KEY_DEPTH = params.key_depth
//    (default 256), PSUM_W = 32, ROW_W = COL_W = 16, LAT = params.latency (default 2).
//  - Key store write port: key_we, key_addr, key_row, key_col, key_corr (signed PSUM_W), and
//    key_count (valid entries; 0 = no key = all corrections 0).
//      key_row: row of the layer's unrolled weight matrix (Linear: input index; Conv2d: im2col
//               row c*kh*kw + ky*kw + kx).
//      key_col: logical output column (Linear: output neuron; Conv2d: output channel).
//      key_corr: w_plain - w_stored in units of the layer's weight step 2^e (signed magnitudes);
//               for a flipped sign bit it is +2*m*s (m plain magnitude, s plain sign). One entry
//               per (row, col) weight whose stored byte differs from the plain one.
//  - Request (one-cycle pulse): in_valid, in_row_base, in_col_base, in_active (ROWS bits; bit r
//    set = row in_row_base + r carries a spike in this read).
//  - Response exactly LAT cycles later: corr_valid = 1 and corr = LANES x PSUM_W, lane j =
//    sum of key_corr over valid entries with key_col == in_col_base + j,
//    in_row_base <= key_row < in_row_base + ROWS and in_active[key_row - in_row_base] set
//    (two's-complement wrap-around at PSUM_W bits).
//  - rst: synchronous, active high; clears the pipeline (corr_valid = 0) but not the key store.
//
// Cycle semantics of tick(): one call = one rising clock edge. The call (1) samples the outputs
// corr_valid/corr as they are before the edge (they come from registers), (2) applies the
// request (in_valid = request != nullptr), (3) clocks the edge. So a request given to call n is
// returned by call n + LAT: LAT register stages from in_valid to corr_valid. The accelerator
// issues its requests in the first cycles of a tile's ADC conversion window and adds corr when
// the partial sums leave the ADCs; the config check guarantees requests + LAT fit in that
// window, so the cycle count is the same with "none", "behavioural" and "rtl" (tested).
//
// Multi-level first-layer inputs (event counts) are issued as repeated reads: read pulse k
// (k = 1..max count) activates the rows whose count is >= k; each pulse is a separate request.
//
// How rtl/ plugs in its Verilated unit: call
//   register_decryption_unit("rtl", [](const DecryptionParams& p) { return std::make_unique<RtlUnit>(p); });
// once before building the accelerator, then select `decryption_unit: {impl: rtl}` in the chip
// config (or pass the name in AcceleratorOptions::decryption_unit, see accelerator.hpp).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace snngx::rram {

struct DecryptionParams {
  int rows = 128;       // ROWS
  int lanes = 16;       // LANES
  int key_depth = 256;  // KEY_DEPTH
  int latency = 2;      // LAT (cycles, >= 1)
  static constexpr int psum_bits = 32;  // PSUM_W
  static constexpr int row_bits = 16;   // ROW_W
  static constexpr int col_bits = 16;   // COL_W
  /// Throws std::invalid_argument naming the parameter if a value is out of range.
  void validate() const;
};

/// One key-store entry (see key_row / key_col / key_corr above).
struct KeyEntry {
  std::uint16_t row = 0;
  std::uint16_t col = 0;
  std::int32_t corr = 0;
  friend bool operator==(const KeyEntry&, const KeyEntry&) = default;
};

/// One read presented to the unit (the in_valid pulse and its operands).
struct CorrectionRequest {
  std::uint32_t row_base = 0;
  std::uint32_t col_base = 0;
  /// ROWS-bit mask, ceil(ROWS/64) words: bit r of word r/64 (LSB first) = row row_base + r active.
  std::vector<std::uint64_t> active;

  [[nodiscard]] bool row_active(std::uint32_t r) const { return (active[r / 64] >> (r % 64)) & 1U; }
};

class IDecryptionUnit {
 public:
  virtual ~IDecryptionUnit() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual const DecryptionParams& params() const = 0;
  /// Writes entries 0..n-1 through the key write port and sets key_count = n (an empty span
  /// clears the key). Throws std::invalid_argument if n > key_depth.
  virtual void load_key(std::span<const KeyEntry> entries) = 0;
  /// Synchronous reset (one edge with rst = 1): empties the pipeline, keeps the key store.
  virtual void reset() = 0;
  /// One rising clock edge (see "Cycle semantics" above). Returns corr_valid as seen before the
  /// edge and, when true, writes corr (params().lanes values) into `corr`.
  virtual bool tick(const CorrectionRequest* request, std::span<std::int32_t> corr) = 0;

  /// Transaction-level use (the accelerator's fast mode): the correction of one request with an
  /// otherwise idle pipeline. The default ticks the pipeline LAT + 1 times; the behavioural
  /// unit overrides it with a direct lookup. Leaves the pipeline empty.
  virtual void correct(const CorrectionRequest& request, std::span<std::int32_t> corr);
};

using DecryptionUnitFactory = std::function<std::unique_ptr<IDecryptionUnit>(const DecryptionParams&)>;

/// Registers an implementation under `name` (replaces an existing one of that name).
void register_decryption_unit(const std::string& name, DecryptionUnitFactory factory);
/// Names of the registered implementations plus "none".
std::vector<std::string> decryption_unit_names();
/// Builds the implementation `name`; "none" returns nullptr (a chip without the unit).
/// Throws std::invalid_argument naming the unknown implementation and the known ones.
std::unique_ptr<IDecryptionUnit> make_decryption_unit(const std::string& name, const DecryptionParams& params);

/// The behavioural unit (what "behavioural" builds).
std::unique_ptr<IDecryptionUnit> make_behavioural_decryption_unit(const DecryptionParams& params);

/// Slow, obviously-correct reference of the lane sums (for tests of any implementation).
std::vector<std::int32_t> reference_correction(std::span<const KeyEntry> key, const DecryptionParams& params,
                                               const CorrectionRequest& request);

}  // namespace snngx::rram
