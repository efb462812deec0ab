#!/usr/bin/env bash
# Issue 17 point 4: `snngx infer` as a whole command (process start to exit) against the engine
# alone, both reference networks, 8-bit random models, 2 % density layout-2 frame files, 2 threads.
# Usage: bash bench/whole_command.sh [BUILD_DIR] [WORK_DIR]   (defaults: build, out/bench/whole)
# Prints one markdown row per network: engine alone and streamed (bench/frames_bench), whole
# command wall / CPU / peak RSS (/usr/bin/time -v), the machine's load average at the start.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=${2:-out/bench/whole}
snngx=$build/snngx
[[ -x $snngx ]] || snngx=$build/app/snngx
mkdir -p "$work"
threads=${THREADS:-2}

make_inputs() {  # arch, shape, count, classes, name
  local arch=$1 shape=$2 count=$3 classes=$4 name=$5
  [[ -f $work/$name.frames.h5 ]] || "$snngx" frames synth --shape "$shape" --count "$count" --density 0.02 --classes "$classes" \
    -o "$work/$name.frames.h5" >/dev/null
  [[ -f $work/$name-q8.snn.h5 ]] || {
    "$snngx" model init --arch "$arch" -o "$work/$name.snn.h5" >/dev/null
    "$snngx" model quantize "$work/$name.snn.h5" -o "$work/$name-q8.snn.h5" >/dev/null
  }
}
make_inputs nmnist-mlp 15,2,34,34 20480 10 mlp
make_inputs dvsgesture-csnn 15,2,32,32 1024 11 csnn

echo "| network | samples | load avg | engine alone | streamed infer | whole \`snngx infer\` (wall) | CPU user + sys | whole / engine | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for name in mlp csnn; do
  load=$(cut -d' ' -f1 /proc/loadavg)
  bench=$("$build/bench/frames_bench" --model "$work/$name-q8.snn.h5" --frames "$work/$name.frames.h5" --threads "$threads" --batch 1024)
  engine=$(sed -E 's/.*engine alone ([0-9]+) samples.*/\1/' <<<"$bench")
  streamed=$(sed -E 's/.*streamed ([0-9]+) samples.*/\1/' <<<"$bench")
  samples=$(sed -E 's/.*\| ([0-9]+) samples \|.*/\1/' <<<"$bench")
  /usr/bin/time -v "$snngx" infer --model "$work/$name-q8.snn.h5" --frames "$work/$name.frames.h5" --threads "$threads" \
    >/dev/null 2>"$work/$name.time"
  wall=$(awk -F': ' '/Elapsed/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; ++i) s = s * 60 + p[i]; print s}' "$work/$name.time")
  user=$(awk -F': ' '/User time/ {print $2}' "$work/$name.time")
  sys=$(awk -F': ' '/System time/ {print $2}' "$work/$name.time")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f MB", $2 / 1024}' "$work/$name.time")
  rate=$(awk -v n="$samples" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')
  share=$(awk -v r="$rate" -v e="$engine" 'BEGIN {printf "%.0f %%", 100 * r / e}')
  echo "| $name | $samples | $load | $engine /s | $streamed /s | $rate /s ($wall s) | $user + $sys s | $share | $rss |"
done
