# Sourced by setup.sh and test.sh. need_free_gib GIB WHAT stops with one clear line when the file system
# holding the project has less than GIB free: pip, npm and the tests otherwise die mid-way with "No space
# left on device" (a CI run did, 51 s in, on a machine whose disk was shared and nearly full).
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
