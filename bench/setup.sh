#!/usr/bin/env bash
# Sets up the peer benchmark (not needed by the tests or CI): the reference environment from
# scripts/setup.sh plus ONNX Runtime and matplotlib.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/pip install -q -r bench/requirements-peers.txt
echo "ready: .venv/bin/python bench/peers.py --help"
