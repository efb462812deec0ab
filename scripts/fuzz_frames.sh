#!/usr/bin/env bash
# Issue 17 point 5: the frame-file fuzz tests at full strength (10,000 mutations per kind and
# file layout; ctest runs 100). Usage: scripts/fuzz_frames.sh [BUILD_DIR] [MUTATIONS]
# An ASan build (-DCMAKE_CXX_FLAGS=-fsanitize=address) checks memory on the same run.
set -euo pipefail
build="${1:-build-dev}"
SNNGX_FUZZ_MUTATIONS="${2:-10000}" "$build/tests/datasets/datasets_tests" --gtest_filter='FrameFileFuzz.*'
