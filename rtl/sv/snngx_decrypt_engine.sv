// SNNGX decryption engine: the core of one engine of the decryption unit, without its key SRAM
// (whose LANES banks are reached through the sram_* ports; snngx_decrypt_top adds them).
// Contract, edge by edge: rram/include/snngx/rram/decryption_unit.hpp (the behavioural engine of
// rram/src/decryption_unit.cpp is the reference this RTL equals tick for tick).
//
// The engine serves one crossbar tile of ROWS rows x COLS logical columns. Key SRAM word r holds
// row r's COLS signed CORR_W-bit corrections (column c at [c*CORR_W +: CORR_W]) and sits in bank
// r % LANES at address r / LANES. keyed[r] (ROWS flip-flops) = word r is nonzero.
//
// Request (in_valid while ready): the tile's active rows. Pipeline of a request accepted on edge
// E0 (every later stage reads the registers as they were before the edge):
//   E0      pending <= in_active & keyed, acc <= 0, busy <= 1.
//   pop     each bank with a pending row clears its lowest one and reads that row's word
//           (sram_re / sram_raddr before the edge, the SRAM registers the word on it);
//   sum     s2 <= per column, the sum of the words read on the previous edge, kept in
//           carry-save form (two ACC_W-bit vectors whose sum it is: a 3:2 compressor tree,
//           no carry-propagate adder after the SRAM's clock-to-output delay);
//   acc     acc <= acc + s2 of the previous edge (a three-operand ACC_W-bit add, wraps);
//   done    nothing pending, no word read on the previous edge, no s2 valid:
//           corr_valid <= 1 for one cycle, busy <= 0; corr = acc sign-extended to PSUM_W.
// With work w = the most pending rows of one bank: corr_valid is high in the cycle after edge
// E0 + 1 (w = 0) or E0 + w + 3 (w >= 1), i.e. response_latency(w) = 2 / w + 4 ticks after the
// request. corr is 0 whenever corr_valid is 0. A new request may be given in the cycle
// corr_valid is high (back to back).
//
// Key write port: key_clear clears keyed; key_we writes key_word as the word of row
// key_addr * LANES + key_bank (bank key_bank, address key_addr) and sets that row's keyed bit to
// (key_word != 0). Both are ignored while busy (the key is
// written while the engine is idle); a write on the edge that accepts a request is not seen by
// that request. Rows >= ROWS are ignored. rst (synchronous) empties the pipeline and keeps the key.
module snngx_decrypt_engine #(
    parameter int ROWS   = 128,
    parameter int COLS   = 18,
    parameter int LANES  = 10,
    parameter int CORR_W = 9,
    parameter int ACC_W  = 16,
    parameter int PSUM_W = 32,
    localparam int DEPTH  = (ROWS + LANES - 1) / LANES,  // words per bank
    localparam int AW     = (DEPTH > 1) ? $clog2(DEPTH) : 1,
    localparam int BW     = (LANES > 1) ? $clog2(LANES) : 1,
    localparam int WORD_W = COLS * CORR_W
) (
    input  logic                      clk,
    input  logic                      rst,         // synchronous, active high
    // key write port (only while idle)
    input  logic                      key_clear,
    input  logic                      key_we,
    input  logic [BW-1:0]             key_bank,    // row % LANES
    input  logic [AW-1:0]             key_addr,    // row / LANES
    input  logic [WORD_W-1:0]         key_word,
    // request
    input  logic                      in_valid,
    input  logic [ROWS-1:0]           in_active,
    output logic                      ready,
    // answer
    output logic                      corr_valid,
    output logic [COLS*PSUM_W-1:0]    corr,        // column c at [c*PSUM_W +: PSUM_W]
    // key SRAM banks (bank b at [b*AW +: AW] / [b*WORD_W +: WORD_W])
    output logic [LANES-1:0]          sram_re,
    output logic [LANES*AW-1:0]       sram_raddr,
    input  logic [LANES*WORD_W-1:0]   sram_rdata,
    output logic [LANES-1:0]          sram_we,
    output logic [AW-1:0]             sram_waddr,
    output logic [WORD_W-1:0]         sram_wdata
);
  localparam int LEAVES = 1 << $clog2(DEPTH);     // find-first-set tree leaves (power of two)

  // Operands left after l levels of 3:2 compressors applied to n operands (until two are left).
  // (Verilog-2001 style: yosys 0.23 parses no SystemVerilog declarations inside functions.)
  function automatic integer csa_left(input integer n, input integer l);
    integer m, i;
    begin
      m = n;
      for (i = 0; i < l; i = i + 1) if (m > 2) m = 2 * (m / 3) + m % 3;
      csa_left = m;
    end
  endfunction
  function automatic integer csa_levels(input integer n);
    integer levels, i;
    begin
      levels = 0;
      for (i = 0; i < 32; i = i + 1) if (csa_left(n, i) > 2) levels = i + 1;
      csa_levels = levels;
    end
  endfunction
  localparam int CSA_LEVELS = csa_levels(LANES);

  logic              busy;
  logic [ROWS-1:0]   keyed;       // row r has a nonzero key word
  logic [ROWS-1:0]   pending;     // active keyed rows not read yet
  logic [LANES-1:0]  rd_valid;    // bank b read a word on the previous edge (its rdata is valid)
  logic              s2_valid;
  logic [COLS*ACC_W-1:0] s2s, s2c;  // column sums of the words read on the previous edge = s2s + s2c
  logic [COLS*ACC_W-1:0] acc;     // accumulated corrections

  logic accept, done;
  assign ready  = ~busy;
  assign accept = in_valid & ~busy;
  assign done   = ~(|pending) & ~(|rd_valid) & ~s2_valid;

  // ---- key write port ----------------------------------------------------------------------
  logic             key_write;
  logic [ROWS-1:0]  key_sel;      // one-hot row key_addr * LANES + key_bank (0 when not writing)
  assign key_write  = key_we & ~busy;
  assign sram_wdata = key_word;
  assign sram_waddr = key_addr;
  // The key loader gives the row's bank and address (row % LANES, row / LANES): no divider by a
  // LANES that is not a power of two on the write path (it was the slowest path of the engine).
  for (genvar r = 0; r < ROWS; r++) begin : g_key_sel
    assign key_sel[r] = key_write & (key_bank == BW'(r % LANES)) & (key_addr == AW'(r / LANES));
  end

  always_ff @(posedge clk) begin
    if (~busy) begin
      for (int r = 0; r < ROWS; r++)
        if (key_sel[r]) keyed[r] <= |key_word;
        else if (key_clear) keyed[r] <= 1'b0;
    end
  end

  // ---- pop: per bank, find the lowest pending row (a balanced tree over its DEPTH rows) -----
  logic [ROWS-1:0] pop_clear;     // the rows read on this edge
  for (genvar b = 0; b < LANES; b++) begin : g_bank
    // Heap-ordered tree: node k has children 2k (lower rows) and 2k+1; leaf LEAVES + i is the
    // bank's row i*LANES + b. any = some pending row below the node, idx = the lowest one.
    logic [LEAVES-1:0] sel;  // key_sel of this bank's rows
    for (genvar k = 1; k < 2 * LEAVES; k++) begin : g_node
      logic          any;
      logic [AW-1:0] idx;
      if (k < LEAVES) begin : g_inner
        assign any = g_node[2*k].any | g_node[2*k+1].any;
        assign idx = g_node[2*k].any ? g_node[2*k].idx : g_node[2*k+1].idx;
      end else if ((k - LEAVES) * LANES + b < ROWS) begin : g_row
        localparam int R = (k - LEAVES) * LANES + b;
        assign any = pending[R];
        assign idx = AW'(k - LEAVES);
        assign sel[k-LEAVES] = key_sel[R];
        // The popped row: the lowest pending one of its bank.
        assign pop_clear[R] = pending[R] & (g_node[1].idx == AW'(k - LEAVES));
      end else begin : g_none  // past the last row (ROWS not a multiple of LANES, DEPTH < LEAVES)
        assign any = 1'b0;
        assign idx = AW'(k - LEAVES);
        assign sel[k-LEAVES] = 1'b0;
      end
    end
    assign sram_re[b]               = g_node[1].any;
    assign sram_raddr[b*AW +: AW]   = g_node[1].idx;
    assign sram_we[b]               = |sel;
  end

  // ---- sum: per column, the LANES words read on the previous edge (0 for a bank that read
  //      nothing), sign-extended to ACC_W, compressed to two by a tree of 3:2 compressors ------
  logic [COLS*ACC_W-1:0] s2s_next, s2c_next;
  for (genvar c = 0; c < COLS; c++) begin : g_sum
    for (genvar l = 0; l <= CSA_LEVELS; l++) begin : g_lvl
      localparam int N = csa_left(LANES, l);  // operands at this level
      logic [N*ACC_W-1:0] ops;
      if (l == 0) begin : g_in
        for (genvar b = 0; b < LANES; b++) begin : g_bank
          assign ops[b*ACC_W +: ACC_W] =
              rd_valid[b] ? ACC_W'($signed(sram_rdata[b*WORD_W + c*CORR_W +: CORR_W])) : '0;
        end
      end else begin : g_csa
        localparam int P = csa_left(LANES, l - 1);  // operands of the level above
        for (genvar t = 0; t < P / 3; t++) begin : g_fa
          logic [ACC_W-1:0] x, y, z;
          logic [ACC_W-2:0] maj;  // the carries (the top one leaves the ACC_W bits)
          assign x   = g_lvl[l-1].ops[(3*t)*ACC_W +: ACC_W];
          assign y   = g_lvl[l-1].ops[(3*t+1)*ACC_W +: ACC_W];
          assign z   = g_lvl[l-1].ops[(3*t+2)*ACC_W +: ACC_W];
          assign maj = (x[ACC_W-2:0] & y[ACC_W-2:0]) | (x[ACC_W-2:0] & z[ACC_W-2:0]) | (y[ACC_W-2:0] & z[ACC_W-2:0]);
          assign ops[(2*t)*ACC_W +: ACC_W]   = x ^ y ^ z;
          assign ops[(2*t+1)*ACC_W +: ACC_W] = {maj, 1'b0};
        end
        for (genvar q = 0; q < P % 3; q++) begin : g_pass
          assign ops[(2*(P/3)+q)*ACC_W +: ACC_W] = g_lvl[l-1].ops[(3*(P/3)+q)*ACC_W +: ACC_W];
        end
      end
    end
    assign s2s_next[c*ACC_W +: ACC_W] = g_lvl[CSA_LEVELS].ops[0 +: ACC_W];
    if (csa_left(LANES, CSA_LEVELS) == 2) begin : g_two
      assign s2c_next[c*ACC_W +: ACC_W] = g_lvl[CSA_LEVELS].ops[ACC_W +: ACC_W];
    end else begin : g_one
      assign s2c_next[c*ACC_W +: ACC_W] = '0;
    end
  end

  // ---- control: accept, pop, done ------------------------------------------------------------
  always_ff @(posedge clk) begin
    if (rst) begin
      busy       <= 1'b0;
      corr_valid <= 1'b0;
      pending    <= '0;
      rd_valid   <= '0;
      s2_valid   <= 1'b0;
    end else if (accept) begin
      busy       <= 1'b1;
      corr_valid <= 1'b0;
      pending    <= in_active & keyed;
      rd_valid   <= '0;
      s2_valid   <= 1'b0;
    end else begin
      // Idle: pending, rd_valid and s2_valid are 0 and stay 0. Busy and done: the stages below
      // have nothing to do, the answer leaves.
      corr_valid <= busy & done;
      if (done) busy <= 1'b0;
      pending    <= pending & ~pop_clear;
      rd_valid   <= sram_re;
      s2_valid   <= |rd_valid;
    end
  end

  // ---- datapath registers (no reset: qualified by rd_valid / s2_valid / corr_valid) ---------
  // acc needs no enable: s2 is 0 whenever s2_valid is 0 (no bank read on the edge before), except
  // after a reset in flight, and acc is cleared by the next accept before it matters.
  always_ff @(posedge clk) begin
    s2s <= s2s_next;
    s2c <= s2c_next;
    for (int c = 0; c < COLS; c++)
      if (accept) acc[c*ACC_W +: ACC_W] <= '0;
      else acc[c*ACC_W +: ACC_W] <= acc[c*ACC_W +: ACC_W] + s2s[c*ACC_W +: ACC_W] + s2c[c*ACC_W +: ACC_W];
  end

  // ---- answer: acc sign-extended, 0 while not valid ----------------------------------------
  for (genvar c = 0; c < COLS; c++) begin : g_corr
    assign corr[c*PSUM_W +: PSUM_W] = corr_valid ? PSUM_W'($signed(acc[c*ACC_W +: ACC_W])) : '0;
  end
endmodule
