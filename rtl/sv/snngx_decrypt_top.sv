// The Verilated top: one SNNGX decryption engine (snngx_decrypt_engine) with its LANES key SRAM
// banks (snngx_key_sram, ceil(ROWS / LANES) words of COLS x CORR_W bits each). Ports and timing
// as the engine's; of the SRAM ports only the read enables and addresses come out (rd_en,
// rd_addr: which row each bank reads on the next edge, for tests of the pop order).
// Contract: rram/include/snngx/rram/decryption_unit.hpp.
module snngx_decrypt_top #(
    parameter int ROWS   = 128,
    parameter int COLS   = 18,
    parameter int LANES  = 10,
    parameter int CORR_W = 9,
    parameter int ACC_W  = 16,
    parameter int PSUM_W = 32,
    localparam int ROW_W  = (ROWS > 1) ? $clog2(ROWS) : 1,
    localparam int WORD_W = COLS * CORR_W,
    localparam int DEPTH  = (ROWS + LANES - 1) / LANES,
    localparam int AW     = (DEPTH > 1) ? $clog2(DEPTH) : 1,
    localparam int BW     = (LANES > 1) ? $clog2(LANES) : 1
) (
    input  logic                   clk,
    input  logic                   rst,
    input  logic                   key_clear,
    input  logic                   key_we,
    input  logic [ROW_W-1:0]       key_row,
    input  logic [WORD_W-1:0]      key_word,
    input  logic                   in_valid,
    input  logic [ROWS-1:0]        in_active,
    output logic                   ready,
    output logic                   corr_valid,
    output logic [COLS*PSUM_W-1:0] corr,
    output logic [LANES-1:0]       rd_en,    // bank b reads on the next edge ...
    output logic [LANES*AW-1:0]    rd_addr   // ... its word rd_addr[b*AW +: AW] = row rd_addr * LANES + b
);

  logic [LANES-1:0]        sram_re, sram_we;
  logic [LANES*AW-1:0]     sram_raddr;
  logic [LANES*WORD_W-1:0] sram_rdata;
  logic [AW-1:0]           sram_waddr;
  logic [WORD_W-1:0]       sram_wdata;

  // The key loader's addressing (in the chip, the key store's DMA): row -> (bank, address); rows
  // >= ROWS are not written.
  logic            key_we_row;
  logic [BW-1:0]   key_bank;
  logic [AW-1:0]   key_addr;
  logic [31:0]     key_row32;
  assign key_row32  = 32'(key_row);
  assign key_we_row = key_we & (key_row32 < ROWS);
  assign key_bank   = BW'(key_row32 % LANES);
  assign key_addr   = AW'(key_row32 / LANES);

  snngx_decrypt_engine #(
      .ROWS(ROWS), .COLS(COLS), .LANES(LANES), .CORR_W(CORR_W), .ACC_W(ACC_W), .PSUM_W(PSUM_W)
  ) engine (
      .clk, .rst, .key_clear, .key_we(key_we_row), .key_bank, .key_addr, .key_word, .in_valid, .in_active, .ready, .corr_valid, .corr,
      .sram_re, .sram_raddr, .sram_rdata, .sram_we, .sram_waddr, .sram_wdata
  );

  assign rd_en   = sram_re;
  assign rd_addr = sram_raddr;

  for (genvar b = 0; b < LANES; b++) begin : g_bank
    snngx_key_sram #(.WIDTH(WORD_W), .DEPTH(DEPTH)) sram (
        .clk,
        .re(sram_re[b]),
        .raddr(sram_raddr[b*AW +: AW]),
        .rdata(sram_rdata[b*WORD_W +: WORD_W]),
        .we(sram_we[b]),
        .waddr(sram_waddr),
        .wdata(sram_wdata)
    );
  end
endmodule
