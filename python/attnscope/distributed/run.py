"""The driver: plan the corpus into blocks, run them on a Ray Data actor pool, merge each block's state once,
checkpoint, and write the CLI's PREFIX.json / .csv / .html."""
import _thread
import json
import os
import threading
import time

from .. import _core
from ..corpus import CorpusResult, check_options
from ..errors import Error
from . import cluster
from .merge import BlockMerger
from .plan import Corpus, block_lines_for, dataset_file, head_map_end, plan_blocks
from .progress import Progress

CHECKPOINT_FORMAT = "attnscope-distributed-run"
CHECKPOINT_EVERY_S = 30.0


def _output_prefix(output, files):
    prefix = os.fspath(output) if output is not None else os.path.splitext(os.fspath(files[0]))[0] + ".attnscope"
    folder = os.path.dirname(prefix) or "."
    if not os.path.isdir(folder):
        raise Error(f"{folder}: no such folder for the outputs ({prefix}.json, .csv, .html)")
    if not os.access(folder, os.W_OK):
        raise Error(f"{folder}: cannot write the outputs there")
    return prefix


def _run_options(truncate, head_map, head_map_docs, fingerprint, corpus):
    """What a resumed run must share with the interrupted one for the merged result to be one run's."""
    return {"truncate": bool(truncate), "head_map": bool(head_map), "head_map_docs": int(head_map_docs),
            "fingerprint": fingerprint, "files": [f.describe() for f in corpus.files]}


def _load_checkpoint(path, expected):
    try:
        with open(path, "rb") as f:
            j = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as e:
        raise Error(f"{path}: cannot read the saved run ({e})") from None
    run = j.get("distributed") if isinstance(j, dict) else None
    if not isinstance(run, dict) or run.get("format") != CHECKPOINT_FORMAT:
        raise Error(f"{path} is not an interrupted distributed run (a finished result, or another tool's): "
                    "nothing to resume; use another --output")
    for k, v in expected.items():
        if run.get("options", {}).get(k) != v:
            raise Error(f"{path} was made with other {k.replace('_', ' ')} ({run.get('options', {}).get(k)!r}, "
                        f"now {v!r}): cannot resume it")
    base = _core.CorpusStats.from_json(json.dumps(j["state"]), path) if j.get("state") is not None else None
    done_through = tuple(run["done_through"]) if run.get("done_through") else None
    pending = [(tuple(p["block"]), _core.CorpusStats.from_json(json.dumps(p["state"]), path)) for p in run["pending"]]
    return base, done_through, pending


def _write_checkpoint(path, merger, options, corpus):
    state = json.loads(merger.state.to_json()) if merger.state is not None else None
    done = merger.merged_keys()
    through = list(done[-1][::2]) if done else None  # (file, last line): every line up to it is in "state"
    if through is None and merger.base_through is not None:
        through = list(merger.base_through)
    run = {"format": CHECKPOINT_FORMAT, "version": 1, "options": options, "done_through": through,
           "pending": [{"block": list(k), "state": json.loads(s.to_json())} for k, s in merger.pending.items()]}
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"state": state, "distributed": run}, f)
        f.write("\n")
    os.replace(tmp, path)


def _done_ranges(corpus, done_through, pending_keys):
    ranges = list(pending_keys)
    if done_through is not None:
        f_end, line_end = done_through
        for fi, f in enumerate(corpus.files[:f_end + 1]):
            last = line_end if fi == f_end else f.lines
            if last >= 1:
                ranges.append((fi, 1, last))
    return ranges


def _is_dataset(x):
    import sys

    data = sys.modules.get("ray.data")  # a Dataset exists only when its caller imported Ray Data
    return data is not None and isinstance(x, data.Dataset)


def _model_spec(model):
    from ..model import Model

    if isinstance(model, Model):
        return str(model.directory)
    return os.fspath(model)


def corpus(model, inputs, *, output=None, address=None, actors=None, threads_per_actor=1, cpus_per_actor=None,
           batch=32, truncate=False, head_map=True, head_map_docs=1000, resume=False, block_lines=None,
           progress=True, timeout=None, on_block=None, quiet=False):
    """Corpus statistics of `inputs` (paths of text / JSONL files, as `attnscope corpus` reads them, or a
    ray.data.Dataset with a `text` and optionally a `pair` column, its rows numbered like lines) on a Ray
    cluster: `address` ("auto", "HOST:PORT", or None to start a local instance on this machine; an already
    connected Ray is used as it is), `actors` processes each running `threads_per_actor` engine threads and
    reserving `cpus_per_actor` CPUs (default: threads_per_actor). Returns the CorpusResult that
    attnscope.corpus returns for the same inputs — the same values — and writes OUTPUT.json/.csv/.html.
    Interrupted (Ctrl-C, `timeout` seconds), it saves what finished in OUTPUT.json; resume=True continues it.
    `on_block(info)` is called on the driver after each block with its key, pid, timings and the
    wall-clock time its actor finished it (`finished_at`)."""
    from ..model import from_pretrained

    check_options(batch, head_map_docs, 0)
    if not isinstance(threads_per_actor, int) or threads_per_actor < 1:
        raise Error(f"threads_per_actor {threads_per_actor!r}: must be an integer of at least 1 (an actor's engine threads)")
    if actors is not None and (not isinstance(actors, int) or actors < 1):
        raise Error(f"actors {actors!r}: must be an integer of at least 1")
    if cpus_per_actor is None:
        cpus_per_actor = float(threads_per_actor)
    if not cpus_per_actor > 0:
        raise Error(f"cpus_per_actor {cpus_per_actor!r}: must be more than 0")
    if block_lines is not None and (not isinstance(block_lines, int) or block_lines < 1):
        raise Error(f"block_lines {block_lines!r}: must be an integer of at least 1")
    if isinstance(inputs, (str, os.PathLike)) or _is_dataset(inputs):
        inputs = [inputs]
    inputs = list(inputs)
    if output is None and any(_is_dataset(i) for i in inputs):
        raise Error("corpus: a dataset input needs an output prefix")
    prefix = _output_prefix(output, inputs)
    state_path = prefix + ".json"
    if os.path.exists(state_path) and not resume:
        raise Error(f"{state_path} exists: pass --resume to continue that run, or --output another prefix")

    spec = _model_spec(model)
    driver_model = from_pretrained(spec, threads=threads_per_actor)  # the head-map plan and the fingerprint
    fingerprint = _core.corpus_fingerprint(driver_model._core)
    c = Corpus([dataset_file(i, f"dataset{k}" if k else "dataset") if _is_dataset(i) else i for k, i in enumerate(inputs)])
    options = _run_options(truncate, head_map, head_map_docs, fingerprint, c)
    base, done_through, pending = (None, None, [])
    if resume and os.path.exists(state_path):
        base, done_through, pending = _load_checkpoint(state_path, options)
    map_end = head_map_end(c, driver_model._core, head_map_docs, truncate) if head_map else None

    started_ray = cluster.connect(address, quiet=quiet)
    try:
        import ray

        if actors is None:
            actors = max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_actor))
        lines_per_block = block_lines or block_lines_for(c.total_lines, actors, batch)
        blocks = plan_blocks(c, lines_per_block, head_map, map_end, _done_ranges(c, done_through, [k for k, _ in pending]))
        keys = sorted([b.key for b in blocks] + [k for k, _ in pending])
        merger = BlockMerger(keys, base)
        merger.base_through = done_through
        for k, s in pending:
            merger.add(k, s)
        done_lines = c.total_lines - sum(b.lines for b in blocks)
        bar = Progress(c.total_lines, done_lines, enabled=progress and not quiet)
        run = _execute(ray, c, blocks, merger, bar, spec, options=dict(
            names=[f.name for f in c.files], jsonl=[f.jsonl for f in c.files], batch=batch, truncate=truncate,
            threads=threads_per_actor), actors=actors, cpus_per_actor=cpus_per_actor, timeout=timeout,
            on_block=on_block, checkpoint=lambda: _write_checkpoint(state_path, merger, options, c))
    finally:
        if started_ray:
            cluster.disconnect()

    if not merger.complete:
        raise Error(f"corpus: {len(merger.missing())} blocks never came back from the cluster "
                    f"(first: lines {merger.missing()[0][1]}-{merger.missing()[0][2]}); saved in {state_path}: "
                    "continue with --resume")
    result = CorpusResult(merger.state, run=run)
    if result.docs == 0:
        if os.path.exists(state_path):  # a checkpoint of nothing would only block the next run
            os.remove(state_path)
        first = result.skipped[0]
        raise Error(f"no input could be analysed: all {len(result.skipped)} lines were skipped "
                    f"(line {first[0]}: {first[1]})")
    written = result.save(prefix, f"attnscope corpus report: {', '.join(f.name for f in c.files)}")
    if not quiet:
        _print_summary(result, run, actors, threads_per_actor, written)
    return result


def _execute(ray, c, blocks, merger, bar, spec, options, actors, cpus_per_actor, timeout, on_block, checkpoint):
    """Runs the blocks; returns the run's measurements. On Ctrl-C or the timeout, saves and raises Error."""
    run = {"actors": actors, "blocks": len(blocks), "engine_s": 0.0, "max_rss": {}, "duplicates": 0}
    t0 = time.monotonic()
    if not blocks:
        run["wall_s"] = 0.0
        checkpoint()
        return run
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # the driver prints its own, in inputs/s
    rows = [{"file": b.file, "first": b.first, "last": b.last, "head_map": b.head_map, "data": c.block_data(b)}
            for b in blocks]
    ds = ray.data.from_items(rows, override_num_blocks=len(rows))
    from .actor import BlockProcessor

    ds = ds.map_batches(BlockProcessor, fn_constructor_kwargs={"model": spec, "options": options}, batch_size=1,
                        compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus_per_actor,
                        batch_format="numpy")  # Ray Data restarts a dead actor and retries its block by default
    timer = None
    timed_out = threading.Event()
    if timeout is not None:
        def expire():
            timed_out.set()
            _thread.interrupt_main()

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
    last_save = time.monotonic()
    try:
        for row in ds.iter_rows():
            key = (int(row["file"]), int(row["first"]), int(row["last"]))
            state = _core.CorpusStats.from_json(row["state"], f"block {key}")
            if merger.add(key, state):
                bar.update(key[2] - key[1] + 1, state.docs, len(state.skipped))
                run["engine_s"] += float(row["engine_s"])
            pid = int(row["pid"])
            run["max_rss"][pid] = max(run["max_rss"].get(pid, 0), int(row["max_rss"]))
            if on_block is not None:
                on_block({"block": key, "pid": pid, "engine_s": float(row["engine_s"]),
                          "finished_at": float(row["finished_at"]), "done": merger.next,
                          "blocks": len(merger.keys)})
            if time.monotonic() - last_save > CHECKPOINT_EVERY_S:
                checkpoint()
                last_save = time.monotonic()
    except KeyboardInterrupt:
        checkpoint()
        why = f"timed out after {timeout:g} s" if timed_out.is_set() else "interrupted"
        raise Error(f"{why} after {bar.done} of {bar.total} lines; saved: continue with --resume") from None
    finally:
        if timer is not None:
            timer.cancel()
    run["wall_s"] = time.monotonic() - t0
    run["duplicates"] = merger.duplicates
    bar.update(0, 0, 0, final=True)
    if not merger.complete:
        checkpoint()
    return run


def _print_summary(result, run, actors, threads, written):
    import sys

    wall = run.get("wall_s", 0.0)
    rate = result.docs / wall if wall > 0 else 0.0
    outside = 1 - run["engine_s"] / (actors * wall) if wall > 0 else 0.0
    mem = ", ".join(f"{v / 2**20:.0f}" for _, v in sorted(run["max_rss"].items()))
    print(f"attnscope: {result.docs} inputs, {result.tokens} tokens, {len(result.skipped)} skipped · "
          f"{rate:.1f} inputs/s with {actors} actors × {threads} threads · actor memory (peak RSS, MiB): {mem} · "
          f"time outside the engine: {100 * max(0.0, outside):.1f}% of actor time", file=sys.stderr)
    for w in written:
        print(f"attnscope: wrote {w}", file=sys.stderr)
