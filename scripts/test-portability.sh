#!/usr/bin/env bash
# Portability (not in the test command: the cross build alone takes longer than CI's budget allows):
#   noavx    a build with the x86 kernels compiled out (what a CPU without AVX2 runs): unit tests + MiniLM case
#   aarch64  a cross build with Debian's aarch64 compiler and arm64 multiarch libraries: the unit tests and the
#            MiniLM case under qemu-user
# The MiniLM case is tests/portability/check_print_head.py: every head, printed by examples/cpp's print_head
# linked against the build's installed library, against transformers. Usage: scripts/test-portability.sh [noavx|aarch64]...
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
source scripts/lib.sh
[[ -x .venv/bin/python ]] || scripts/setup-tests.sh
MODEL="$ROOT/models/all-MiniLM-L6-v2"
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# build_and_check DIR [CMAKE ARGS...]: library + unit tests, installed, print_head built against the install.
build_and_check() {
    local dir="$1" start=$SECONDS
    shift
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_WERROR=ON -DATTNSCOPE_BUILD_CLI=OFF \
        -DATTNSCOPE_BUILD_HUB=OFF -DATTNSCOPE_BUILD_TESTS=ON "$@" >/dev/null
    cmake --build "$dir"
    ctest --test-dir "$dir" -j2 --output-on-failure > "$dir/ctest.log" || { cat "$dir/ctest.log"; return 1; }
    grep -E "tests passed|tests failed" "$dir/ctest.log"
    cmake --install "$dir" --prefix "$dir/install" >/dev/null
    local example_args=() emulator=()
    if [[ "$*" == *aarch64* ]]; then
        example_args=(-DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/aarch64-linux-gnu.cmake")
        emulator=(qemu-aarch64)
    fi
    cmake -S examples/cpp -B "$dir/example" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$dir/install" \
        "${example_args[@]}" >/dev/null
    cmake --build "$dir/example"
    .venv/bin/python tests/portability/check_print_head.py "$MODEL" "${emulator[@]}" "$dir/example/print_head"
    printf '    (%s: %d s)\n' "$dir" $((SECONDS - start))
}

for target in "${@:-noavx aarch64}"; do
    for t in $target; do
        case "$t" in
            noavx)
                log "reference kernels only (ATTNSCOPE_X86_KERNELS=OFF)"
                build_and_check "$ROOT/build-noavx" -DATTNSCOPE_X86_KERNELS=OFF
                ;;
            aarch64)
                log "aarch64 cross build, tests under qemu-user"
                dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt-get update -qq; }
                apt_install g++-aarch64-linux-gnu qemu-user libc6:arm64 libstdc++6:arm64 libgomp1:arm64 \
                    libutf8proc-dev:arm64 libfmt-dev:arm64 libgtest-dev:arm64
                build_and_check "$ROOT/build-aarch64" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/aarch64-linux-gnu.cmake"
                ;;
            *) echo "test-portability.sh: unknown target '$t' (noavx, aarch64)" >&2; exit 2 ;;
        esac
    done
done
