// SNNGX decryption unit (spec: accelerator.md section 2; interface: the decryption-unit
// contract of rram/include/snngx/rram/decryption_unit.hpp).
//
// For every tile read (one-cycle pulse in_valid with the read's row/column bases and its
// ROWS-bit active-row mask) it produces, exactly LAT cycles later, the LANES partial-sum
// corrections: lane j = sum of key_corr over valid key entries whose column is
// in_col_base + j and whose row lies in [in_row_base, in_row_base + ROWS) with its mask bit set
// (two's complement, wrapping at PSUM_W bits). Fully pipelined: a read may be issued every
// cycle. corr is zero whenever corr_valid is low.
//
// Pipeline (LAT >= 2): stage 1 matches every key entry against the read in parallel (row
// window, mask bit, column lane) and registers one hit bit and one lane index per entry;
// stage 2 sums each lane's hits in a balanced adder tree into the output register. LAT > 2
// adds delay registers after stage 2; LAT = 1 does both stages in one cycle.
module snngx_decrypt_unit #(
    parameter int ROWS      = 128,
    parameter int LANES     = 16,
    parameter int KEY_DEPTH = 256,
    parameter int PSUM_W    = 32,
    parameter int ROW_W     = 16,
    parameter int COL_W     = 16,
    parameter int CORR_W    = PSUM_W,
    parameter int LAT       = 2,
    localparam int ADDR_W   = (KEY_DEPTH > 1) ? $clog2(KEY_DEPTH) : 1,
    localparam int COUNT_W  = $clog2(KEY_DEPTH + 1)
) (
    input  logic                         clk,
    input  logic                         rst,        // synchronous, active high: clears the pipeline
    // key store write port (trusted; loaded before inference)
    input  logic                         key_we,
    input  logic [ADDR_W-1:0]            key_addr,
    input  logic [ROW_W-1:0]             key_row,
    input  logic [COL_W-1:0]             key_col,
    input  logic [PSUM_W-1:0]            key_corr,
    input  logic [COUNT_W-1:0]           key_count,  // entries [0, key_count) are valid
    // tile reads
    input  logic                         in_valid,
    input  logic [ROW_W-1:0]             in_row_base,
    input  logic [COL_W-1:0]             in_col_base,
    input  logic [ROWS-1:0]              in_active,
    // corrections, LAT cycles after in_valid
    output logic                         corr_valid,
    output logic [LANES*PSUM_W-1:0]      corr  // lane j at [j*PSUM_W +: PSUM_W]
);
  localparam int RIDX_W = (ROWS > 1) ? $clog2(ROWS) : 1;
  localparam int LANE_W = (LANES > 1) ? $clog2(LANES) : 1;
  // Tree width: wide enough never to overflow, at most PSUM_W (then it wraps exactly like the
  // PSUM_W adders of the partial-sum path).
  localparam int FULL_W = CORR_W + $clog2(KEY_DEPTH + 1);
  localparam int SUM_W  = (FULL_W < PSUM_W) ? FULL_W : PSUM_W;
  localparam int LEVELS = (KEY_DEPTH > 1) ? $clog2(KEY_DEPTH) : 0;
  localparam int LEAVES = 1 << LEVELS;

  // ---- key store -----------------------------------------------------------------------------
  logic [KEY_DEPTH*ROW_W-1:0]  key_rows;
  logic [KEY_DEPTH*COL_W-1:0]  key_cols;
  logic [KEY_DEPTH*CORR_W-1:0] key_corrs;

  snngx_key_store #(
      .KEY_DEPTH(KEY_DEPTH), .ROW_W(ROW_W), .COL_W(COL_W), .CORR_W(CORR_W), .PSUM_W(PSUM_W)
  ) u_store (
      .clk, .key_we, .key_addr, .key_row, .key_col, .key_corr,
      .rows(key_rows), .cols(key_cols), .corrs(key_corrs)
  );

  // ---- stage 1: parallel match of every entry ------------------------------------------------
  logic [KEY_DEPTH-1:0]             hit;
  logic [KEY_DEPTH*LANE_W-1:0]      lane;
  /* verilator tracing_off */
  logic [ROW_W:0] rel_row;  // one extra bit: a key row below the base borrows (no wrap-around)
  logic [COL_W:0] rel_col;
  /* verilator tracing_on */

  always_comb begin
    for (int e = 0; e < KEY_DEPTH; e++) begin
      rel_row = {1'b0, key_rows[e*ROW_W+:ROW_W]} - {1'b0, in_row_base};
      rel_col = {1'b0, key_cols[e*COL_W+:COL_W]} - {1'b0, in_col_base};
      hit[e]  = e < 32'(key_count) && 32'(rel_row) < ROWS && 32'(rel_col) < LANES
                && in_active[rel_row[RIDX_W-1:0]];
      lane[e*LANE_W+:LANE_W] = rel_col[LANE_W-1:0];
    end
  end

  logic [KEY_DEPTH-1:0]             s1_hit;
  logic [KEY_DEPTH*LANE_W-1:0]      s1_lane;
  logic                             s1_valid;
  if (LAT >= 2) begin : g_s1_reg
    always_ff @(posedge clk) begin
      if (rst) begin
        s1_valid <= 1'b0;
        s1_hit   <= '0;
      end else begin
        s1_valid <= in_valid;
        s1_hit   <= in_valid ? hit : '0;
      end
      s1_lane <= lane;
    end
  end else begin : g_s1_comb  // LAT = 1: match and sum in the same cycle
    assign s1_valid = in_valid;
    assign s1_hit   = in_valid ? hit : '0;
    assign s1_lane  = lane;
  end

  // ---- stage 2: one balanced adder tree per lane ---------------------------------------------
  logic [LANES*PSUM_W-1:0] lane_sums;
  /* verilator tracing_off */
  logic [SUM_W-1:0] node[LEAVES];  // in-place reduction: level l keeps LEAVES >> l partial sums
  /* verilator tracing_on */

  always_comb begin
    for (int j = 0; j < LANES; j++) begin
      for (int i = 0; i < LEAVES; i++) begin
        node[i] = '0;
        if (i < KEY_DEPTH && s1_hit[i] && s1_lane[i*LANE_W+:LANE_W] == LANE_W'(j))
          node[i] = SUM_W'($signed(key_corrs[i*CORR_W+:CORR_W]));
      end
      for (int l = 1; l <= LEVELS; l++)
        for (int i = 0; i < (LEAVES >> l); i++) node[i] = node[2*i] + node[2*i+1];
      lane_sums[j*PSUM_W+:PSUM_W] = PSUM_W'($signed(node[0]));
    end
  end

  // ---- output register and optional extra delay ----------------------------------------------
  localparam int DELAY = (LAT >= 2) ? LAT - 1 : 1;  // registers after the sum
  localparam int CORR_BITS = LANES * PSUM_W;
  logic [DELAY-1:0]           pipe_valid;
  logic [DELAY*CORR_BITS-1:0] pipe_corr;  // stage d at [d*CORR_BITS +: CORR_BITS]
  always_ff @(posedge clk) begin
    if (rst) begin
      pipe_valid <= '0;
      pipe_corr  <= '0;
    end else begin
      pipe_valid[0] <= s1_valid;
      pipe_corr[0+:CORR_BITS] <= s1_valid ? lane_sums : '0;
      for (int d = 1; d < DELAY; d++) begin
        pipe_valid[d] <= pipe_valid[d-1];
        pipe_corr[d*CORR_BITS+:CORR_BITS] <= pipe_corr[(d-1)*CORR_BITS+:CORR_BITS];
      end
    end
  end
  assign corr_valid = pipe_valid[DELAY-1];
  assign corr       = pipe_corr[(DELAY-1)*CORR_BITS+:CORR_BITS];
endmodule
