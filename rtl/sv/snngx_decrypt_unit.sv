// SNNGX decryption unit (spec: accelerator.md section 2; interface: the decryption-unit
// contract shared with rram/include/snngx/rram/decryption_unit.hpp).
//
// For every tile read (one-cycle pulse in_valid with the read's row/column bases and its
// ROWS-bit active-row mask) it produces, exactly LAT cycles later, the LANES partial-sum
// corrections: lane j = sum of key_corr over valid key entries whose column is
// in_col_base + j and whose row lies in [in_row_base, in_row_base + ROWS) with its mask bit set.
// Fully pipelined (one read per cycle may be issued). corr is zero whenever corr_valid is low.
//
// Pipeline (LAT >= 2): stage 1 matches every key entry against the read in parallel (row
// window, mask bit, column lane) and registers a hit bit and a lane index per entry; stage 2
// sums the hits of each lane in a balanced adder tree into the output register. LAT > 2 adds
// delay registers after stage 2; LAT = 1 does both stages in one cycle.
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
    input  logic                    clk,
    input  logic                    rst,          // synchronous, active high: clears the pipeline
    // key store write port (trusted; loaded before inference)
    input  logic                    key_we,
    input  logic [ADDR_W-1:0]       key_addr,
    input  logic [ROW_W-1:0]        key_row,
    input  logic [COL_W-1:0]        key_col,
    input  logic [PSUM_W-1:0]       key_corr,
    input  logic [COUNT_W-1:0]      key_count,    // entries [0, key_count) are valid
    // tile reads
    input  logic                    in_valid,
    input  logic [ROW_W-1:0]        in_row_base,
    input  logic [COL_W-1:0]        in_col_base,
    input  logic [ROWS-1:0]         in_active,
    // corrections, LAT cycles after in_valid
    output logic                    corr_valid,
    output logic [LANES*PSUM_W-1:0] corr
);
  localparam int RIDX_W = (ROWS > 1) ? $clog2(ROWS) : 1;
  localparam int LANE_W = (LANES > 1) ? $clog2(LANES) : 1;
  localparam int SUM_W  = CORR_W + $clog2(KEY_DEPTH + 1);  // cannot overflow before sign extension

  if (LAT < 1) begin : g_bad_lat
    $error("snngx_decrypt_unit: LAT must be >= 1");
  end
  if (CORR_W > PSUM_W || CORR_W < 2) begin : g_bad_corr_w
    $error("snngx_decrypt_unit: need 2 <= CORR_W <= PSUM_W");
  end

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

  // ---- stage 1: parallel match ---------------------------------------------------------------
  logic [KEY_DEPTH-1:0] hit;
  logic [LANE_W-1:0]    lane[KEY_DEPTH];

  for (genvar e = 0; e < KEY_DEPTH; e++) begin : g_match
    // One extra bit so that a borrow (key row/col below the base) is visible; no wrap-around.
    logic [ROW_W:0] rel_row;
    logic [COL_W:0] rel_col;
    logic           entry_valid, row_in_window, col_in_window;
    assign rel_row       = {1'b0, key_rows[e*ROW_W+:ROW_W]} - {1'b0, in_row_base};
    assign rel_col       = {1'b0, key_cols[e*COL_W+:COL_W]} - {1'b0, in_col_base};
    assign entry_valid   = 32'(e) < 32'(key_count);
    assign row_in_window = (ROW_W + 1 > 31 || rel_row < (ROW_W + 1)'(ROWS));
    assign col_in_window = (COL_W + 1 > 31 || rel_col < (COL_W + 1)'(LANES));
    assign hit[e]  = entry_valid && row_in_window && col_in_window && in_active[rel_row[RIDX_W-1:0]];
    assign lane[e] = rel_col[LANE_W-1:0];
  end

  logic [KEY_DEPTH-1:0] s1_hit;
  logic [LANE_W-1:0]    s1_lane[KEY_DEPTH];
  logic                 s1_valid;
  // LAT = 1: stage 1 is combinational (no register between match and sum).
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
  end else begin : g_s1_comb
    assign s1_valid = in_valid;
    assign s1_hit   = in_valid ? hit : '0;
    assign s1_lane  = lane;
  end

  // ---- stage 2: per-lane adder trees ---------------------------------------------------------
  logic [LANES*PSUM_W-1:0] lane_sums;
  for (genvar j = 0; j < LANES; j++) begin : g_lane
    logic [KEY_DEPTH*CORR_W-1:0] masked;
    logic [SUM_W-1:0]            sum;
    for (genvar e = 0; e < KEY_DEPTH; e++) begin : g_mask
      assign masked[e*CORR_W+:CORR_W] =
          (s1_hit[e] && s1_lane[e] == LANE_W'(j)) ? key_corrs[e*CORR_W+:CORR_W] : '0;
    end
    snngx_adder_tree #(.N(KEY_DEPTH), .IN_W(CORR_W), .OUT_W(SUM_W)) u_tree (.operands(masked), .sum);
    assign lane_sums[j*PSUM_W+:PSUM_W] = PSUM_W'($signed(sum));  // wraps like a PSUM_W adder
  end

  // ---- output register and optional extra delay ----------------------------------------------
  localparam int DELAY = (LAT >= 2) ? LAT - 1 : 1;  // registers after the sum
  logic                    pipe_valid[DELAY];
  logic [LANES*PSUM_W-1:0] pipe_corr [DELAY];
  always_ff @(posedge clk) begin
    if (rst) begin
      for (int d = 0; d < DELAY; d++) begin
        pipe_valid[d] <= 1'b0;
        pipe_corr[d]  <= '0;
      end
    end else begin
      pipe_valid[0] <= s1_valid;
      pipe_corr[0]  <= lane_sums;
      for (int d = 1; d < DELAY; d++) begin
        pipe_valid[d] <= pipe_valid[d-1];
        pipe_corr[d]  <= pipe_corr[d-1];
      end
    end
  end
  assign corr_valid = pipe_valid[DELAY-1];
  assign corr       = pipe_corr[DELAY-1];
endmodule
