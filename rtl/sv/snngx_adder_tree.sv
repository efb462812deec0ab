// Balanced adder tree: sum of N signed IN_W-bit operands, OUT_W-bit result (sign-extended).
// Purely combinational; depth ceil(log2(N)) adders. Written as an explicit level array so
// synthesis sees a balanced tree instead of the linear chain a for-loop accumulator gives.
module snngx_adder_tree #(
    parameter int N     = 8,
    parameter int IN_W  = 16,
    parameter int OUT_W = IN_W + $clog2(N)
) (
    input  logic [N*IN_W-1:0] operands,
    output logic [OUT_W-1:0]  sum
);
  localparam int LEVELS = (N > 1) ? $clog2(N) : 0;
  localparam int LEAVES = 1 << LEVELS;  // N rounded up to a power of two; padding is zero

  // node[LEAVES + i] are the leaves; node[1] is the root (heap layout).
  logic signed [OUT_W-1:0] node[1:2*LEAVES-1];

  for (genvar i = 0; i < LEAVES; i++) begin : g_leaf
    if (i < N) begin : g_op
      assign node[LEAVES+i] = OUT_W'($signed(operands[i*IN_W+:IN_W]));
    end else begin : g_pad
      assign node[LEAVES+i] = '0;
    end
  end
  for (genvar k = LEAVES - 1; k >= 1; k--) begin : g_node
    assign node[k] = node[2*k] + node[2*k+1];
  end
  assign sum = node[1];
endmodule
