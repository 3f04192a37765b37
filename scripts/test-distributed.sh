#!/usr/bin/env bash
# The distributed lane: attnscope.distributed on a real two-node Ray cluster on loopback (tests/distributed).
# Idempotent: installs Ray (pinned) and psutil into .venv when missing, builds the CLI (the reference the
# results are compared with) and installs the Python package into .venv, then runs the tests, each step timed.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
source scripts/lib.sh
RAY_VERSION=2.60.0
step() { printf '\033[1m==> %s\033[0m\n' "$1"; STEP_START=$SECONDS; }
step_done() { printf '    (%s: %d s)\n' "$1" $((SECONDS - STEP_START)); }
LANE_START=$SECONDS

[[ -x .venv/bin/python ]] || { echo "attnscope: .venv is missing: run scripts/setup.sh and scripts/setup-tests.sh first" >&2; exit 1; }
step "Ray $RAY_VERSION and psutil in .venv"
if ! .venv/bin/python -c "import ray, ray.data, psutil, sys; sys.exit(ray.__version__ != '$RAY_VERSION')" 2>/dev/null; then
    need_free_gib 2 "installing Ray"
    .venv/bin/pip install --no-cache-dir -q "ray[data]==$RAY_VERSION" psutil
fi
command -v ss >/dev/null || apt_install iproute2  # the listener check
step_done "Ray"

step "the CLI (reference) and the Python package"
configure_build build -DATTNSCOPE_BUILD_TESTS=ON  # the one test build everyone shares (only its CLI is built here)
cmake --build build --target attnscope -j2
# The package as scripts/test-python.sh installs it: its pinned build backend, -Werror, two compile jobs.
.venv/bin/pip install -q --no-cache-dir -r scripts/requirements-python.txt
# The same install as scripts/test-python.sh (same settings, so build-py/ is reused, not rebuilt).
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" .venv/bin/pip install -q --no-build-isolation \
    --no-deps --config-settings=cmake.define.ATTNSCOPE_WERROR=ON .
step_done "builds"

step "distributed tests (loopback Ray cluster: a head and a second node)"
mkdir -p tests/artifacts
ATTNSCOPE_DISTRIBUTED_REQUIRED=1 timeout 900 .venv/bin/python -m pytest tests/distributed -ra -p no:cacheprovider "$@"
step_done "distributed tests"
printf '    (distributed lane: %d s)\n' $((SECONDS - LANE_START))
