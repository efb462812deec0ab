// One bank of the decryption engine's key SRAM: a behavioural 1R1W synchronous SRAM (the
// simulation model of a compiled SRAM macro; synthesis takes the banks from an SRAM density,
// not from this file).
//
// Read: raddr is presented before a rising edge with re = 1; the memory registers mem[raddr] on
// that edge and rdata shows it after the edge until the next read. Write: mem[waddr] <= wdata on
// the edge with we = 1. A read and a write of the same address on one edge return the old word
// (the engine never does both: the key is written only while it is idle). Not reset.
module snngx_key_sram #(
    parameter int WIDTH = 162,  // COLS x CORR_W: one row's corrections
    parameter int DEPTH = 32,   // words: ceil(ROWS / LANES)
    localparam int AW   = (DEPTH > 1) ? $clog2(DEPTH) : 1
) (
    input  logic             clk,
    input  logic             re,
    input  logic [AW-1:0]    raddr,
    output logic [WIDTH-1:0] rdata,
    input  logic             we,
    input  logic [AW-1:0]    waddr,
    input  logic [WIDTH-1:0] wdata
);
  logic [WIDTH-1:0] mem[DEPTH];

  always_ff @(posedge clk) begin
    if (we) mem[waddr] <= wdata;
    if (re) rdata <= mem[raddr];
  end
endmodule
