#!/usr/bin/env bash
# Runs every test: installs what the tests need (scripts/setup.sh, then scripts/setup-tests.sh), builds with
# the unit tests, then runs the lanes one after the other, each timed:
#   format check · C++ unit tests · the Python-driven suites (conformance against the real transformers and
#   tokenizers, CLI, HTTP API, REPL, analyses, the installed C++ package) · the web app's type check · the
#   browser tests in Debian's headless Chromium
# Extra arguments go to pytest (e.g. scripts/test.sh -k tokenizer).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
source scripts/lib.sh
lane() {
    printf '\033[1m==> %s\033[0m\n' "$1"
    LANE_START=$SECONDS
}
lane_done() { printf '    (%s: %d s)\n' "$1" $((SECONDS - LANE_START)); }

lane "set-up"
scripts/setup.sh
scripts/setup-tests.sh
configure_build build -DATTNSCOPE_BUILD_TESTS=ON
cmake --build build
lane_done "set-up"

lane "unit tests"
ctest --test-dir build --output-on-failure -j2
lane_done "unit tests"

lane "conformance, CLI, server and package tests"
# Checkpoints generated at test time (.cache, 1.9 GB the first time) and the largest tests' folders.
need_free_gib 3 "the Python-driven tests"
mkdir -p tests/artifacts
.venv/bin/python -m pytest tests -ra "$@"
lane_done "conformance, CLI, server and package tests"

lane "web app type check"
npm --prefix web run --silent check
lane_done "web app type check"

lane "browser tests (headless Chromium)"
node --test --test-reporter=spec tests/e2e/
lane_done "browser tests"
