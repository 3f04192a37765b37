"""Exactly-once merging keyed by block, and the block plan (no Ray needed)."""
import json

import pytest

from .compare import assert_same_corpus
from .corpus_data import write_corpus, write_jsonl


@pytest.fixture(scope="module")
def model(attnscope_pkg, minilm_dir):
    return attnscope_pkg.from_pretrained(str(minilm_dir), threads=2)


def block_state(attnscope_pkg, model, lines, first):
    data = b"".join(l + b"\n" for l in lines)
    return attnscope_pkg._core.corpus_block(model._core, data, "t.txt", False, first, batch=4)


LINES = [b"the cat sat", b"", b"a head\tattends to it", b"\xff bad", b"two words", b"one more line here"]


def test_a_block_merged_twice_counts_once(attnscope_pkg, model):
    from attnscope.distributed import BlockMerger

    a = block_state(attnscope_pkg, model, LINES[:3], 1)
    b = block_state(attnscope_pkg, model, LINES[3:], 4)
    m = BlockMerger([(0, 1, 3), (0, 4, 6)])
    assert m.add((0, 1, 3), a) is True
    assert m.add((0, 1, 3), block_state(attnscope_pkg, model, LINES[:3], 1)) is False  # a retried block's copy
    assert m.add((0, 4, 6), b) is True
    assert m.add((0, 4, 6), b) is False
    assert m.complete and m.duplicates == 2
    once = block_state(attnscope_pkg, model, LINES, 1)
    print(f"merged: {m.state.docs} inputs, {m.state.lines_done} lines; one block of all: {once.docs}, {once.lines_done}")
    assert (m.state.docs, m.state.tokens, m.state.lines_done) == (once.docs, once.tokens, once.lines_done) == (4, once.tokens, 6)
    sa, sb = json.loads(m.state.to_json()), json.loads(once.to_json())
    assert sa["sums"] == sb["sums"] and sa["skipped"] == sb["skipped"]


def test_blocks_merge_in_corpus_order_whatever_order_they_finish(attnscope_pkg, model):
    from attnscope.distributed import BlockMerger

    parts = [(1, 2), (3, 4), (5, 6)]
    states = {p: block_state(attnscope_pkg, model, LINES[p[0] - 1:p[1]], p[0]) for p in parts}
    m = BlockMerger([(0, a, b) for a, b in parts])
    m.add((0, 5, 6), states[(5, 6)])
    m.add((0, 3, 4), states[(3, 4)])
    assert m.state is None and len(m.pending) == 2 and m.missing() == [(0, 1, 2)]
    m.add((0, 1, 2), states[(1, 2)])
    assert m.complete and not m.pending
    assert [line for line, _ in m.state.skipped] == [2, 4]  # the CLI's order


def test_unknown_or_overlapping_blocks_are_refused(attnscope_pkg, model):
    from attnscope.distributed import BlockMerger

    with pytest.raises(attnscope_pkg.Error, match="overlap"):
        BlockMerger([(0, 1, 10), (0, 5, 20)])
    m = BlockMerger([(0, 1, 3)])
    with pytest.raises(attnscope_pkg.Error, match="no block of this run"):
        m.add((0, 2, 3), block_state(attnscope_pkg, model, LINES[1:3], 2))


def test_plan_cuts_at_the_end_of_the_head_map(attnscope_pkg, model, tmp_path):
    from attnscope.distributed.plan import Corpus, head_map_end, plan_blocks

    path = write_corpus(tmp_path / "c.txt", n=300, seed=5)
    c = Corpus([path])
    end = head_map_end(c, model._core, 50, False)
    valid = attnscope_pkg._core.corpus_valid_lines(model._core, path.read_bytes(), False, 1, False, 10**9)
    assert end == (0, valid[49])
    blocks = plan_blocks(c, 37, True, end)
    assert sum(b.lines for b in blocks) == 300 and blocks[0].first == 1 and blocks[-1].last == 300
    assert any(b.last == end[1] for b in blocks)
    assert all(b.head_map == (b.last <= end[1]) for b in blocks)
    rest = plan_blocks(c, 37, True, end, done=[(0, 1, 100), (0, 150, 160)])
    assert sum(b.lines for b in rest) == 300 - 100 - 11 and all(not (150 <= b.first <= 160) for b in rest)


def test_blocks_with_a_head_map_cut_equal_the_cli(attnscope_pkg, attnscope, minilm_dir, model, tmp_path):
    """Small blocks, a head map of 50 inputs ending inside a block, two files (text and JSON Lines): the
    blocks merged equal `attnscope corpus --head-map-docs 50` (one file per CLI run, merged there)."""
    from attnscope.distributed import BlockMerger
    from attnscope.distributed.plan import Corpus, head_map_end, plan_blocks

    path = write_corpus(tmp_path / "c.txt", n=400, seed=7)
    attnscope("corpus", path, "-m", minilm_dir, "-o", tmp_path / "cli", "--head-map-docs", "50", "-q")
    c = Corpus([path])
    end = head_map_end(c, model._core, 50, False)
    blocks = plan_blocks(c, 37, True, end)
    m = BlockMerger([b.key for b in blocks])
    for b in reversed(blocks):  # finishing in the worst order
        m.add(b.key, attnscope_pkg._core.corpus_block(model._core, c.block_data(b), "c.txt", False, b.first, batch=5,
                                                      head_map=b.head_map))
    attnscope_pkg.CorpusResult(m.state).save(tmp_path / "blocks")
    assert_same_corpus(tmp_path / "cli.json", tmp_path / "blocks.json", f"{len(blocks)} blocks, head map cut at line {end[1]}")


def test_jsonl_file_equals_the_cli(attnscope_pkg, attnscope, minilm_dir, model, tmp_path):
    path = write_jsonl(tmp_path / "rows.jsonl")
    attnscope("corpus", path, "-m", minilm_dir, "-o", tmp_path / "cli", "-q")
    attnscope_pkg.corpus(model, [path], output=tmp_path / "py")
    assert_same_corpus(tmp_path / "cli.json", tmp_path / "py.json", "attnscope.corpus on JSON Lines")


def test_several_files_name_the_file_of_each_skipped_line(attnscope_pkg, attnscope, minilm_dir, model, tmp_path):
    """Two files, fewer inputs than the head map takes: attnscope.corpus over both equals `attnscope merge`
    of one CLI run per file, and each skipped line says which file it is in."""
    a = write_corpus(tmp_path / "a.txt", n=260, seed=8)
    b = write_jsonl(tmp_path / "b.jsonl", n=120)
    for p in (a, b):
        attnscope("corpus", p, "-m", minilm_dir, "-o", tmp_path / p.stem, "-q")
    attnscope("merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "cli")
    result = attnscope_pkg.corpus(model, [a, b], output=tmp_path / "py")
    assert_same_corpus(tmp_path / "cli.json", tmp_path / "py.json", "two files vs attnscope merge of two runs",
                       ignore=("sources", "skipped"))
    cli_skipped = json.loads((tmp_path / "cli.json").read_text())["state"]["skipped"]
    assert [line for line, _ in result.skipped] == [s["line"] for s in cli_skipped]
    names = [error.split(":", 1)[0] for _, error in result.skipped]
    assert set(names) == {"a.txt", "b.jsonl"} and names == sorted(names), result.skipped
    assert [e for _, e in result.skipped] == [f"{n}: {s['error']}" for n, s in zip(names, cli_skipped)]


@pytest.mark.parametrize("args, message", [
    (["missing.txt"], "missing.txt: cannot open"),
    (["{corpus}", "--batch", "0"], "batch 0: must be an integer of at least 1"),
    (["{corpus}", "--actors", "0"], "actors 0: must be an integer of at least 1"),
    (["{corpus}", "--threads-per-actor", "-1"], "threads_per_actor -1: must be an integer of at least 1"),
    (["{corpus}", "--output", "/nonexistent/dir/x"], "/nonexistent/dir: no such folder"),
    (["{empty}"], "the file is empty"),
])
def test_command_refuses_bad_input_in_one_line(attnscope_pkg, minilm_dir, tmp_path, args, message):
    """Before Ray starts: a clear one-line error and status 1."""
    import subprocess
    import sys

    corpus = write_corpus(tmp_path / "c.txt", n=5)
    (tmp_path / "empty.txt").write_bytes(b"")
    argv = [a.format(corpus=corpus, empty=tmp_path / "empty.txt") for a in args]
    if "--output" not in argv:
        argv += ["--output", str(tmp_path / "out")]
    proc = subprocess.run([sys.executable, "-m", "attnscope.distributed", "corpus", *argv, "--model", str(minilm_dir)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("attnscope.distributed: error: "), proc.stderr
    assert message in lines[0]
    assert not (tmp_path / "out.json").exists()
