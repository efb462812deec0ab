#!/usr/bin/env bash
# Set-up + Release build + the whole test suite (ctest). Warnings are errors here.
set -euo pipefail
cd "$(dirname "$0")/.."
export SNNGX_WITH_TORCH=1   # the reference-checkpoint importer's test needs python3-torch
SNNGX_CMAKE_ARGS="-DSNNGX_WERROR=ON ${SNNGX_CMAKE_ARGS:-}" bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900
