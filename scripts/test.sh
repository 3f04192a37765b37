#!/usr/bin/env bash
# Runs every test: the C++ unit tests (GoogleTest via CTest), the Python-driven suites — conformance
# against the real transformers/tokenizers, the CLI end to end, the HTTP API, the REPL — then the web
# app's type check and the browser tests in Debian's headless Chromium.
# Extra arguments go to pytest (e.g. scripts/test.sh -k tokenizer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> unit tests"
ctest --test-dir build --output-on-failure -j2
echo "==> conformance, CLI and end-to-end tests"
# Checkpoints generated at test time (.cache, 1.9 GB the first time) and the largest tests' folders.
ROOT="$(pwd)" && source scripts/disk.sh && need_free_gib 3 "the Python-driven tests"
mkdir -p tests/artifacts
.venv/bin/python -m pytest tests -ra "$@"
echo "==> web app type check"
npm --prefix web run --silent check
echo "==> browser tests (headless Chromium)"
node --test --test-reporter=spec tests/e2e/
