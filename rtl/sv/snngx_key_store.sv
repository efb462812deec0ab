// Trusted key store of the SNNGX decryption unit: KEY_DEPTH entries (row, column, correction),
// written one entry per cycle before inference, read all at once by the match logic (a small
// CAM). Contents are not reset (an eFuse/register file keeps them); `key_count` gates them.
// A write is visible from the cycle after key_we.
module snngx_key_store #(
    parameter int KEY_DEPTH = 256,
    parameter int ROW_W     = 16,
    parameter int COL_W     = 16,
    parameter int CORR_W    = 32,  // stored correction width (<= PSUM_W); values are sign-extended
    parameter int PSUM_W    = 32,
    localparam int ADDR_W   = (KEY_DEPTH > 1) ? $clog2(KEY_DEPTH) : 1
) (
    input  logic                        clk,
    input  logic                        key_we,
    input  logic [ADDR_W-1:0]           key_addr,
    input  logic [ROW_W-1:0]            key_row,
    input  logic [COL_W-1:0]            key_col,
    input  logic [PSUM_W-1:0]           key_corr,
    output logic [KEY_DEPTH*ROW_W-1:0]  rows,
    output logic [KEY_DEPTH*COL_W-1:0]  cols,
    output logic [KEY_DEPTH*CORR_W-1:0] corrs
);
  logic [ROW_W-1:0]  row_q [KEY_DEPTH];
  logic [COL_W-1:0]  col_q [KEY_DEPTH];
  logic [CORR_W-1:0] corr_q[KEY_DEPTH];

  // Only the low CORR_W bits are kept: a key whose corrections need more bits must not be
  // loaded into a narrower store (the loader checks; see docs/rtl.md).
  /* verilator lint_off UNUSEDSIGNAL */
  logic [PSUM_W-CORR_W:0] unused_corr_msbs;
  /* verilator lint_on UNUSEDSIGNAL */
  assign unused_corr_msbs = key_corr[PSUM_W-1:CORR_W-1];

  always_ff @(posedge clk) begin
    if (key_we && 32'(key_addr) < KEY_DEPTH) begin
      row_q[key_addr]  <= key_row;
      col_q[key_addr]  <= key_col;
      corr_q[key_addr] <= key_corr[CORR_W-1:0];
    end
  end

  for (genvar e = 0; e < KEY_DEPTH; e++) begin : g_flat
    assign rows[e*ROW_W+:ROW_W]    = row_q[e];
    assign cols[e*COL_W+:COL_W]    = col_q[e];
    assign corrs[e*CORR_W+:CORR_W] = corr_q[e];
  end
endmodule
