"""The Ray Data callable: one instance per actor process, which loads the model once (memory-mapped by the
library) and turns each block row into that block's state. A row holds the block's key and its lines;
what comes back is the key, the state as JSON text, and what the driver reports: the seconds spent in the
engine, the actor's process id and its peak resident memory."""
import os
import resource
import time

import numpy as np


class BlockProcessor:
    def __init__(self, model, options):
        from .. import model as model_mod  # imported here: the actor's process imports attnscope itself

        started = time.perf_counter()
        self._model = model_mod.from_pretrained(model, threads=options["threads"])
        self._options = options
        self.load_s = time.perf_counter() - started

    def __call__(self, batch):
        from .. import _core

        o = self._options
        out = {k: [] for k in ("file", "first", "last", "state", "engine_s", "pid", "max_rss", "finished_at")}
        for i in range(len(batch["first"])):
            t0 = time.perf_counter()
            state = _core.corpus_block(self._model._core, bytes(batch["data"][i]), o["names"][int(batch["file"][i])],
                                       o["jsonl"][int(batch["file"][i])], int(batch["first"][i]), batch=o["batch"],
                                       truncate=o["truncate"], head_map=bool(batch["head_map"][i]),
                                       threads=o["threads"], file_in_errors=len(o["names"]) > 1)
            text = state.to_json()
            out["engine_s"].append(time.perf_counter() - t0)
            out["state"].append(text)
            for k in ("file", "first", "last"):
                out[k].append(int(batch[k][i]))
            out["pid"].append(os.getpid())
            out["finished_at"].append(time.time())  # wall clock: comparable with the driver's on one machine
            out["max_rss"].append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)  # KiB on Linux
        return {k: np.asarray(v, dtype=object if k == "state" else None) for k, v in out.items()}
