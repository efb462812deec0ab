#!/usr/bin/env bash
# Issue 17 point 4: `snngx infer` as a whole command (process start to exit) against the engine
# alone, both reference networks, 8-bit random models, 2 % density layout-2 frame files, 2 threads.
# Usage: bash bench/whole_command.sh [BUILD_DIR] [WORK_DIR]   (defaults: build, out/bench/whole)
# Prints one markdown row per network: engine alone and streamed (bench/frames_bench), whole
# command wall / CPU / peak RSS (/usr/bin/time), the machine's load average at the start.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-out/bench/whole}
snngx=$build/snngx
[[ -x $snngx ]] || snngx=$build/app/snngx
mkdir -p "$work"
threads=${THREADS:-2}

make_inputs() {  # arch, shape, count, classes, frame file name, model name
  local arch=$1 shape=$2 count=$3 classes=$4 name=$5 model=$6
  [[ -f $work/$name.frames.h5 ]] || "$snngx" frames synth --shape "$shape" --count "$count" --density 0.02 --classes "$classes" \
    -o "$work/$name.frames.h5" >/dev/null
  [[ -f $work/$model-q8.snn.h5 ]] || {
    "$snngx" model init --arch "$arch" -o "$work/$model.snn.h5" >/dev/null
    "$snngx" model quantize "$work/$model.snn.h5" -o "$work/$model-q8.snn.h5" >/dev/null
  }
}
# MLP_SIZES: the NMNIST MLP file sizes (default 2,048 / 20,480 / 61,440 samples); CSNN: 1,024.
mlp_sizes=${MLP_SIZES:-2048 20480 61440}
runs=()
for n in $mlp_sizes; do
  make_inputs nmnist-mlp 15,2,34,34 "$n" 10 "mlp-$n" mlp
  runs+=("mlp mlp-$n")
done
make_inputs dvsgesture-csnn 15,2,32,32 1024 11 csnn-1024 csnn
runs+=("csnn csnn-1024")

# On a shared machine wall-clock rates are a fraction of a quiet run: the "per CPU-s" columns
# (samples per second of process CPU time) are the fair comparison there.
echo "| network | samples | load avg | engine alone | streamed infer | whole \`snngx infer\` (wall) | CPU user + sys | whole / engine | engine per CPU-s | whole per CPU-s | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
# RUNS (default 3): each network is measured RUNS times, engine alone and whole command taking
# turns so that both see the same state of the shared machine; the row is the median run (by
# whole / engine), wall time from bash's EPOCHREALTIME (ms, not /usr/bin/time's 10 ms steps).
repeats=${RUNS:-3}
for run in "${runs[@]}"; do
  read -r model name <<<"$run"
  load=$(cut -d' ' -f1 /proc/loadavg)
  rows=()
  for ((k = 0; k < repeats; ++k)); do
    bench=$("$build/bench/frames_bench" --model "$work/$model-q8.snn.h5" --frames "$work/$name.frames.h5" --threads "$threads" --batch 1024)
    engine=$(sed -E 's/.*engine alone ([0-9]+) samples.*/\1/' <<<"$bench")
    streamed=$(sed -E 's/.*streamed ([0-9]+) samples.*/\1/' <<<"$bench")
    samples=$(sed -E 's/.*\| ([0-9]+) samples \|.*/\1/' <<<"$bench")
    engine_cpu=$(sed -E 's/.*engine ([0-9]+) samples per CPU-s.*/\1/' <<<"$bench")
    start=$EPOCHREALTIME
    /usr/bin/time -f "%U %S %M" -o "$work/$name.time" "$snngx" infer --model "$work/$model-q8.snn.h5" \
      --frames "$work/$name.frames.h5" --threads "$threads" >/dev/null 2>&1
    end=$EPOCHREALTIME
    read -r user sys rss_kb <"$work/$name.time"
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')
    rate=$(awk -v n="$samples" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')
    share=$(awk -v r="$rate" -v e="$engine" 'BEGIN {printf "%.1f", 100 * r / e}')
    whole_cpu=$(awk -v n="$samples" -v u="$user" -v s="$sys" 'BEGIN {printf "%.0f", n / (u + s)}')
    rss=$(awk -v k="$rss_kb" 'BEGIN {printf "%.0f MB", k / 1024}')
    rows+=("$share|| $model | $samples | $load | $engine /s | $streamed /s | $rate /s ($wall s) | $user + $sys s | $share % | $engine_cpu | $whole_cpu | $rss |")
  done
  printf '%s\n' "${rows[@]}" | sort -t'|' -k1,1n | sed -n "$(((repeats + 1) / 2))p" | cut -d'|' -f2-
done
