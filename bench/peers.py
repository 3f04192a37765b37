#!/usr/bin/env python3
"""attnscope against its peers, measured in the same run, on the same machine, with the same threads.

Peers: transformers on PyTorch (eager attention, output_attentions=True — the notebook workflow), and
ONNX Runtime on CPU running a graph exported from the same weights whose outputs include every layer's
attention probabilities (so ORT cannot use its fused attention; that is the price of the probabilities).
Every engine gets the same protocol as `attnscope bench`: warm-up, then timed repetitions (about two
seconds per case, 5 to 50), median with min/max. Also the cold start: attnscope process start to the first
attention line, against a Python process doing `import transformers` + `from_pretrained` + one forward.

    bench/setup.sh
    .venv/bin/python bench/peers.py [--models minilm,bert-base] [--lengths 8,16,32,128,512] [--batches 1,32]

Writes bench/results/peers.json, a Markdown table on stdout, and a latency plot (--plot).
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
BINARY = ROOT / "build" / "attnscope"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "tools"))


def model_dirs(names):
    out = {}
    for name in names:
        if name == "minilm":
            out["all-MiniLM-L6-v2"] = ROOT / "models" / "all-MiniLM-L6-v2"
        elif name == "bert-base":
            d = ROOT / ".cache" / "bench-bert-base-uncased-shapes"
            if not (d / "model.safetensors").exists():
                import make_synthetic_bert

                make_synthetic_bert.make_synthetic_bert(str(d), str(ROOT / "models" / "all-MiniLM-L6-v2" / "vocab.txt"))
            out["bert-base-uncased shapes"] = d
        else:
            raise SystemExit(f"unknown model {name!r}: use minilm or bert-base")
    return out


def stats(times_ms):
    times_ms = sorted(times_ms)
    med = statistics.median(times_ms)
    return {"median_ms": med, "min_ms": times_ms[0], "max_ms": times_ms[-1], "reps": len(times_ms),
            "mad_ms": statistics.median(abs(t - med) for t in times_ms)}


def timed(fn, warmup=2):
    first = time.perf_counter()
    fn()
    first = (time.perf_counter() - first) * 1e3
    for _ in range(warmup - 1 if first < 1000 else 0):  # long cases: one warm-up run is enough
        fn()
    first = time.perf_counter()
    fn()
    first = (time.perf_counter() - first) * 1e3
    reps = int(min(50, max(5, 2000 / max(first, 1e-3))))
    out = [first]
    for _ in range(reps - 1):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return stats(out)


def bench_attnscope(model_dir, lengths, batches, threads):
    proc = subprocess.run([str(BINARY), "bench", "--model", str(model_dir), "-n", ",".join(map(str, lengths)),
                           "-b", ",".join(map(str, batches)), "-t", str(threads), "-f", "json"],
                          capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout)
    cases = {(c["n"], c["batch"]): c for c in report["cases"]}
    return report, cases


def probe_peak(model_dir, threads):
    """The machine's FMA peak measured again, as `attnscope bench` measures it at its start."""
    proc = subprocess.run([str(BINARY), "bench", "--model", str(model_dir), "-n", "1", "-r", "1", "--cold-starts", "0",
                           "-t", str(threads), "-f", "json"], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)["machine"]["peak_gflops"]


# A neighbour on a shared machine can take a core for minutes; when the peak measured after a model's
# runs differs from the one before by more than this, the run's ratios are flagged as suspect.
PEAK_DRIFT = 0.10


def bench_torch(model_dir, lengths, batches, threads):
    import torch
    from transformers import BertModel

    torch.set_num_threads(threads)
    model = BertModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    out = {}
    for b in batches:
        for n in lengths:
            ids = torch.from_numpy(np.random.default_rng(n).integers(1000, 30000, (b, n)))
            with torch.no_grad():
                out[(n, b)] = timed(lambda: model(input_ids=ids, output_attentions=True))
    return out


def export_onnx(model_dir, path):
    import torch
    from transformers import BertModel

    model = BertModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    layers = model.config.num_hidden_layers

    class WithAttentions(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, token_type_ids):
            o = self.m(input_ids=input_ids, token_type_ids=token_type_ids, output_attentions=True)
            return (o.last_hidden_state,) + tuple(o.attentions)

    wrapper = WithAttentions(model).eval()
    ids = torch.randint(1000, 30000, (1, 16))
    torch.onnx.export(wrapper, (ids, torch.zeros_like(ids)), str(path), input_names=["input_ids", "token_type_ids"],
                      output_names=["last_hidden_state"] + [f"attention_{i}" for i in range(layers)],
                      dynamic_axes={"input_ids": {0: "batch", 1: "n"}, "token_type_ids": {0: "batch", 1: "n"}},
                      dynamo=False, opset_version=17)
    # The exported graph must give the same attentions as the eager model.
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    check = torch.randint(1000, 30000, (1, 37))
    got = session.run(None, {"input_ids": check.numpy(), "token_type_ids": np.zeros_like(check.numpy())})
    with torch.no_grad():
        ref = model(input_ids=check, output_attentions=True)
    return max(float(np.abs(got[1 + i] - ref.attentions[i].numpy()).max()) for i in range(layers))


def bench_ort(model_dir, name, lengths, batches, threads):
    import onnxruntime as ort

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / (name.replace(" ", "_") + ".onnx")
    max_diff = export_onnx(model_dir, path)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    out = {}
    for b in batches:
        for n in lengths:
            ids = np.random.default_rng(n).integers(1000, 30000, (b, n)).astype(np.int64)
            feed = {"input_ids": ids, "token_type_ids": np.zeros_like(ids)}
            out[(n, b)] = timed(lambda: session.run(None, feed))
    return out, max_diff


def cold_start_python(model_dir, runs=5):
    code = ("import time, sys; t0 = time.perf_counter(); import torch, transformers; "
            "from transformers import AutoTokenizer, BertModel; "
            f"tok = AutoTokenizer.from_pretrained({str(model_dir)!r}); "
            f"m = BertModel.from_pretrained({str(model_dir)!r}, attn_implementation='eager').eval(); "
            "out = m(**tok('The output shows the attention values', return_tensors='pt'), output_attentions=True); "
            "print(float(out.attentions[0][0, 0, 0, 0])); sys.stdout.flush()")
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=dict(os.environ, TORCH_NUM_THREADS="2"))
        proc.stdout.readline()
        times.append((time.perf_counter() - t0) * 1e3)
        proc.wait()
    return stats(times[1:])  # the first run warms the page cache


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for ax, (name, r) in zip(axes[0], results.items()):
        for engine, style in (("attnscope", "o-"), ("transformers", "s--"), ("onnxruntime", "^:")):
            pts = sorted((int(k.split("x")[0]), v["median_ms"]) for k, v in r[engine].items() if k.endswith("x1"))
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=engine)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("tokens (n), batch 1")
        ax.set_ylabel("forward with attentions, median ms")
        ax.set_title(name)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    machine = next(iter(results.values()))["machine"]
    fig.suptitle(f"{machine['cpu']}, {machine['threads']} threads, fp32 (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="minilm,bert-base")
    ap.add_argument("--lengths", default="8,16,32,128,512")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--plot", default=str(ROOT / "docs" / "performance-latency.png"))
    args = ap.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    batches = [int(x) for x in args.batches.split(",")]
    results = {}
    for name, d in model_dirs(args.models.split(",")).items():
        print(f"== {name}", file=sys.stderr)
        report, ours = bench_attnscope(d, lengths, batches, args.threads)
        torch_r = bench_torch(d, lengths, batches, args.threads)
        ort_r, ort_diff = bench_ort(d, name, lengths, batches, args.threads)
        py_cold = cold_start_python(d)
        peak_after = probe_peak(d, args.threads)
        drift = peak_after / report["machine"]["peak_gflops"] - 1
        key = lambda nb: f"{nb[0]}x{nb[1]}"
        results[name] = {
            "machine": report["machine"], "model": report["model"],
            "attnscope": {key(k): {kk: v[kk] for kk in ("median_ms", "min_ms", "max_ms", "mad_ms", "reps", "gflops",
                                                         "share_of_peak", "x_weight_floor")} for k, v in ours.items()},
            "transformers": {key(k): v for k, v in torch_r.items()},
            "onnxruntime": {key(k): v for k, v in ort_r.items()},
            "onnxruntime_max_attention_diff_vs_torch": ort_diff,
            "cold_start_ms": {"attnscope": report.get("cold_start_ms"), "python_transformers": py_cold},
            "peak_gflops_after": peak_after,
            "peak_drift": drift,
        }
        if abs(drift) > PEAK_DRIFT:
            print(f"WARNING: {name}: the machine's peak moved from {report['machine']['peak_gflops']:.0f} to "
                  f"{peak_after:.0f} GFLOP/s during this model's runs ({100 * drift:+.0f}%): something else took CPU "
                  f"time, and these numbers are suspect — run again", file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "peers.json").write_text(json.dumps(results, indent=2))
    versions = {}
    for mod in ("torch", "transformers", "onnxruntime"):
        versions[mod] = __import__(mod).__version__
    m = next(iter(results.values()))["machine"]
    print(f"Machine: {m['cpu']}, {m['logical_cpus']} logical CPUs, {m['threads']} threads for every engine; "
          f"peak {m['peak_gflops']:.0f} GFLOP/s, read bandwidth {m['read_bandwidth_gbs']:.0f} GB/s; "
          f"attnscope {m['build']}, {m['compiler']}; torch {versions['torch']}, transformers "
          f"{versions['transformers']}, onnxruntime {versions['onnxruntime']}; Python {platform.python_version()}.\n")
    for name, r in results.items():
        print(f"### {name}\n")
        print(f"Peak measured before this model's runs {r['machine']['peak_gflops']:.0f} GFLOP/s, after "
              f"{r['peak_gflops_after']:.0f} ({100 * r['peak_drift']:+.0f}%"
              f"{'; beyond ±10%: suspect' if abs(r['peak_drift']) > PEAK_DRIFT else ''}).\n")
        print("| n | batch | attnscope ms | % of peak | transformers ms | ONNX Runtime ms | transformers / attnscope | ORT / attnscope |")
        print("|---|---|---|---|---|---|---|---|")
        for k, v in r["attnscope"].items():
            n, b = k.split("x")
            t, o = r["transformers"][k]["median_ms"], r["onnxruntime"][k]["median_ms"]
            print(f"| {n} | {b} | {v['median_ms']:.1f} | {100 * v['share_of_peak']:.0f}% | {t:.1f} | {o:.1f} | "
                  f"**{t / v['median_ms']:.2f}×** | {o / v['median_ms']:.2f}× |")
        cs = r["cold_start_ms"]
        if cs["attnscope"]:
            a, p = cs["attnscope"]["median"], cs["python_transformers"]["median_ms"]
            print(f"\nCold start to the first attention value: attnscope {a:.0f} ms, Python (import transformers + "
                  f"from_pretrained + forward) {p:.0f} ms: **{p / a:.0f}×**. ONNX graph check: max attention "
                  f"difference to torch {r['onnxruntime_max_attention_diff_vs_torch']:.1e}.\n")
    if args.plot:
        plot(results, args.plot)
        print(f"plot: {args.plot}", file=sys.stderr)


if __name__ == "__main__":
    main()
