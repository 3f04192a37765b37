#!/usr/bin/env bash
# The format check of the test command: clang-format (.clang-format) over the C++ of src/, include/, tests/,
# python/, examples/ and bench/, and Prettier (web/.prettierrc.json) over the web app. `--fix` rewrites the
# files instead of checking them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t cpp < <(git ls-files -- 'src/*.cpp' 'src/*.h' 'include/*.h' 'tests/*.cpp' 'tests/*.h' 'python/*.cpp' \
    'python/*.h' 'examples/*.cpp' 'bench/*.cpp')
if [[ "${1:-}" == "--fix" ]]; then
    clang-format -i "${cpp[@]}"
    npm --prefix web run --silent format >/dev/null
    exit 0
fi
if ! clang-format --dry-run --Werror "${cpp[@]}" 2> /tmp/attnscope-format.log; then
    grep -o '^[^:]*:[0-9]*:[0-9]*' /tmp/attnscope-format.log | cut -d: -f1 | sort -u | sed 's/^/    not formatted: /' | head -20
    echo "attnscope: C++ files differ from .clang-format: run scripts/check-format.sh --fix" >&2
    exit 1
fi
npm --prefix web run --silent format:check >/dev/null || {
    echo "attnscope: web files differ from Prettier's format: run scripts/check-format.sh --fix" >&2
    exit 1
}
echo "    ${#cpp[@]} C++ files and the web app formatted"
