#!/usr/bin/env python3
"""attnscope.distributed against `attnscope corpus`, in one run (docs/performance.md, docs/distributed.md).

Writes bench/corpus.py's fixed corpus (2,000 MiniLM inputs by default) and times, one after the other:
`attnscope corpus` with 2 threads; the distributed driver on a local Ray instance with 1 actor × 2 threads
and with 2 actors × 1 thread. Each distributed row is the driver's wall time from the call to the written
outputs (actor start and model load included — what a user waits for), and the driver's own measurement of
the share of actor time spent outside the engine. Then a projection from the measured per-actor rate
(bert-base shapes, 1 thread per actor) of a 1-million-sentence bert-base run on N nodes.

    .venv/bin/python bench/distributed.py [--lines 2000] [--repeats 2] [--nodes 1,4,16] [--node-cores 32]
"""
import argparse
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from corpus import write_corpus  # noqa: E402  (the corpus benchmark's fixed corpus)
from peers import model_dirs  # noqa: E402


def cli_run(model, path, threads):
    out = pathlib.Path(tempfile.mkdtemp(prefix="attnscope-dist-bench-"))
    try:
        t0 = time.perf_counter()
        subprocess.run([str(ROOT / "build" / "attnscope"), "corpus", str(path), "-m", str(model), "-o", str(out / "r"),
                        "-t", str(threads), "-q"], check=True, capture_output=True)
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(out, ignore_errors=True)


def dist_run(model, path, actors, threads):
    import attnscope.distributed as ad

    out = pathlib.Path(tempfile.mkdtemp(prefix="attnscope-dist-bench-"))
    try:
        t0 = time.perf_counter()
        r = ad.corpus(str(model), [path], output=out / "r", actors=actors, threads_per_actor=threads, quiet=True)
        wall = time.perf_counter() - t0
        run = r.run
        outside = 1 - run["engine_s"] / (actors * run["wall_s"])
        mem = max(run["max_rss"].values()) / 2**20
        return wall, outside, mem, r.docs
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--nodes", default="1,4,16,64")
    ap.add_argument("--node-cores", type=int, default=32, help="cores per node of the projected cluster")
    ap.add_argument("--projection-lines", type=int, default=200, help="bert-base inputs timed for the projection")
    a = ap.parse_args()

    from attnscope.distributed import cluster

    models = model_dirs(["minilm", "bert-base"])
    minilm, bert = models["all-MiniLM-L6-v2"], models["bert-base-uncased shapes"]
    work = pathlib.Path(tempfile.mkdtemp(prefix="attnscope-dist-bench-"))
    corpus, small = work / "corpus.txt", work / "bert.txt"
    write_corpus(corpus, a.lines)
    write_corpus(small, a.projection_lines, seed=1)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    print(f"machine: {cpu}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{a.lines} MiniLM inputs; median of {a.repeats} runs")

    rows = []
    cluster.connect(None, quiet=True)  # one local Ray instance for every distributed row (loopback only)
    import ray

    try:
        cli = [cli_run(minilm, corpus, 2) for _ in range(a.repeats)]
        rows.append(("attnscope corpus, 2 threads", statistics.median(cli), None, None))
        for actors, threads in ((1, 2), (2, 1)):
            runs = [dist_run(minilm, corpus, actors, threads) for _ in range(a.repeats)]
            wall = statistics.median(r[0] for r in runs)
            rows.append((f"distributed, {actors} actor{'s' if actors > 1 else ''} × {threads} thread{'s' if threads > 1 else ''}",
                         wall, statistics.median(r[1] for r in runs), max(r[2] for r in runs)))
        base = rows[0][1]
        print(f"\n{'run':<34} {'wall s':>8} {'inputs/s':>9} {'vs CLI':>8} {'outside engine':>15} {'actor MiB':>10}")
        for name, wall, outside, mem in rows:
            vs = f"{100 * (wall / base - 1):+.1f}%" if outside is not None else ""
            print(f"{name:<34} {wall:8.2f} {a.lines / wall:9.1f} {vs:>8} "
                  f"{'' if outside is None else f'{100 * outside:.1f}%':>15} {'' if mem is None else f'{mem:.0f}':>10}")

        # Projection: the per-actor rate of bert-base shapes at 1 thread, on nodes of --node-cores cores.
        t_cli = cli_run(bert, small, 1)
        wall, outside, mem, docs = dist_run(bert, small, 1, 1)
        per_actor = docs / wall
        print(f"\nbert-base shapes, 1 actor × 1 thread: {per_actor:.1f} inputs/s over {docs} inputs (wall, start included; "
              f"CLI 1 thread: {docs / t_cli:.1f} inputs/s), {mem:.0f} MiB per actor")
        print(f"projection, 1,000,000 bert-base sentences, {a.node_cores} actors × 1 thread per node "
              f"(linear in actors: the driver only merges one small state per block):")
        for n in (int(x) for x in a.nodes.split(",")):
            rate = per_actor * a.node_cores * n
            print(f"  {n:>3} nodes: {rate:8.0f} inputs/s, {1e6 / rate / 3600:6.2f} h")
    finally:
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
