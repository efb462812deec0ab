#!/usr/bin/env bash
# Issue 17 point 5: every fuzz test (ctest label "fuzz": frame files of both layouts, model
# files v1/v2, outputs files, NIR files, key files, the raw dataset decoders) at full strength,
# 10,000 mutations per kind and file (ctest's default run uses 100). Prints each file kind's
# tally and ctest's verdict; the whole log is BUILD_DIR/fuzz.log. Exits with ctest's status.
# Usage: scripts/fuzz_files.sh [BUILD_DIR] [MUTATIONS] [extra ctest args, e.g. -R ModelFileFuzz]
# An ASan/UBSan build (-DSNNGX_SANITIZE=ON, as .ci/run's build-asan) checks memory on the same run.
set -uo pipefail
build="${1:-build-dev}"
mutations="${2:-10000}"
shift $(( $# > 2 ? 2 : $# ))
log="$build/fuzz.log"
SNNGX_FUZZ_MUTATIONS="$mutations" ctest --test-dir "$build" -L fuzz --output-on-failure --timeout 7200 -V "$@" >"$log" 2>&1
status=$?
grep -E "mutations:|Passed|\*\*\*|tests passed|tests failed" "$log" | sed -E 's/^[0-9]+: //'
exit "$status"
