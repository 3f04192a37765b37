#!/usr/bin/env bash
# What only the tests need, on top of scripts/setup.sh (test.sh runs both):
#   1. Debian packages: GoogleTest, Chromium (browser tests), clang with its sanitizer runtimes (fuzzing)
#   2. the pinned Python reference environment in .venv — torch, transformers, tokenizers: the oracle
#      the conformance tests compare against — and transformers 4.x beside it (head_mask)
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
source "$ROOT/scripts/lib.sh"
# pip's cache would keep a second, compressed copy of torch and its CUDA libraries (3 GB) for good.
export PIP_NO_CACHE_DIR=1

apt_install libgtest-dev googletest chromium clang clang-format libclang-rt-14-dev python3-venv

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
REQ="$ROOT/scripts/requirements-reference.txt"
STAMP="$VENV/.requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
    # Measured: 5.9 GB when done (torch's wheel brings CUDA libraries even for the CPU) and 8.8 GB at the
    # peak, while the downloaded wheels are still there.
    # A half-made or outdated environment is made again from nothing, so no stale package stays behind.
    rm -rf "$VENV"
    need_free_gib 10 "the Python reference environment (.venv)"
    log "creating the Python reference environment in .venv (torch, transformers, tokenizers — a few minutes)"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -r "$REQ"
    echo "$want" > "$STAMP"
fi

TF4="$VENV/transformers4"
TF4_REQ="$ROOT/scripts/requirements-reference-tf4.txt"
TF4_STAMP="$TF4/.requirements.sha256"
want4="$(sha256sum "$TF4_REQ" | cut -d' ' -f1)"
if [[ ! -f "$TF4_STAMP" || "$(cat "$TF4_STAMP")" != "$want4" ]]; then
    log "installing transformers 4.x (head_mask) beside the reference environment"
    rm -rf "$TF4"
    "$VENV/bin/pip" install -q --no-deps --target "$TF4" -r "$TF4_REQ"
    echo "$want4" > "$TF4_STAMP"
fi
