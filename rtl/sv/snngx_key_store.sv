// Trusted key store of the SNNGX decryption unit: KEY_DEPTH entries (row, column, correction),
// written one entry per cycle before inference and read all at once by the match logic (a small
// CAM). Contents are not reset (an eFuse/register-file model); `key_count` in the unit gates
// them. A write is visible from the cycle after key_we. Writes must not overlap reads in flight
// (the key is loaded once, before inference).
module snngx_key_store #(
    parameter int KEY_DEPTH = 256,
    parameter int ROW_W     = 16,
    parameter int COL_W     = 16,
    parameter int CORR_W    = 32,  // stored correction width (<= PSUM_W); values are sign-extended
    parameter int PSUM_W    = 32,
    localparam int ADDR_W   = (KEY_DEPTH > 1) ? $clog2(KEY_DEPTH) : 1
) (
    input  logic                                clk,
    input  logic                                key_we,
    input  logic [ADDR_W-1:0]                   key_addr,
    input  logic [ROW_W-1:0]                    key_row,
    input  logic [COL_W-1:0]                    key_col,
    input  logic [PSUM_W-1:0]                   key_corr,
    output logic [KEY_DEPTH*ROW_W-1:0]          rows,   // entry e at [e*ROW_W +: ROW_W]
    output logic [KEY_DEPTH*COL_W-1:0]          cols,
    output logic [KEY_DEPTH*CORR_W-1:0]         corrs
);
  // Only the low CORR_W bits are stored: a narrower store (CORR_W < PSUM_W, e.g. 9 bits for
  // 8-bit weights, whose corrections are at most +-254) must only be given keys that fit.
  /* verilator lint_off UNUSEDSIGNAL */
  logic [PSUM_W-CORR_W:0] unused_corr_msbs;
  /* verilator lint_on UNUSEDSIGNAL */
  assign unused_corr_msbs = key_corr[PSUM_W-1:CORR_W-1];

  always_ff @(posedge clk) begin
    if (key_we && 32'(key_addr) < KEY_DEPTH) begin
      rows[32'(key_addr)*ROW_W+:ROW_W]    <= key_row;
      cols[32'(key_addr)*COL_W+:COL_W]    <= key_col;
      corrs[32'(key_addr)*CORR_W+:CORR_W] <= key_corr[CORR_W-1:0];
    end
  end
endmodule
