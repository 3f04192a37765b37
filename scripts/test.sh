#!/usr/bin/env bash
# Runs every test: installs what the tests need (scripts/setup.sh, then scripts/setup-tests.sh), builds with
# the unit tests, then runs the lanes one after the other, each timed:
#   format check · C++ unit tests · the Python package · the notebook views in a real JupyterLab · corpus
#   statistics on a loopback Ray cluster · the sanitizer build (ASan + UBSan) · the fuzzers (15 s each) · the
#   Python-driven suites (conformance against the real transformers and tokenizers, CLI, HTTP API, REPL,
#   analyses, the installed C++ package, the web app's schema types) · the web app's type check · the
#   browser tests in Debian's headless Chromium
# Extra arguments go to the main pytest run (e.g. scripts/test.sh -k tokenizer).
# Not here (longer than CI's budget allows): scripts/test-portability.sh (reference kernels, aarch64 under
# qemu) and scripts/fuzz.sh (long fuzzing runs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
source scripts/lib.sh
TOTAL_START=$SECONDS
TIMES=()
lane() {
    printf '\033[1m==> %s\033[0m\n' "$1"
    LANE_NAME="$1"
    LANE_START=$SECONDS
}
lane_done() {
    TIMES+=("$(printf '%5d s  %s' $((SECONDS - LANE_START)) "$LANE_NAME")")
    printf '    (%s: %d s)\n' "$LANE_NAME" $((SECONDS - LANE_START))
}

lane "set-up"
scripts/setup.sh
scripts/setup-tests.sh
configure_build build -DATTNSCOPE_BUILD_TESTS=ON
cmake --build build
lane_done

lane "format check"
scripts/check-format.sh
lane_done

lane "unit tests"
ctest --test-dir build --output-on-failure -j2
lane_done

lane "Python package"
scripts/test-python.sh
lane_done

lane "notebook views (JupyterLab)"
scripts/test-notebook.sh
lane_done

lane "distributed corpus (Ray on loopback)"
scripts/test-distributed.sh
lane_done

lane "sanitizers (ASan + UBSan)"
scripts/test-sanitize.sh
lane_done

lane "fuzzing (bounded)"
scripts/test-fuzz.sh 15
lane_done

lane "conformance, CLI, server, package and schema tests"
# Checkpoints generated at test time (.cache, 1.9 GB the first time) and the largest tests' folders.
need_free_gib 3 "the Python-driven tests"
mkdir -p tests/artifacts
# The Python package's, the notebook's and the cluster's suites run in their own lanes, after their set-up.
.venv/bin/python -m pytest tests -ra --ignore=tests/python --ignore=tests/notebook --ignore=tests/distributed "$@"
lane_done

lane "web app type check"
npm --prefix web run --silent check
lane_done

lane "browser tests (headless Chromium)"
node --test --test-reporter=spec tests/e2e/
lane_done

printf '\033[1m==> all lanes passed in %d s\033[0m\n' $((SECONDS - TOTAL_START))
printf '%s\n' "${TIMES[@]}"
