#!/usr/bin/env bash
# A long fuzzing run of one harness, keeping what it learns: new inputs accumulate in
# build-fuzz/corpus/HARNESS (seeded from tests/fuzz/corpus/HARNESS; copy the interesting ones back, small).
#   scripts/fuzz.sh HARNESS [SECONDS]      (default 600; harnesses: tests/fuzz/CMakeLists.txt)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib.sh"
source "$ROOT/scripts/fuzz-lib.sh"
if (($# < 1)) || [[ ! " ${FUZZ_HARNESSES[*]} " == *" $1 "* ]]; then
    echo "usage: scripts/fuzz.sh HARNESS [SECONDS]; harnesses: ${FUZZ_HARNESSES[*]}" >&2
    exit 2
fi
build_fuzzers "$1"
run_fuzzer "$1" "${2:-600}" "$FUZZ_BUILD/corpus/$1"
