"""`attnscope bench`: the report carries its protocol (repetitions, spread, machine, threads, build, BLAS)
and its derived numbers agree with the raw ones and with the model's shapes counted here from first
principles. Speed itself is not asserted: the benchmark programs print it (docs/performance.md)."""
import json
import re
import subprocess

import pytest

from tests.conftest import BINARY


def _flops(cfg, n):
    """One sequence: Q, K, V, attention output, intermediate and output GEMMs, plus Q·Kᵀ and P·V."""
    D, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    linear = 2 * n * (3 * D * D + D * D + D * I + I * D)
    attention = 2 * n * n * D + 2 * n * n * D
    return L * (linear + attention)


def test_json_report_is_consistent(attnscope, minilm_dir):
    report = attnscope.json("bench", "--model", minilm_dir, "-n", "8,16", "-b", "1,2", "-r", "3", "--warmup", "1",
                            "--cold-starts", "2", "--format", "json", "-q")
    cfg = json.loads((minilm_dir / "config.json").read_text())
    m = report["machine"]
    print({k: m[k] for k in ("cpu", "threads", "peak_gflops", "read_bandwidth_gbs", "weight_floor_ms")})
    assert m["cpu"] and m["threads"] >= 1 and m["logical_cpus"] >= 1 and m["build"].startswith("Release")
    assert m["kernels"] in ("avx512", "avx2", "reference") and m["compiler"]
    assert m["peak_gflops"] > 0 and m["read_bandwidth_gbs"] > 0
    D, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    weight_bytes = 4 * L * (4 * D * D + 2 * D * I)
    assert report["model"]["matmul_weight_bytes"] == weight_bytes
    assert m["weight_floor_ms"] == pytest.approx(weight_bytes / (m["read_bandwidth_gbs"] * 1e9) * 1e3, rel=1e-9)

    cases = report["cases"]
    assert [(c["batch"], c["n"]) for c in cases] == [(1, 8), (1, 16), (2, 8), (2, 16)]
    for c in cases:
        assert c["reps"] == 3
        assert c["min_ms"] <= c["p10_ms"] <= c["median_ms"] <= c["p90_ms"] <= c["max_ms"]
        assert 0 <= c["mad_ms"] <= c["max_ms"] - c["min_ms"]
        flops = _flops(cfg, c["n"]) * c["batch"]
        assert c["gflops"] == pytest.approx(flops / (c["median_ms"] * 1e-3) / 1e9, rel=1e-9)
        assert c["tokens_per_s"] == pytest.approx(c["n"] * c["batch"] / (c["median_ms"] * 1e-3), rel=1e-9)
        assert c["share_of_peak"] == pytest.approx(c["gflops"] / m["peak_gflops"], rel=1e-9)
        assert c["x_weight_floor"] == pytest.approx(c["median_ms"] / m["weight_floor_ms"], rel=1e-9)
    cold = report["cold_start_ms"]
    assert cold["runs"] == 2 and 0 < cold["min"] <= cold["median"] <= cold["max"]
    assert report["peak_rss_bytes"] > 0 and report["weights"] == "fp32"
    assert "attention_error_vs_fp32" not in report


def test_without_limits_the_shares_are_left_empty(attnscope, minilm_dir):
    report = attnscope.json("bench", "--model", minilm_dir, "-n", "5", "-r", "1", "--no-limits", "--cold-starts", "0",
                            "-t", "1", "--format", "json", "-q")
    assert report["machine"]["threads"] == 1 and report["machine"]["peak_gflops"] == 0
    (case,) = report["cases"]
    assert case["share_of_peak"] is None and case["x_weight_floor"] is None and "cold_start_ms" not in report


def test_fast_mode_reports_its_error(attnscope, minilm_dir):
    report = attnscope.json("bench", "--model", minilm_dir, "--weights", "fp16", "-n", "8", "-r", "1", "--no-limits",
                            "--cold-starts", "0", "--format", "json", "-q")
    err = report["attention_error_vs_fp32"]
    print(f"fp16 weights, bench's own check: max {err['max']:.2e}, mean {err['mean']:.2e} over {err['inputs']} inputs")
    assert report["weights"] == "fp16" and err["inputs"] > 0
    assert 0 < err["mean"] <= err["max"] < 2e-3


def test_table_reports_the_machine_and_the_kernels(attnscope, minilm_dir):
    out = attnscope("bench", "--model", minilm_dir, "-n", "8", "-r", "2", "--no-limits", "--cold-starts", "0",
                    "-q").stdout.decode()
    assert re.search(r"machine +.* · \d+ logical CPUs · \d+ threads · AVX2 (yes|no) · AVX-512 GEMM tiles (yes|no) · "
                     r"kernels (avx512|avx2|reference)", out), out
    assert re.search(r"^ +8 +1 +[\d.]+ ", out, re.M), out


def test_gemm_tables_program():
    """bench/gemm_tables.cpp: the GEMM kernel against OpenBLAS, and the activation row-stride table."""
    binary = BINARY.parent / "attnscope_bench_gemm"
    out = subprocess.run([str(binary), "--threads", "2"], capture_output=True, check=True, timeout=600).stdout.decode()
    assert re.search(r"^ +8 +768 +768 +[\d.]+ +[\d.]+ +[\d.]+×$", out, re.M), out
    # The row-stride table: which strides the engine pads, and ratio = padded / dense as printed.
    rows = re.findall(r"^ +(\d+) +(\d+) +(\d+) +(yes|no) +([\d.]+) +([\d.]+) +([\d.]+)×$", out, re.M)
    assert len(rows) == 10, out
    for m, k, n, padded, dense, pad, ratio in rows:
        assert padded == ("yes" if int(k) % 1024 == 0 else "no"), (k, padded)
        # The ratio is printed from the unrounded times: allow for the rounding of the three printed numbers.
        d, p, r = (float(x) for x in (dense, pad, ratio))
        decimals = lambda x: 10.0 ** -len(x.split(".")[1]) / 2 if "." in x else 0.5
        slack = decimals(ratio) + (decimals(pad) / p + decimals(dense) / d) * p / d
        assert abs(r - p / d) <= slack + 1e-12, (dense, pad, ratio, slack)
    print("\n".join(line for line in out.splitlines() if "yes" in line or "no " in line))


@pytest.mark.parametrize("args, message", [
    (["--format", "xml"], "--format xml: expected table or json"),
    (["-n", "0"], "--lengths 0: must be 1..512"),
    (["-n", "8,600"], "--lengths 600: must be 1..512"),
    (["-b", "0"], "--batch 0: must be 1 or more"),
    (["--reps=-1"], "--reps -1: must be 0 or more"),
    (["-b", "100000", "-n", "512"], "the attention maps alone take"),
    (["--weights", "fp8"], "--weights fp8: expected fp32"),
])
def test_bad_options_fail_before_measuring(attnscope, minilm_dir, args, message):
    proc = attnscope("bench", "--model", minilm_dir, "-q", *args, check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 1 and message in err, err
    assert err.count("\n") == 0 and proc.stdout == b""


def test_bad_thread_count_is_a_usage_error(attnscope, minilm_dir):
    """--threads goes through the one validator every command shares (tests/cli/test_reliability.py)."""
    proc = attnscope("bench", "--model", minilm_dir, "-q", "--threads=-3", check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "--threads: -3: expected 0 (one per core) to 256 threads" in err, err
    assert err.count("\n") == 0 and proc.stdout == b""
