#!/usr/bin/env bash
# The notebook lane: the views inline in Jupyter (docs/notebook.md).
#   1. pip-installs the notebook test tools into .venv (jupyterlab, nbclient, nbconvert, anywidget; pinned
#      in scripts/requirements-notebook.txt) and the package itself from this checkout (`pip install .`);
#   2. pytest tests/notebook: the views' Python API, bad input, sizes; the example notebook executed with
#      nbclient and its attentions compared with transformers in the same kernel;
#   3. node --test tests/notebook: a real JupyterLab 4 on loopback driven by Debian's Chromium (run all,
#      each view drawn, hover, typing in explore, untrusted reopen, nbconvert HTML offline).
# Idempotent; prints each step's time. Needs scripts/setup.sh and scripts/setup-tests.sh done (Chromium,
# the reference .venv, the model); extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
source scripts/lib.sh
step() { printf '\033[1m==> %s\033[0m\n' "$1"; STEP_START=$SECONDS; }
step_done() { printf '    (%s: %d s)\n' "$1" $((SECONDS - STEP_START)); }
LANE_START=$SECONDS

step "notebook test tools and the package (pip install .)"
need_free_gib 2 "the notebook lane"
apt_install libcairo2-dev chromium
.venv/bin/python -m pip install -q -r scripts/requirements-notebook.txt
# --no-build-isolation: the build tools (scikit-build-core, nanobind) come from the same requirements, so
# the lane needs no index once they are installed; the build reuses build-py/ (and ccache) between runs.
.venv/bin/python -m pip install -q --no-deps --no-build-isolation --force-reinstall .
step_done "install"

step "views API and the example under nbclient (pytest tests/notebook)"
.venv/bin/python -m pytest tests/notebook -ra -q "$@"
step_done "pytest"

step "JupyterLab 4 in Chromium (node --test tests/notebook)"
node --test --test-reporter=spec tests/notebook/
step_done "JupyterLab"

printf '    (notebook lane: %d s)\n' $((SECONDS - LANE_START))
