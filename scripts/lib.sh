# Sourced by setup.sh, test.sh and the test lanes; ROOT is the checkout holding this file unless the caller set it.
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

# need_free_gib GIB WHAT stops with one clear line when the file system holding the project has less than
# GIB free: pip, npm and the tests otherwise die mid-way with "No space left on device" (a CI run did, 51 s
# in, on a machine whose disk was shared and nearly full).
need_free_gib() {
    local avail_kib mount
    avail_kib=$(df -Pk "$ROOT" | awk 'NR == 2 {print $4}')
    mount=$(df -P "$ROOT" | awk 'NR == 2 {print $6}')
    if ((avail_kib < $1 * 1024 * 1024)); then
        printf 'attnscope: %s needs about %s GiB free on %s, and %s GiB are free; free some space and run it again\n' \
            "$2" "$1" "$mount" "$((avail_kib / 1024 / 1024))" >&2
        exit 1
    fi
}

# apt_install PACKAGE... installs the Debian packages that are not installed yet (sudo when not root).
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    printf '\033[1m==> installing Debian packages: %s\033[0m\n' "${missing[*]}"
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    # Another apt run (a second checkout's set-up) holds the lock for a while: wait for it, not fail.
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# ccache keys objects by paths relative to the checkout, so the Python package's build (pip install .)
# reuses the objects of build/ instead of compiling the library a second time.
export CCACHE_BASEDIR="$ROOT"

# configure_build DIR [CMAKE ARGS...]: the Release build every script shares. Warnings are errors here
# (Debian 12's GCC 12 builds the tree warning-free), so the test build is this same build.
configure_build() {
    local dir="$1"
    shift
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_WERROR=ON "$@" >/dev/null
}
