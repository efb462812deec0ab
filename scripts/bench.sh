#!/usr/bin/env bash
# Builds and runs every benchmark (bench/*_bench.cpp); tables go to stdout and out/bench/*.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
mkdir -p out/bench
for b in build/bench/*_bench; do
  name=$(basename "$b")
  # frames_bench needs a model and frames (run by whole_command.sh below); search_bench a model
  # and two frame files (a research sweep, docs/encryption.md)
  [[ $name == frames_bench || $name == search_bench ]] && continue
  echo "== $name"
  "$b" "$@" | tee "out/bench/$name.md"
done
# Issue 17: whole `snngx infer` against the engine alone, both reference networks.
echo "== bench/whole_command.sh"
bash bench/whole_command.sh build out/bench/whole | tee out/bench/whole_command.md
# The decryption engine on real cells at the chip's clock (yosys + OpenSTA, Nangate 45 nm; skipped
# without ../shared/tech): out/bench/synth/report.json and report.md.
echo "== rtl/synth/flow.sh (default engine, 1 GHz)"
rc=0
bash rtl/synth/flow.sh --out out/bench/synth || rc=$?
if (( rc == 77 )); then echo "(synthesis skipped: no ../shared/tech)"; elif (( rc != 0 )); then exit "$rc"; fi
