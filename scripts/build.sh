#!/usr/bin/env bash
# Installs the system packages and builds snngx in Release (into ./build). Used by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${SNNGX_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
