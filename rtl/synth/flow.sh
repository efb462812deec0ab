#!/usr/bin/env bash
# Synthesis of the SNNGX decryption engine to standard cells (yosys) and static timing (OpenSTA).
#
#   rtl/synth/flow.sh --out DIR [--liberty FILE(.lib|.lib.gz)] [--period-ns 1.0]
#                     [--rows 128 --cols 18 --lanes 10] [--top snngx_decrypt_engine]
#                     [--sources A.sv,B.sv] [--sram-ports REGEX]
#
# Steps (docs/rtl.md, "Synthesis and timing (yosys + OpenSTA)"):
#  1. yosys: read_verilog -sv of rtl/sv (the engine core; SRAM models, *sram*.sv, and the files that
#     instantiate them are left out: the key SRAM banks are outside the engine, on its ports), chparam ROWS/COLS/LANES, synth -flatten,
#     dfflibmap, abc with a buffering and sizing script at a delay target, the OpenSTA-compatibility
#     clean-up of /work/shared/tech/README.md, stat -liberty (area from the Liberty file), netlist.v.
#  2. OpenSTA: clock on `clk` at the period, I/O delays (below), report_checks / WNS / TNS.
#  3. DIR/report.json and DIR/report.md; exits 1 if a figure is missing or implausible.
# Default Liberty: <repo>/../shared/tech/nangate45_typ.lib.gz. If the Liberty file does not exist
# the flow prints one line and exits 77 (ctest's skip code); bad arguments exit 1.
#
# I/O delay assumptions (fractions of the period, recorded in report.json):
#  - key-SRAM read data (input ports matching --sram-ports) arrive after the macro's clock-to-output
#    delay: input delay 30 %;
#  - SRAM address / enable / write outputs must arrive the macro's setup time before the edge:
#    output delay 30 %;
#  - the other inputs come from flip-flops of the chip (clock-to-Q and wiring): input delay 10 %;
#    the other outputs go to flip-flops (setup and wiring): output delay 10 %.
#  Inputs are driven by the library's X1 buffer, outputs load 4 of its inputs; ideal clock;
#  library-default wire loads. ABC's delay target is 50 % of the period: the period minus the 30 %
#  SRAM delay minus 20 % for what ABC does not see (flip-flop clock-to-Q and setup, the wire-load
#  model of the library that OpenSTA applies; at 60 % a small test design missed by 0.02 ps).
set -euo pipefail
start_epoch=$(date +%s.%N)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

out="" liberty="$repo/../shared/tech/nangate45_typ.lib.gz" period=1.0 rows=128 cols=18 lanes=10
top=snngx_decrypt_engine sources="" sram_regex='(^|_)sram'
corr_w=9  # CORR_W of the contract (rram::DecryptionParams::corr_bits), the module's default
frac_sram_in=0.30 frac_sram_out=0.30 frac_in=0.10 frac_out=0.10 frac_abc=0.50

die() { echo "flow: $*" >&2; exit 1; }
liberty_given=0
usage() { sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
while [[ $# -gt 0 ]]; do
  opt=$1
  case $opt in
    --out|--liberty|--period-ns|--rows|--cols|--lanes|--top|--sources|--sram-ports)
      [[ $# -ge 2 ]] || die "$opt needs a value"
      val=$2; shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown argument '$opt' (usage: flow.sh --out DIR [--liberty FILE] [--period-ns NS] [--rows N --cols N --lanes N] [--top MODULE])" ;;
  esac
  case $opt in
    --out) out=$val ;; --liberty) liberty=$val; liberty_given=1 ;; --period-ns) period=$val ;; --rows) rows=$val ;;
    --cols) cols=$val ;; --lanes) lanes=$val ;; --top) top=$val ;; --sources) sources=$val ;;
    --sram-ports) sram_regex=$val ;;
  esac
done

[[ -n $out ]] || die "--out DIR is required"
for p in rows cols lanes; do
  if [[ ! ${!p} =~ ^[0-9]+$ ]] || (( 10#${!p} < 1 )); then die "--$p must be a positive integer, got '${!p}'"; fi
  printf -v "$p" '%d' "$((10#${!p}))"
done
(( lanes <= rows )) || die "--lanes must be in 1..rows ($rows), got $lanes"
[[ $period =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]] || die "--period-ns must be a positive number, got '$period'"
period_ps=$(python3 -c "import sys; p=float(sys.argv[1]); print(round(p*1000) if 0.01 <= p <= 1e6 else 0)" "$period")
(( period_ps > 0 )) || die "--period-ns must be a positive number of ns (0.01 or more), got '$period'"
[[ $top =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--top must be a module name, got '$top'"
python3 -c "import re,sys; re.compile(sys.argv[1])" "$sram_regex" 2>/dev/null || die "--sram-ports: not a regular expression: '$sram_regex'"

if [[ ! -e $liberty ]]; then
  # The default library lives in ../shared/tech, which a user's clone does not have: skip. A
  # library named with --liberty must exist.
  (( liberty_given )) && die "$liberty: no such Liberty file"
  echo "flow: $liberty not found: the synthesis flow needs ../shared/tech (skipped)"
  exit 77
fi
[[ -f $liberty && -r $liberty ]] || die "cannot read the Liberty file $liberty"
liberty=$(cd "$(dirname "$liberty")" && pwd)/$(basename "$liberty")
for tool in yosys sta python3; do
  command -v "$tool" > /dev/null || die "$tool not found (Debian packages yosys, opensta, python3)"
done

if [[ -z $sources ]]; then
  # The engine core: rtl/sv/*.sv without the SRAM models (*sram*.sv) and without the wrappers that
  # instantiate them (snngx_decrypt_top: engine + banks, the Verilated top).
  shopt -s nullglob
  all=("$repo"/rtl/sv/*.sv)
  shopt -u nullglob
  sram_modules=()
  for f in "${all[@]}"; do
    [[ $(basename "$f") == *sram* ]] || continue
    mapfile -t -O "${#sram_modules[@]}" sram_modules < <(sed -nE 's/^[[:space:]]*module[[:space:]]+([A-Za-z_][A-Za-z0-9_$]*).*/\1/p' "$f")
  done
  for f in "${all[@]}"; do
    [[ $(basename "$f") == *sram* ]] && continue
    uses_sram=0
    for m in "${sram_modules[@]}"; do
      grep -qE "^[[:space:]]*$m([[:space:]]|#|\(|$)" "$f" && uses_sram=1
    done
    (( uses_sram )) || sources+="${sources:+,}$f"
  done
  [[ -n $sources ]] || die "no SystemVerilog sources in $repo/rtl/sv"
fi
IFS=, read -r -a src_list <<< "$sources"
for f in "${src_list[@]}"; do [[ -r $f ]] || die "cannot read source $f"; done
grep -qsE "^\s*module\s+$top\b" "${src_list[@]}" || die "module $top is in none of the sources (${sources//,/ })"

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/yosys.try*.log "$out"/{synth.ys,abc.script,abc.constr,yosys.log,stat.txt,check.txt,netlist.v,sta.tcl,sta.log,config.json,report.json,report.md,sources.sha256}
sha256sum "${src_list[@]}" > "$out/sources.sha256"  # the RTL version the figures belong to
log() { echo "flow: $*"; }

# Liberty: a working copy in DIR (yosys 0.23 reads no .lib.gz) with the cells the flow must not
# use marked dont_use (sky130: lpflow_*, probe*; see flow_report.py), read by yosys and sta.
lib_base=$(basename "$liberty"); lib_base=${lib_base%.gz}
lib_read="$out/${lib_base%.lib}.flow.lib"
libinfo=$(python3 "$here/flow_report.py" libinfo "$liberty" "$lib_read") || { rm -f "$lib_read"; exit 1; }
eval "$libinfo"
abc_ps=$(python3 -c "import sys; print(round(float(sys.argv[1]) * float(sys.argv[2]) * 1000))" "$period" "$frac_abc")
dont_use_note=""
[[ $DONT_USE_MARKED != 0 ]] && dont_use_note=", $DONT_USE_MARKED cells marked dont_use ($DONT_USE_PATTERN)"
log "config: $top ROWS=$rows COLS=$cols LANES=$lanes, $LIB_NAME, clock $period ns (ABC target $abc_ps ps)$dont_use_note, out $out"

# --- 1. yosys -----------------------------------------------------------------------------------
echo "strash; dch; map -D $abc_ps; buffer -p; upsize -D $abc_ps; dnsize -D $abc_ps" > "$out/abc.script"
printf 'set_driving_cell %s\nset_load %s\n' "$BUF" "$OUT_LOAD" > "$out/abc.constr"
cat > "$out/synth.ys" <<EOF
# Generated by rtl/synth/flow.sh
read_verilog -defer -sv ${src_list[*]}
hierarchy -check -top $top -chparam ROWS $rows -chparam COLS $cols -chparam LANES $lanes
synth -flatten -top $top
tee -q -o $out/check.txt check
rename -wire -suffix _reg t:\$_*DFF*
dfflibmap -liberty $lib_read
abc -liberty $lib_read -constr $out/abc.constr -script $out/abc.script
setundef -zero
splitnets -ports -format ___
hilomap -hicell $TIE_HI $TIE_HI_PIN -locell $TIE_LO $TIE_LO_PIN
opt_clean -purge
insbuf -buf $BUF $BUF_IN $BUF_OUT
opt_clean -purge
tee -q -o $out/stat.txt stat -liberty $lib_read
write_verilog -noattr $out/netlist.v
EOF
log "[1/3] yosys: synth, dfflibmap, abc (buffer/upsize/dnsize at $abc_ps ps), clean-up -> netlist.v (log: $out/yosys.log)"
t0=$SECONDS
# ABC (yosys 0.23) sometimes aborts with "node N has no fanout" on wide adders (in `buffer -p`, or
# in `dch` with sky130's multi-output full-adder cells); then the mapping is retried with a plain
# `buffer`, then without `dch`. The script used is kept in DIR/abc.script and named in report.json.
abc_scripts=("$(cat "$out/abc.script")"
             "strash; dch; map -D $abc_ps; buffer; upsize -D $abc_ps; dnsize -D $abc_ps"
             "strash; map -D $abc_ps; buffer; upsize -D $abc_ps; dnsize -D $abc_ps")
mapped=0
for i in "${!abc_scripts[@]}"; do
  echo "${abc_scripts[$i]}" > "$out/abc.script"
  if yosys -q -l "$out/yosys.log" -s "$out/synth.ys" > /dev/null 2>&1; then
    mapped=1
    break
  fi
  grep -q "ABC: Error: The command has failed" "$out/yosys.log" || break  # not ABC's abort: no retry
  mv "$out/yosys.log" "$out/yosys.try$i.log"
  (( i + 1 < ${#abc_scripts[@]} )) && log "      ABC aborted (see $out/yosys.try$i.log); retrying with: ${abc_scripts[$((i + 1))]}"
done
if (( ! mapped )); then
  log_file="$out/yosys.log"
  [[ -f $log_file ]] || log_file=$(ls -t "$out"/yosys.try*.log | head -n1)
  grep -m3 -E '^ERROR|Error' "$log_file" >&2 || tail -n 5 "$log_file" >&2
  die "yosys failed (see $log_file)"
fi
t_yosys=$((SECONDS - t0))
[[ -s $out/netlist.v && -s $out/stat.txt ]] || die "yosys wrote no netlist or statistics"
problems=$(grep -oE 'Found and reported [0-9]+ problems' "$out/check.txt" | grep -oE '[0-9]+' || echo 0)
(( problems == 0 )) || log "      warning: yosys check found $problems problems in the RTL (see $out/check.txt)"
log "      $(grep -m1 'Number of cells' "$out/stat.txt" | grep -oE '[0-9]+') cells, $(grep -m1 'Chip area' "$out/stat.txt" | sed 's/.*: *//') um^2 ($t_yosys s)"

# --- 2. OpenSTA ---------------------------------------------------------------------------------
yosys_version=$(yosys -V | head -n1)
sta_version=$(sta -version 2> /dev/null | head -n1)
pkg=$(dpkg-query -W -f '${Version}' opensta 2> /dev/null || true)
[[ -n $pkg ]] && sta_version="$sta_version (Debian opensta $pkg)"
write_config() {  # port counts and seconds are filled in as they become known
  python3 - "$out/config.json" <<EOF
import json, sys
cfg = {
    "out": "$out", "top": "$top", "rows": $rows, "cols": $cols, "lanes": $lanes, "corr_w": $corr_w,
    "period_ns": float("$period"), "liberty": "$liberty", "liberty_read": "$lib_read",
    "netlist": "$out/netlist.v", "sta_script": "$out/sta.tcl", "clock_port": "clk",
    "sram_port_regex": r'''$sram_regex''',
    "io_delay_fraction": {"sram_in": $frac_sram_in, "sram_out": $frac_sram_out, "in": $frac_in, "out": $frac_out},
    "abc_delay_ps": $abc_ps, "abc_script": open("$out/abc.script").read().strip(), "buffer_cell": "$BUF", "tie_hi": "$TIE_HI", "tie_lo": "$TIE_LO", "dont_use_marked": $DONT_USE_MARKED, "dont_use_pattern": "$DONT_USE_PATTERN", "buffer_out": "$BUF_OUT", "out_load": "$OUT_LOAD",
    "yosys_version": "$yosys_version", "sta_version": "$sta_version",
    "sources": "${src_list[*]}".split(),
    "seconds": {"yosys": ${t_yosys:-None}, "sta": ${t_sta:-None}}, "start_epoch": $start_epoch,
}
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
EOF
}
write_config
ports=$(python3 "$here/flow_report.py" sta-script "$out/config.json") || exit 1
log "[2/3] sta: clock $period ns on clk, I/O delays for $ports ports (log: $out/sta.log)"
t0=$SECONDS
# -exit: run the script non-interactively; 2019 OpenSTA exits 0 even after a Tcl error, so the
# log is checked for errors as well.
if ! sta -no_init -no_splash -exit "$out/sta.tcl" > "$out/sta.log" 2>&1 || grep -qE '^Error' "$out/sta.log"; then
  grep -m3 -E '^Error' "$out/sta.log" >&2 || tail -n 5 "$out/sta.log" >&2
  die "sta failed (see $out/sta.log)"
fi
t_sta=$((SECONDS - t0))
if grep -qE '^Warning' "$out/sta.log"; then
  grep -E '^Warning' "$out/sta.log" | head -n 3 | sed 's/^/flow: sta: /'
fi
log "      $(grep -m1 '^wns' "$out/sta.log"), $(grep -m1 '^tns' "$out/sta.log") ($t_sta s)"

# --- 3. report ----------------------------------------------------------------------------------
write_config
log "[3/3] report: $out/report.json, $out/report.md"
python3 "$here/flow_report.py" collect "$out/config.json" || die "report incomplete (see above)"
python3 - "$out/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["critical_path"]
print(f"flow: done: area {r['area_um2']:.1f} um^2, {r['cells']} cells, {r['flip_flops']} flip-flops; "
      f"slack {r['worst_slack_ns']:+.4f} ns at {r['period_ns']:g} ns ({'met' if r['timing_met'] else 'VIOLATED'}), "
      f"TNS {r['tns_ns']:.4f} ns; critical path {p['startpoint']} -> {p['endpoint']} {p['delay_ns']:.4f} ns; "
      f"{r['seconds']['total']} s")
EOF
