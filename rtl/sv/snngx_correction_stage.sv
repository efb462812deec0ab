// The adder-tree stage the decryption unit joins. When a tile read's LANES partial sums leave
// the ADCs (psum_valid), this stage registers them for the rest of the adder tree; with
// HAS_DECRYPT it adds the read's corrections in the same register stage (a third operand of
// the stage's adders), so the partial sums leave after exactly the same single cycle with or
// without the unit.
//
// Corrections arrive LAT cycles after their read; partial sums arrive after the ADC conversion
// window, which is at least LAT cycles, so a correction is always waiting (in a FIFO of
// FIFO_DEPTH reads in flight, or on the bypass when it arrives in the same cycle). A partial sum
// with no correction waiting sets the sticky err_late (the zero-latency claim failed); a
// correction arriving with the FIFO full sets err_overflow. Both are checked by the testbench.
module snngx_correction_stage #(
    parameter int LANES       = 16,
    parameter int PSUM_W      = 32,
    parameter int HAS_DECRYPT = 1,  // 0: the stage without the unit
    parameter int FIFO_DEPTH  = 2
) (
    input  logic                    clk,
    input  logic                    rst,
    input  logic                    corr_valid,
    input  logic [LANES*PSUM_W-1:0] corr,
    input  logic                    psum_valid,
    input  logic [LANES*PSUM_W-1:0] psum,
    output logic                    out_valid,
    output logic [LANES*PSUM_W-1:0] out_psum,
    output logic                    err_late,
    output logic                    err_overflow
);
  logic [LANES*PSUM_W-1:0] applied;  // correction applied to this cycle's partial sums

  if (HAS_DECRYPT != 0) begin : g_fifo
    localparam int CNT_W = $clog2(FIFO_DEPTH + 1);
    logic [LANES*PSUM_W-1:0] slot[FIFO_DEPTH];  // slot[0] is the oldest
    logic [CNT_W-1:0]        count;
    logic                    empty, bypass, take, push, late, overflow;

    assign empty    = count == '0;
    assign bypass   = psum_valid && empty && corr_valid;
    assign take     = psum_valid && !empty;
    assign late     = psum_valid && empty && !corr_valid;
    assign overflow = corr_valid && !bypass && !take && 32'(count) == FIFO_DEPTH;
    assign push     = corr_valid && !bypass && !take && !overflow;
    assign applied  = take ? slot[0] : (bypass ? corr : '0);

    always_ff @(posedge clk) begin
      if (rst) begin
        count        <= '0;
        err_late     <= 1'b0;
        err_overflow <= 1'b0;
      end else begin
        err_late     <= err_late | late;
        err_overflow <= err_overflow | overflow;
        // Pop the head when partial sums take it; a correction arriving in the same cycle
        // enters behind the survivors.
        for (int s = 0; s < FIFO_DEPTH; s++) begin
          if (take) begin
            if (corr_valid && s == 32'(count) - 1) slot[s] <= corr;
            else if (s + 1 < FIFO_DEPTH) slot[s] <= slot[(s+1)%FIFO_DEPTH];
          end else if (push && s == 32'(count)) begin
            slot[s] <= corr;
          end
        end
        if (push && !take) count <= count + 1'b1;
        else if (take && !corr_valid) count <= count - 1'b1;
      end
    end
  end else begin : g_none
    /* verilator lint_off UNUSEDSIGNAL */
    logic                    unused_corr_valid;
    logic [LANES*PSUM_W-1:0] unused_corr;
    /* verilator lint_on UNUSEDSIGNAL */
    assign unused_corr_valid = corr_valid;
    assign unused_corr       = corr;
    assign applied           = '0;
    assign err_late          = 1'b0;
    assign err_overflow      = 1'b0;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      out_valid <= 1'b0;
      out_psum  <= '0;
    end else begin
      out_valid <= psum_valid;
      for (int j = 0; j < LANES; j++)
        out_psum[j*PSUM_W+:PSUM_W] <= psum_valid ? psum[j*PSUM_W+:PSUM_W] + applied[j*PSUM_W+:PSUM_W] : '0;
    end
  end
endmodule
