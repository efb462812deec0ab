#!/usr/bin/env bash
# The demo: set-up + Release build + the whole pipeline on the embedded default data:
#   data -> training -> SNNGX encryption search -> security evaluation -> accelerator simulation
#   -> RTL co-simulation,
# writing everything (models, sealed key, reports, plots, summary.md) to out/demo/.
# A second run reuses the data and the trained model it made before.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
S=./build/snngx
OUT=out/demo
DATA=$OUT/data
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
t0=$SECONDS

step "1. data: embedded N-Fashion-MNIST (Debian's Fashion-MNIST through a DVS emulator, NMNIST format) and synthetic DVS gestures"
if [[ ! -d $DATA/n-fashion-mnist ]]; then
  $S dataset make-default --out "$DATA" --size small --seed 1
fi
for split in train test; do
  [[ -f $OUT/nfm-$split.frames.h5 ]] ||
    $S dataset convert --format nmnist --root "$DATA/n-fashion-mnist" --split $split -o "$OUT/nfm-$split.frames.h5"
done
$S dataset info "$OUT/nfm-train.frames.h5" | head -8
$S dataset view "$OUT/nfm-train.frames.h5" --index 0 -o "$OUT/sample0.png"

step "2. training: the NMNIST reference MLP, surrogate-gradient BPTT, then 8-bit quantization"
$S train --arch nmnist-mlp --train "$OUT/nfm-train.frames.h5" --test "$OUT/nfm-test.frames.h5" \
  --epochs 5 --batch 32 --lr 3e-4 --seed 1 --reuse -o "$OUT/mlp.snn.h5"
$S infer --model "$OUT/mlp-q8.snn.h5" --frames "$OUT/nfm-test.frames.h5" --json-out "$OUT/infer.json" | tail -2

step "3. SNNGX encryption search on the output layer (one sample per class as the subset, 8 restarts, key kept by held-out accuracy); sealed key"
# Demo only: the passphrase sits in a file next to the key. Real users use a prompt or a device key.
printf 'snngx demo passphrase\n' > "$OUT/passphrase.txt"
chmod 600 "$OUT/passphrase.txt"
# The protective budget of docs/results.md: 1,900 sign bits (0.02 % of the weight bits), the GA
# with mutation 0.005 over 1,500 generations, the key of 8 restarts with the lowest held-out accuracy.
$S encrypt --model "$OUT/mlp-q8.snn.h5" --subset "$OUT/nfm-train.frames.h5" --per-class 1 --epsilon 1900 \
  --mutation 0.005 --generations 1500 --restarts 8 \
  --validation "$OUT/nfm-train.frames.h5" --test "$OUT/nfm-test.frames.h5" --passphrase-file "$OUT/passphrase.txt" \
  -o "$OUT/mlp-enc.snn.h5" --key "$OUT/mlp.key" --report "$OUT/encrypt"
$S key info "$OUT/mlp.key" | head -12

step "4. security evaluation: no key, partial key, random flips, brute force, fine-tuning attack"
$S attack --model "$OUT/mlp-enc.snn.h5" --test "$OUT/nfm-test.frames.h5" --key "$OUT/mlp.key" \
  --passphrase-file "$OUT/passphrase.txt" --test-limit 500 --trials 20 --known-trials 3 \
  --finetune-data "$OUT/nfm-train.frames.h5" --finetune-per-class 10 --finetune-epochs 2 --report "$OUT/attack"

step "5. accelerator: the SystemC RRAM chip holds the encrypted weights; its decryption engines use the same key (added cycles, area and energy shares)"
$S simulate --model "$OUT/mlp-enc.snn.h5" --key "$OUT/mlp.key" --passphrase-file "$OUT/passphrase.txt" \
  --frames "$OUT/nfm-test.frames.h5" --limit 200 --report-dir "$OUT/simulate" --json-out "$OUT/simulate.json"

step "6. RTL co-simulation: the Verilated decryption unit inside the cycle-level accelerator"
$S cosim --model "$OUT/mlp-enc.snn.h5" --key "$OUT/mlp.key" --passphrase-file "$OUT/passphrase.txt" \
  --frames "$OUT/nfm-test.frames.h5" --limit 8 --trace "$OUT/cosim.fst" --outputs "$OUT/cosim.h5" \
  --json-out "$OUT/cosim.json"

step "summary"
bash scripts/summary.sh "$OUT" | tee "$OUT/summary.md"
echo
echo "demo finished in $((SECONDS - t0)) s; everything is in $OUT/ (summary.md, models, sealed key, JSON reports, SVG plots)"
