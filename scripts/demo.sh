#!/usr/bin/env bash
# The demo: set-up + Release build + the main job end to end on embedded data. Writes everything
# to out/demo/ and prints a summary at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
S=./build/snngx
OUT=out/demo
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. model: the NMNIST reference MLP, PyTorch-default init, quantized to 8 bits"
$S model init --arch nmnist-mlp --seed 1 -o "$OUT/mlp.snn.h5"
$S model quantize "$OUT/mlp.snn.h5" --bits 8 -o "$OUT/mlp-q8.snn.h5"
$S model info "$OUT/mlp-q8.snn.h5"

step "2. frames: 2,000 synthetic Poisson samples at 2 % density"
$S frames synth --shape 15,2,34,34 --count 2000 --density 0.02 --classes 10 --seed 3 -o "$OUT/synth.frames.h5"

step "3. inference (event-driven engine, all cores)"
$S infer --model "$OUT/mlp-q8.snn.h5" --frames "$OUT/synth.frames.h5" --json-out "$OUT/infer.json" | head -2

step "summary"
echo "outputs in $OUT/: $(ls "$OUT" | tr '\n' ' ')"
