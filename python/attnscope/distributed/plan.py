"""A corpus split into blocks: runs of consecutive lines of one file, each processed once and merged once.

The files are read as `attnscope corpus` reads them (bytes, one input per '\\n'-terminated line; a last line
without a newline counts). A block is the unit of work, of retry and of exactly-once merging: its key is
(file index, first line, last line). Blocks never straddle the end of the head map: the head map of
`attnscope corpus` takes the first `head_map_docs` inputs that are analysed (malformed lines do not count),
so the planner finds the line of the last of them — tokenizing only, no model run — and cuts there; every
block before the cut carries the head map for all its inputs, every block after it none.
"""
import os
from dataclasses import dataclass

import numpy as np

from .. import _core
from ..errors import Error

JSONL_SUFFIXES = (".jsonl", ".json")  # as the CLI: JSON Lines for these, text (TAB = pair) otherwise


@dataclass(frozen=True)
class Block:
    file: int  # index into Corpus.files
    first: int  # 1-based line numbers, inclusive
    last: int
    head_map: bool

    @property
    def key(self):
        return (self.file, self.first, self.last)

    @property
    def lines(self):
        return self.last - self.first + 1


class CorpusFile:
    """One input file held as bytes with the offset of every line."""

    def __init__(self, path, data=None, jsonl=None):
        self.path = os.fspath(path)
        self.name = os.path.basename(self.path)
        self.jsonl = os.path.splitext(self.path)[1] in JSONL_SUFFIXES if jsonl is None else jsonl
        if data is None:
            try:
                with open(self.path, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise Error(f"{self.path}: cannot open ({e.strerror})") from None
        self.data = data
        ends = np.flatnonzero(np.frombuffer(self.data, dtype=np.uint8) == 10)
        if self.data and not self.data.endswith(b"\n"):
            ends = np.append(ends, len(self.data))  # a last line without a newline is a line
        self._ends = ends  # [lines] offset of each line's '\n' (or of the end of the data)
        self.lines = int(len(ends))

    def line_bytes(self, first, last):
        """Lines first..last (1-based, inclusive), each ended by '\\n' — what _core.corpus_block reads."""
        begin = 0 if first == 1 else int(self._ends[first - 2]) + 1
        end = int(self._ends[last - 1])
        chunk = self.data[begin:end]
        return chunk + b"\n"

    def describe(self):
        return {"name": self.name, "lines": self.lines, "bytes": len(self.data)}


def dataset_file(ds, name="dataset"):
    """A ray.data.Dataset with a `text` column (and optionally `pair`) as one JSON Lines input, its rows in
    the dataset's order numbered from 1 like the lines of a file."""
    import json

    columns = ds.columns()
    if "text" not in columns:
        raise Error(f"corpus: the dataset has no 'text' column (its columns: {', '.join(columns)})")
    rows = []
    for r in ds.select_columns([c for c in ("text", "pair") if c in columns]).iter_rows():
        text, pair = r.get("text"), r.get("pair")
        row = {"text": text} if isinstance(text, str) else {"text": None}  # not a string: skipped like the CLI does
        if isinstance(pair, str):
            row["pair"] = pair
        rows.append(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
    return CorpusFile(name, b"".join(rows), jsonl=True)


class Corpus:
    def __init__(self, paths):
        if not paths:
            raise Error("corpus: no input files")
        self.files = [p if isinstance(p, CorpusFile) else CorpusFile(p) for p in paths]
        for f in self.files:
            if f.lines == 0:
                raise Error(f"{f.path}: the file is empty: nothing to analyse")
        names = [f.name for f in self.files]
        if len(set(names)) != len(names):
            # Sources and skipped lines are reported by file name: two files of one name could not be told apart.
            raise Error(f"corpus: two input files have the same name ({', '.join(sorted(names))})")
        self.total_lines = sum(f.lines for f in self.files)

    def block_data(self, block):
        return self.files[block.file].line_bytes(block.first, block.last)


def head_map_end(corpus, core_model, head_map_docs, truncate, chunk_lines=4096):
    """(file, line) of the last input that goes into the head map, or None when every input does (the
    corpus has no more than head_map_docs analysable lines)."""
    if head_map_docs == 0:
        return (0, 0)  # nothing in the head map
    found = 0
    for fi, f in enumerate(corpus.files):
        first = 1
        while first <= f.lines:
            last = min(f.lines, first + chunk_lines - 1)
            valid = _core.corpus_valid_lines(core_model, f.line_bytes(first, last), f.jsonl, first, truncate,
                                             head_map_docs - found)
            found += len(valid)
            if found >= head_map_docs:
                return (fi, int(valid[-1]))
            first = last + 1
    return None


def block_lines_for(total_lines, actors, batch):
    """Lines per block: about eight blocks per actor (balance, progress, little lost to a retry), at least one
    batch, at most 4096 lines (one block's state and bytes stay small in the object store)."""
    per = -(-total_lines // max(1, actors * 8))
    return int(min(4096, max(batch, per)))


def plan_blocks(corpus, block_lines, head_map, map_end, done=()):
    """The blocks that cover every line not in `done` (a set of (file, first, last) ranges already merged),
    in corpus order, none longer than block_lines, cut after `map_end`."""
    covered = [np.zeros(f.lines + 2, dtype=bool) for f in corpus.files]
    for fi, first, last in done:
        covered[fi][first:last + 1] = True
    blocks = []
    for fi, f in enumerate(corpus.files):
        line = 1
        while line <= f.lines:
            if covered[fi][line]:
                line += 1
                continue
            last = min(f.lines, line + block_lines - 1)
            nxt = np.flatnonzero(covered[fi][line:last + 1])  # stop before a done range
            if len(nxt):
                last = line + int(nxt[0]) - 1
            in_map = _in_head_map(head_map, map_end, fi, line)
            if head_map and map_end is not None and in_map and (fi, last) > map_end and map_end[0] == fi:
                last = map_end[1]  # the cut: the head map ends with this line
            blocks.append(Block(fi, line, last, in_map))
            line = last + 1
    return blocks


def _in_head_map(head_map, map_end, fi, line):
    if not head_map:
        return False
    if map_end is None:
        return True
    return (fi, line) <= map_end
