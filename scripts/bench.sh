#!/usr/bin/env bash
# Builds and runs every benchmark (bench/*_bench.cpp); tables go to stdout and out/bench/*.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
mkdir -p out/bench
for b in build/bench/*_bench; do
  name=$(basename "$b")
  echo "== $name"
  "$b" "$@" | tee "out/bench/$name.md"
done
