# Sourced by scripts/test-fuzz.sh and scripts/fuzz.sh (ROOT set by the caller): the fuzz build and one
# bounded libFuzzer run.

FUZZ_BUILD="$ROOT/build-fuzz"
FUZZ_HARNESSES=(safetensors zip pickle torch_checkpoint npy config tokenizer_files corpus_state request_framing)

# build_fuzzers [HARNESS...]: clang with -fsanitize=fuzzer,address,undefined over the whole library
# (coverage everywhere), RelWithDebInfo for readable stacks. No CLI, server or kernels: only the parsers.
build_fuzzers() {
    apt_install clang libclang-rt-14-dev libomp-14-dev  # libomp: clang's OpenMP runtime
    cmake -S "$ROOT" -B "$FUZZ_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
        -DATTNSCOPE_FUZZ=ON -DATTNSCOPE_BUILD_CLI=OFF -DATTNSCOPE_BUILD_TESTS=OFF -DATTNSCOPE_X86_KERNELS=OFF >/dev/null
    local targets=() h
    for h in "$@"; do targets+=("fuzz_$h"); done
    cmake --build "$FUZZ_BUILD" -j2 --target "${targets[@]}"
}

# run_fuzzer HARNESS SECONDS WORKDIR: runs one harness from its committed seeds (read only; new inputs
# go to WORKDIR), stops on the first crash, leak, timeout (10 s an input) or sanitizer report and keeps
# the input in build-fuzz/artifacts/. Prints one summary line: executions, exec/s, coverage, features.
run_fuzzer() {
    local h="$1" secs="$2" work="$3" log rc=0
    local seeds="$ROOT/tests/fuzz/corpus/$h" dict="$ROOT/tests/fuzz/$h.dict"
    mkdir -p "$work" "$FUZZ_BUILD/artifacts"
    log="$FUZZ_BUILD/artifacts/$h.log"
    local args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                -artifact_prefix="$FUZZ_BUILD/artifacts/$h-")
    [[ -f "$dict" ]] && args+=(-dict="$dict")
    ASAN_OPTIONS="abort_on_error=1:detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
        LSAN_OPTIONS="suppressions=$ROOT/tests/lsan-suppressions.txt" \
        "$FUZZ_BUILD/tests/fuzz/fuzz_$h" "${args[@]}" "$work" "$seeds" >"$log" 2>&1 || rc=$?
    local done_line execs per_s
    done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    per_s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    printf '%-18s rc=%-3s %10s execs %8s exec/s  %s\n' "$h" "$rc" "${execs:-?}" "${per_s:-?}" \
        "$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$done_line")"
    if ((rc != 0)); then
        echo "fuzz_$h failed (rc=$rc); its log: $log" >&2
        grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==|Test unit written' "$log" | head -20 >&2 || true
    fi
    return "$rc"
}
