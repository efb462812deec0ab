// Top of the RTL: the SNNGX decryption unit with its key store, joined to the adder-tree stage
// that merges its corrections into the tile's partial sums. This is the module Verilator turns
// into the SystemC model used by `snngx cosim` and the lockstep test. Ports of the unit follow
// the decryption-unit contract; psum_* / out_* are the adder-tree stage.
// HAS_DECRYPT = 0 builds the same stage without the unit (for the latency comparison and the
// area baseline).
module snngx_decrypt_slice #(
    parameter int ROWS        = 128,
    parameter int LANES       = 16,
    parameter int KEY_DEPTH   = 256,
    parameter int PSUM_W      = 32,
    parameter int ROW_W       = 16,
    parameter int COL_W       = 16,
    parameter int CORR_W      = PSUM_W,
    parameter int LAT         = 2,
    parameter int FIFO_DEPTH  = 2,
    parameter int HAS_DECRYPT = 1,  // 0: the stage without the unit
    localparam int ADDR_W     = (KEY_DEPTH > 1) ? $clog2(KEY_DEPTH) : 1,
    localparam int COUNT_W    = $clog2(KEY_DEPTH + 1)
) (
    input  logic                    clk,
    input  logic                    rst,
    input  logic                    key_we,
    input  logic [ADDR_W-1:0]       key_addr,
    input  logic [ROW_W-1:0]        key_row,
    input  logic [COL_W-1:0]        key_col,
    input  logic [PSUM_W-1:0]       key_corr,
    input  logic [COUNT_W-1:0]      key_count,
    input  logic                    in_valid,
    input  logic [ROW_W-1:0]        in_row_base,
    input  logic [COL_W-1:0]        in_col_base,
    input  logic [ROWS-1:0]         in_active,
    output logic                    corr_valid,
    output logic [LANES*PSUM_W-1:0] corr,
    input  logic                    psum_valid,
    input  logic [LANES*PSUM_W-1:0] psum,
    output logic                    out_valid,
    output logic [LANES*PSUM_W-1:0] out_psum,
    output logic                    err_late,
    output logic                    err_overflow
);
  if (HAS_DECRYPT != 0) begin : g_unit
    snngx_decrypt_unit #(
        .ROWS(ROWS), .LANES(LANES), .KEY_DEPTH(KEY_DEPTH), .PSUM_W(PSUM_W),
        .ROW_W(ROW_W), .COL_W(COL_W), .CORR_W(CORR_W), .LAT(LAT)
    ) u_unit (
        .clk, .rst, .key_we, .key_addr, .key_row, .key_col, .key_corr, .key_count,
        .in_valid, .in_row_base, .in_col_base, .in_active, .corr_valid, .corr
    );
  end else begin : g_no_unit
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused;
    /* verilator lint_on UNUSEDSIGNAL */
    assign unused     = ^{key_we, key_addr, key_row, key_col, key_corr, key_count,
                          in_valid, in_row_base, in_col_base, in_active};
    assign corr_valid = 1'b0;
    assign corr       = '0;
  end

  snngx_correction_stage #(
      .LANES(LANES), .PSUM_W(PSUM_W), .HAS_DECRYPT(HAS_DECRYPT), .FIFO_DEPTH(FIFO_DEPTH)
  ) u_stage (
      .clk, .rst, .corr_valid, .corr, .psum_valid, .psum,
      .out_valid, .out_psum, .err_late, .err_overflow
  );
endmodule
