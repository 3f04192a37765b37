#!/usr/bin/env python3
"""The Python package against transformers, in the same process with the same threads, and against its
own C++ forward. Prints numbers (median, min–max, repetitions); asserts nothing.

1. model(text) at n = 8, 128, 512 tokens: attnscope.from_pretrained(...)(text) — tokenize, forward, the
   per-layer arrays — against transformers' tokenizer + eager BertModel(output_attentions=True).
2. The binding's own overhead: a call's wall time minus the engine's forward time measured inside the C++
   call (steady_clock around Model::forward_batch_into), as a share of the forward.
3. Cold start in a fresh process: `import attnscope` + from_pretrained + first attention, against
   `import transformers` + from_pretrained (tokenizer, model) + first forward.

    .venv/bin/python bench/python_api.py [--models minilm,bert-base] [--threads 2] [--seconds 2]

attnscope must be installed (scripts/test-python.sh does `pip install .` into .venv).
"""
import argparse
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
TEXT = "The output shows the attention values"


def model_dirs(names):
    out = {}
    for name in names:
        if name == "minilm":
            out["all-MiniLM-L6-v2"] = ROOT / "models" / "all-MiniLM-L6-v2"
        elif name == "bert-base":
            # The tests' synthetic checkpoint when it is there (the same shapes), else a new one.
            made = sorted((ROOT / ".cache").glob("synthetic-bert-base-uncased-*/model.safetensors"))
            d = made[0].parent if made else ROOT / ".cache" / "bench-bert-base-uncased-shapes"
            if not (d / "model.safetensors").exists():
                import make_synthetic_bert

                make_synthetic_bert.make_synthetic_bert(str(d), str(ROOT / "models" / "all-MiniLM-L6-v2" / "vocab.txt"))
            out["bert-base-uncased shapes"] = d
        else:
            raise SystemExit(f"unknown model {name!r}: use minilm or bert-base")
    return out


def summary(ms):
    ms = sorted(ms)
    return {"median": statistics.median(ms), "min": ms[0], "max": ms[-1], "reps": len(ms)}


def repeat(fn, seconds, warmup=2, low=5, high=100):
    for _ in range(warmup):
        fn()
    times, start = [], time.perf_counter()
    while len(times) < high and (len(times) < low or time.perf_counter() - start < seconds):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return times


def fmt(s):
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f}, {s['reps']}×)"


def text_of(tokenizer, n):
    from conformance.inputs import text_with_tokens

    return text_with_tokens(tokenizer, n, n)


def warm_calls(model_dir, lengths, threads, seconds):
    import attnscope
    import torch
    from transformers import AutoTokenizer, BertModel

    torch.set_num_threads(threads)
    ours = attnscope.from_pretrained(str(model_dir), threads=threads)
    hf_tok = AutoTokenizer.from_pretrained(str(model_dir))
    hf = BertModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    rows = []
    for n in lengths:
        text = text_of(hf_tok, n)
        assert len(ours.tokenizer(text)["input_ids"]) == n
        engine, walls = [], []

        def ours_call():
            t = time.perf_counter()
            out = ours(text)
            walls.append((time.perf_counter() - t) * 1e3)
            engine.append(out._blocks["_forward_ns"] / 1e6)
            return out.attentions

        def hf_call():
            with torch.no_grad():
                return hf(**hf_tok(text, return_tensors="pt"), output_attentions=True).attentions

        a = summary(repeat(ours_call, seconds))
        b = summary(repeat(hf_call, seconds))
        walls, engine = walls[2:], engine[2:]  # without the warm-up calls
        overhead = [(w - e) / e * 100 for w, e in zip(walls, engine)]
        rows.append((n, a, b, statistics.median(engine), statistics.median([w - e for w, e in zip(walls, engine)]),
                     statistics.median(overhead)))
    return rows


COLD_OURS = ("import time; t0 = time.perf_counter(); import attnscope; m = attnscope.from_pretrained({d!r}); "
             "a = m({t!r}).attentions; print(float(a[0][0, 0, 0, 0]), flush=True)")
COLD_HF = ("import time; t0 = time.perf_counter(); import torch, transformers; "
           "from transformers import AutoTokenizer, BertModel; tok = AutoTokenizer.from_pretrained({d!r}); "
           "m = BertModel.from_pretrained({d!r}, attn_implementation='eager').eval(); "
           "out = m(**tok({t!r}, return_tensors='pt'), output_attentions=True); "
           "print(float(out.attentions[0][0, 0, 0, 0]), flush=True)")


def cold(code, threads, runs):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    times = []
    for _ in range(runs + 1):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
        times.append((time.perf_counter() - t) * 1e3)
    return summary(times[1:])  # the first run warms the page cache


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="minilm,bert-base")
    ap.add_argument("--lengths", default="8,128,512")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per case (5 to 100 repetitions)")
    ap.add_argument("--cold-runs", type=int, default=5)
    args = ap.parse_args()
    import attnscope
    import torch
    import transformers

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs; Python {platform.python_version()}; threads {args.threads}")
    print(f"attnscope {attnscope.__version__}; transformers {transformers.__version__}, torch {torch.__version__}\n")
    lengths = [int(x) for x in args.lengths.split(",")]
    for name, d in model_dirs(args.models.split(",")).items():
        print(f"## {name}: model(text), milliseconds, median (min–max, repetitions)\n")
        print("| n | attnscope model(text) | transformers tokenizer + forward | transformers / attnscope "
              "| C++ forward | binding overhead |")
        print("|---|---|---|---|---|---|")
        for n, a, b, engine, extra, pct in warm_calls(d, lengths, args.threads, args.seconds):
            print(f"| {n} | {fmt(a)} | {fmt(b)} | **{b['median'] / a['median']:.2f}×** | {engine:.2f} | "
                  f"{extra:.3f} ms ({pct:.1f}%) |")
        ours = cold(COLD_OURS.format(d=str(d), t=TEXT), args.threads, args.cold_runs)
        theirs = cold(COLD_HF.format(d=str(d), t=TEXT), args.threads, args.cold_runs)
        print(f"\ncold start (new process: import + from_pretrained + first attention), ms: attnscope {fmt(ours)}, "
              f"transformers {fmt(theirs)}: **{theirs['median'] / ours['median']:.1f}×**\n")


if __name__ == "__main__":
    main()
