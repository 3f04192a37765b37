#!/usr/bin/env python3
"""Corpus-mode throughput and the share of time spent in statistics (docs/performance.md).

Writes a fixed corpus (seeded, 16–26 words per sentence, ~25 tokens with [CLS]/[SEP]) and runs
`attnscope corpus` on it for each model, with and without the head map, several times. attnscope itself
times the forward passes and the statistics of every batch and prints their ratio; this script collects
the rate (inputs/s) and that share, and prints median and range with the machine.

    .venv/bin/python bench/corpus.py [--models minilm,bert-base] [--lines 2000] [--repeats 3]
"""
import argparse
import os
import pathlib
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from peers import model_dirs  # noqa: E402  (the same models and synthetic bert-base as the peers benchmark)

WORDS = re.findall(r"[a-z]+", (ROOT / "docs" / "analyses.md").read_text().lower())


def write_corpus(path, lines, seed=0):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(lines):
            words = [rng.choice(WORDS) for _ in range(rng.randint(16, 26))]
            f.write(" ".join(words).capitalize() + ".\n")


def run_once(model, corpus, head_map, threads):
    out = pathlib.Path(tempfile.mkdtemp(prefix="attnscope-corpus-bench-"))
    try:
        args = [str(ROOT / "build" / "attnscope"), "corpus", str(corpus), "--model", str(model), "-o", str(out / "r"),
                "--threads", str(threads)]
        if not head_map:
            args.append("--no-head-map")
        err = subprocess.run(args, capture_output=True, text=True, check=True).stderr
    finally:
        shutil.rmtree(out, ignore_errors=True)
    rate = float(re.findall(r"([0-9.]+) inputs/s", err)[-1])
    share = float(re.search(r"statistics took ([0-9.]+)% of the forward", err).group(1))
    return rate, share


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="minilm,bert-base")
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs; threads {a.threads}; corpus {a.lines} lines, seed 0")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = pathlib.Path(tmp) / "corpus.txt"
        write_corpus(corpus, a.lines)
        print("| model | head map | inputs/s median (min–max) | statistics / forward median (min–max) |")
        print("|---|---|---|---|")
        for name, model in model_dirs(a.models.split(",")).items():
            for head_map in (False, True):
                runs = [run_once(model, corpus, head_map, a.threads) for _ in range(a.repeats)]
                rates, shares = [r for r, _ in runs], [s for _, s in runs]
                mapped = f"first {min(a.lines, 1000)} inputs" if head_map else "off"
                print(f"| {name} | {mapped} | {statistics.median(rates):.1f} ({min(rates):.1f}–{max(rates):.1f}) | "
                      f"{statistics.median(shares):.1f}% ({min(shares):.1f}–{max(shares):.1f}%) |", flush=True)


if __name__ == "__main__":
    main()
