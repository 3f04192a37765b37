#!/usr/bin/env bash
# The notebook benchmark (not a test): attnscope.head_view against BertViz's in one JupyterLab and browser.
# Installs BertViz from PyPI (pinned) and the notebook lane's tools into .venv, the package from this
# checkout, then prints the table of bench/notebook.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q -r scripts/requirements-notebook.txt bertviz==1.4.1
.venv/bin/python -m pip install -q --no-deps --no-build-isolation --force-reinstall .
node bench/notebook.mjs
