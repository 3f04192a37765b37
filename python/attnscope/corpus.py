"""Corpus statistics from Python: the same per-head sums as `attnscope corpus`, as a result object.

    result = attnscope.corpus(model, ["a.txt", "b.jsonl"], batch=32)
    result.docs, result.results["heads"][0]["document_weighted"]["to_cls"]
    result.save("out/corpus")            # out/corpus.json, .csv, .html — the CLI's files
    total = attnscope.corpus_merge(r1, r2)   # exact: the same bits as one run over both

The sums are 128-bit fixed point in the library, so results computed in pieces (shards, Ray actors) and
merged are identical to one run. attnscope.distributed runs the same blocks on a Ray cluster.
"""
import json
import os

from . import _core
from .errors import Error


class CorpusResult:
    """A corpus state (the mergeable sums) with its results."""

    def __init__(self, stats, run=None):
        self._stats = stats
        self.run = run or {}  # how it was computed (the distributed driver's timings), informational

    @classmethod
    def load(cls, path):
        """A PREFIX.json written by `attnscope corpus`, `attnscope merge` or save()."""
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8")
        except OSError as e:
            raise Error(f"{path}: cannot open ({e.strerror})") from None
        return cls(_core.CorpusStats.from_json(text, os.fspath(path)))

    @property
    def stats(self):
        return self._stats

    docs = property(lambda self: self._stats.docs)
    tokens = property(lambda self: self._stats.tokens)
    layers = property(lambda self: self._stats.layers)
    heads = property(lambda self: self._stats.heads)
    model_name = property(lambda self: self._stats.model_name)
    lines_done = property(lambda self: self._stats.lines_done)
    sources = property(lambda self: self._stats.sources)

    @property
    def skipped(self):
        """[(line, error)] of the lines that were not analysed, in corpus order; with several files the error
        starts with the file's name ("b.txt: line 7: invalid JSON: ...")."""
        return self._stats.skipped

    @property
    def state(self):
        return json.loads(self._stats.to_json())

    @property
    def results(self):
        """The `results` object of PREFIX.json (docs/formats.md, docs/analyses.md#corpus-mode)."""
        return json.loads(_core.corpus_results(self._stats))

    def merge(self, other):
        """A new result holding both (exact; the order does not matter). Both must come from one model."""
        s = self._stats.copy()
        s.merge(other._stats)
        return CorpusResult(s)

    def save(self, prefix, title=None):
        """Writes PREFIX.json (state and results), PREFIX.csv and PREFIX.html; returns the paths."""
        return _core.write_corpus_outputs(self._stats, os.fspath(prefix), title or "attnscope corpus report")

    def __repr__(self):
        return (f"CorpusResult({self.model_name}: {self.docs} inputs, {self.tokens} tokens, "
                f"{len(self.skipped)} skipped)")


def merge(*results):
    """Exact merge of CorpusResults (or PREFIX.json paths) — what `attnscope merge` does."""
    if len(results) == 1 and isinstance(results[0], (list, tuple)):
        results = tuple(results[0])
    if not results:
        raise Error("merge needs at least one corpus result")
    items = [r if isinstance(r, CorpusResult) else CorpusResult.load(r) for r in results]
    total = items[0]
    for r in items[1:]:
        total = total.merge(r)
    return total


def check_options(batch, head_map_docs, threads):
    if not isinstance(batch, int) or batch < 1:
        raise Error(f"batch {batch!r}: must be an integer of at least 1")
    if not isinstance(head_map_docs, int) or head_map_docs < 0:
        raise Error(f"head_map_docs {head_map_docs!r}: must be an integer of 0 or more")
    if not isinstance(threads, int) or threads < 0:
        raise Error(f"threads {threads!r}: must be 0 (one per core) or more")


def corpus(model, files, *, output=None, batch=32, truncate=False, head_map=True, head_map_docs=1000, threads=0):
    """Statistics of every input of `files` (paths: text, one input per line with an optional TAB before a
    pair; .jsonl: a JSON string or {"text", "pair"} per line) with `model` (a Model or a folder / hub id),
    in this process. Malformed lines are skipped and listed in .skipped. With `output`, writes
    OUTPUT.json/.csv/.html as `attnscope corpus -o OUTPUT` does."""
    from .distributed.merge import BlockMerger
    from .distributed.plan import Corpus, block_lines_for, head_map_end, plan_blocks
    from .model import Model, from_pretrained

    check_options(batch, head_map_docs, threads)
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    if not isinstance(model, Model):
        model = from_pretrained(model, threads=threads)
    c = Corpus(files)
    map_end = head_map_end(c, model._core, head_map_docs, truncate) if head_map else None
    blocks = plan_blocks(c, block_lines_for(c.total_lines, 1, batch), head_map, map_end)
    merger = BlockMerger([b.key for b in blocks])
    for b in blocks:
        f = c.files[b.file]
        merger.add(b.key, _core.corpus_block(model._core, c.block_data(b), f.name, f.jsonl, b.first, batch=batch,
                                             truncate=truncate, head_map=b.head_map, threads=threads,
                                             file_in_errors=len(c.files) > 1))
    result = CorpusResult(merger.state)
    if result.docs == 0:
        first = result.skipped[0]
        raise Error(f"no input could be analysed: all {len(result.skipped)} lines were skipped "
                    f"(line {first[0]}: {first[1]})")
    if output is not None:
        result.save(output, f"attnscope corpus report: {', '.join(f.name for f in c.files)}")
    return result
