#!/usr/bin/env bash
# The fuzz lane: builds every libFuzzer harness (tests/fuzz, clang + ASan + UBSan, build-fuzz/) and runs
# each for SECONDS (default 30) from its committed seeds; fails if any harness finds a crash, a leak, a
# hang or undefined behaviour (the input is kept in build-fuzz/artifacts/). Longer runs: scripts/fuzz.sh.
#   scripts/test-fuzz.sh [SECONDS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib.sh"
source "$ROOT/scripts/fuzz-lib.sh"
SECS="${1:-30}"

t0=$(date +%s)
build_fuzzers "${FUZZ_HARNESSES[@]}"
t1=$(date +%s)
echo "fuzz build: $((t1 - t0)) s"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for h in "${FUZZ_HARNESSES[@]}"; do
    run_fuzzer "$h" "$SECS" "$work/$h" || failed+=("$h")
done
t2=$(date +%s)
echo "fuzz runs: $((t2 - t1)) s (${#FUZZ_HARNESSES[@]} harnesses × ${SECS} s); lane: $((t2 - t0)) s"
if ((${#failed[@]})); then
    echo "fuzz lane FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz lane passed"
