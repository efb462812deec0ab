#!/usr/bin/env bash
# Generic yosys synthesis of the SNNGX decryption slice (rtl/sv): generic-cell count, CMOS
# transistor estimate (stat -tech cmos), NAND2 gate equivalents and the longest combinational
# path in cells (ltp -noff) per configuration, then report.json / report.md in OUTDIR.
#
#   rtl/synth/run_synth.sh OUTDIR                       # KEY_DEPTH 16 and 32, CORR_W 32 and 9 (~3-4 min)
#   SNNGX_SYNTH_QUICK=1 rtl/synth/run_synth.sh OUTDIR   # CI check of the flow (seconds): LANES 4,
#                                                       # ROWS 32, KEY_DEPTH 4 and 8, CORR_W 9
#   SNNGX_SYNTH_FULL=1 rtl/synth/run_synth.sh OUTDIR    # also the KEY_DEPTH=256 unit itself (slow)
#
# The unit's size is linear in KEY_DEPTH (one matcher and one adder-tree leaf per entry and lane),
# so the KEY_DEPTH=256 figure is extrapolated from the two synthesized depths and marked as such.
# Exits non-zero if yosys fails or a figure is missing or implausible.
set -euo pipefail
out=${1:?usage: run_synth.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
sv="$here/../sv"
mkdir -p "$out"
rm -f "$out"/*.stat "$out"/*.cmos "$out"/*.ltp "$out"/report.*
sources="$sv/snngx_key_store.sv $sv/snngx_decrypt_unit.sv $sv/snngx_correction_stage.sv $sv/snngx_decrypt_slice.sv"

depths="16 32"
widths="32 9"
lanes=16
rows=128
if [[ "${SNNGX_SYNTH_QUICK:-0}" == 1 ]]; then
  depths="4 8"
  widths="9"
  lanes=4
  rows=32
fi
echo "{\"ROWS\": $rows, \"LANES\": $lanes, \"PSUM_W\": 32, \"LAT\": 2, \"FIFO_DEPTH\": 2}" > "$out/config.json"

run() {  # name, chparam arguments
  local name=$1; shift
  local start=$SECONDS
  yosys -q -l "$out/$name.log" -p "read_verilog -defer -sv $sources; hierarchy -top snngx_decrypt_slice -chparam ROWS $rows -chparam LANES $lanes $*;
    synth -flatten -top snngx_decrypt_slice; tee -q -o $out/$name.stat stat; tee -q -o $out/$name.cmos stat -tech cmos;
    tee -q -o $out/$name.ltp ltp -noff" > /dev/null
  echo "$name $((SECONDS - start))" >> "$out/times.txt"
  echo "rtl-synth: $name done in $((SECONDS - start)) s"
}

: > "$out/times.txt"
run baseline -chparam HAS_DECRYPT 0
# Contract widths (CORR_W = PSUM_W = 32) and an 8-bit-weight key store (CORR_W = 9: corrections
# of 8-bit sign-magnitude weights are at most +-254).
for w in $widths; do
  for d in $depths; do
    run "kd${d}_c$w" -chparam KEY_DEPTH "$d" -chparam CORR_W "$w"
  done
  if [[ "${SNNGX_SYNTH_FULL:-0}" == 1 ]]; then
    run "kd256_c$w" -chparam KEY_DEPTH 256 -chparam CORR_W "$w"
  fi
done
/usr/bin/python3 "$here/synth_report.py" "$out"
