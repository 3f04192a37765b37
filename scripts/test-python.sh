#!/usr/bin/env bash
# The Python package's lane: installs its build backend and test tools into .venv (scripts/requirements-
# python.txt), builds and installs the package there (`pip install .`: scikit-build-core + nanobind over the
# same library; ccache and the kept build-py/ folder make a rebuild incremental), then runs tests/python
# against the installed package. Safe to run again. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
source "$ROOT/scripts/lib.sh"
export PIP_NO_CACHE_DIR=1
START=$SECONDS
step() {
    printf '\033[1m==> %s\033[0m\n' "$1"
    STEP_START=$SECONDS
}
step_done() { printf '    (%s: %d s)\n' "$1" $((SECONDS - STEP_START)); }

step "set-up"
[[ -x "$ROOT/.venv/bin/python" ]] || "$ROOT/scripts/setup-tests.sh"
[[ -f "$ROOT/models/all-MiniLM-L6-v2/model.safetensors" ]] || "$ROOT/scripts/setup.sh"
REQ="$ROOT/scripts/requirements-python.txt"
STAMP="$ROOT/.venv/.requirements-python.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
    "$ROOT/.venv/bin/pip" install -q -r "$REQ"
    echo "$want" > "$STAMP"
fi
step_done "set-up"

step "build and install the Python package into .venv (pip install .)"
# -Werror as in every test build; two compile jobs (the machine's cores are shared). No compiler override:
# changing the compiler of a configured build-py/ makes CMake drop its cache, scikit-build-core's settings
# (SKBUILD) with it, and build the CLI instead of the module.
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" "$ROOT/.venv/bin/pip" install -q --no-build-isolation \
    --no-deps --config-settings=cmake.define.ATTNSCOPE_WERROR=ON "$ROOT"
step_done "build and install"

step "Python package tests (tests/python, against the installed package)"
mkdir -p "$ROOT/tests/artifacts"
(cd "$ROOT" && .venv/bin/python -m pytest tests/python -ra --durations=8 "$@")
step_done "Python package tests"
printf '    (Python lane: %d s)\n' $((SECONDS - START))
