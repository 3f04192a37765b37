"""Regressions of the adversarial run (issue 12) on the CLI and corpus faces: options the program cannot
honour are refused before any work; corpus states are validated and never lost; merges refuse shapes that
differ and lines counted twice; every write to standard output or a file is checked; -o never replaces
a node that is not a regular file; standard input is read once; tokenize --input keeps its lines aligned."""
import json
import os
import stat
import threading

import pytest

from cli.test_bad_input import ERROR_PREFIX, _fails_cleanly


def _usage_error(proc, *fragments):
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and err.count("\n") == 0, (proc.returncode, err)
    assert err.startswith(ERROR_PREFIX), err
    for f in fragments:
        assert f in err, err
    assert "Segmentation" not in err and "internal error" not in err


# ---- options -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["run", "a b"], ["stats", "a b"], ["rollout", "a b"], ["ablate", "a b", "--heads", "0:0"],
    ["diff", "a b", "--delete", "1"], ["export", "a b", "--html", "x.html"], ["bench", "-n", "8"],
    ["corpus", "c.txt"],
])
def test_threads_beyond_the_library_limit_are_refused(attnscope, minilm_dir, tmp_path, args):
    """--threads 100000 crashed inside libgomp (SIGSEGV) in run and corpus."""
    (tmp_path / "c.txt").write_text("One line.\n")
    proc = attnscope(*args, "--model", minilm_dir, "-q", "--threads", "100000", check=False, timeout=120)
    _usage_error(proc, "--threads", "expected 0 (one per core) to 256")


@pytest.mark.parametrize("args, fragments", [
    (["run", "--input-ids", ""], ["--input-ids", "must not be empty"]),
    (["run", "--input-ids", "101,,102"], ["--input-ids", "an empty element"]),
    (["run", "--input-ids", "101,-4"], ["--input-ids", "'-4': expected whole numbers from 0"]),
    (["run", "a b", "--max-length", "99999999999999999999999"], ["--max-length", "too large"]),
    (["tokenize", "a b", "--max-length", "99999999999999999999999"], ["--max-length", "too large"]),
    (["run", "a b", "--ablate", ""], ["--ablate", "must not be empty"]),
    (["ablate", "a b", "--heads", ""], ["--heads", "must not be empty"]),
    (["run", "--input-ids", "101,7,102", "--attention-mask", "1,7,1"], ["--attention-mask", "expected 0 (masked) or 1"]),
    (["run", "a b", "--token-type-ids", "0,0"], ["--token-type-ids", "requires --input-ids"]),
    (["run", "a b", "--attention-mask", "1,1"], ["--attention-mask", "requires --input-ids"]),
    (["rollout", "a b", "--flow", "--flow-layer", "0"], ["--flow-layer", "from 1 to"]),
    (["fill-mask", "a [MASK]", "--top-k=-1"], ["--top-k", "must be 0 or more"]),
])
def test_values_that_cannot_be_honoured_are_usage_errors(attnscope, minilm_dir, args, fragments):
    _usage_error(attnscope(*args, "--model", minilm_dir, "-q", check=False), *fragments)


@pytest.mark.parametrize("lines", ["1:-1", "-1:5", "1:2x", "+1:3", ":5"])
def test_corpus_line_ranges_are_digits_only(attnscope, minilm_dir, tmp_path, lines):
    """--lines 1:-1 was read as 1:end (std::stoull wraps "-1")."""
    (tmp_path / "c.txt").write_text("One line.\nTwo lines.\n")
    proc = attnscope("corpus", tmp_path / "c.txt", "--model", minilm_dir, "-q", "-o", tmp_path / "out", "--lines", lines,
                     check=False)
    _fails_cleanly(proc, f"--lines {lines}: expected FIRST:LAST")
    assert not list(tmp_path.glob("out*"))


# ---- corpus states -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_state(attnscope, minilm_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("state")
    (d / "c.txt").write_text("\n".join(f"Sentence number {i} is here." for i in range(12)) + "\n")
    attnscope("corpus", d / "c.txt", "--model", minilm_dir, "-q", "-o", d / "whole")
    attnscope("corpus", d / "c.txt", "--model", minilm_dir, "-q", "-o", d / "a", "--lines", "1:6")
    attnscope("corpus", d / "c.txt", "--model", minilm_dir, "-q", "-o", d / "b", "--lines", "4:12")
    return d


def _edited(src, dst, edit):
    j = json.loads(src.read_text())
    edit(j["state"])
    dst.write_text(json.dumps(j))
    return dst


def test_resume_from_a_state_with_no_inputs_is_refused_and_keeps_the_state(attnscope, minilm_dir, small_state, tmp_path):
    """A state with "docs": 0 and "skipped": [] crashed the resume (skipped.front()) after deleting the state."""
    corpus = tmp_path / "c.txt"
    corpus.write_text((small_state / "c.txt").read_text())

    def empty(s):
        s["docs"] = 0
        s["skipped"] = []
    state = _edited(small_state / "whole.json", tmp_path / "r.json", empty)
    before = state.read_bytes()
    proc = attnscope("corpus", corpus, "--model", minilm_dir, "-q", "-o", tmp_path / "r", "--resume", check=False)
    _fails_cleanly(proc, "inconsistent corpus state", "12 lines done, but 0 analysed and 0 skipped")
    assert state.read_bytes() == before


def test_a_resumed_state_is_never_deleted(attnscope, minilm_dir, small_state, tmp_path):
    """The run that ends with nothing analysed removes its own checkpoint, never the one it resumed from."""
    corpus = tmp_path / "c.txt"
    corpus.write_text((small_state / "c.txt").read_text())

    def all_skipped(s):
        s.update(docs=0, tokens=0, head_map_docs=0, lines_done=12)
        s["skipped"] = [{"line": i + 1, "error": "empty line"} for i in range(12)]
        s["pattern_counts"] = [0] * len(s["pattern_counts"])
        s["sums"] = {k: (["0"] * len(v) if isinstance(v, list) else "0") for k, v in s["sums"].items()}
    state = _edited(small_state / "whole.json", tmp_path / "r.json", all_skipped)
    before = state.read_bytes()
    proc = attnscope("corpus", corpus, "--model", minilm_dir, "-q", "-o", tmp_path / "r", "--resume", check=False)
    err = proc.stderr.decode().strip().splitlines()[-1]  # after the progress line
    assert proc.returncode == 1 and err == ERROR_PREFIX + "no input could be analysed: all 12 lines were skipped (line 1: empty line)"
    assert state.read_bytes() == before


@pytest.mark.parametrize("edit, fragment", [
    (lambda s: s.update(layers=-1), "layers -1 and heads 12: expected 1 or more"),
    (lambda s: s.update(heads=0), "expected 1 or more of each"),
    (lambda s: s.update(layers=100000), "at most 4096 heads in all"),
    (lambda s: s.update(lines_done=s["lines_done"] + 1), "inconsistent corpus state"),
    (lambda s: s.update(head_map_docs=s["docs"] + 1), "head_map_docs"),
    (lambda s: s["pattern_counts"].__setitem__(0, 999), "pattern labels"),
    (lambda s: s["sums"]["document"].__setitem__(0, "1" * 60), "out of range"),
    (lambda s: s["sums"]["document"].__setitem__(0, ""), "empty number"),
])
def test_malformed_states_are_refused_by_the_library(attnscope, small_state, tmp_path, edit, fragment):
    """`layers: -1` was "internal error: vector::_M_default_append"."""
    bad = _edited(small_state / "a.json", tmp_path / "bad.json", edit)
    _fails_cleanly(attnscope("report", bad, "-o", tmp_path / "r.html", check=False), str(bad), fragment)
    assert not (tmp_path / "r.html").exists()


def test_merge_refuses_arrays_of_another_shape_under_the_same_fingerprint(attnscope, small_state, tmp_path):
    """A matching fingerprint with fewer layers overflowed the heap in CorpusStats::merge (exit 0, wrong numbers)."""
    a = json.loads((small_state / "a.json").read_text())["state"]
    lh = 3 * 12

    def shrink(s):
        s["layers"] = 3
        s["sources"] = ["other.txt:1-end"]
        for key in ("document", "weighted"):
            s["sums"][key] = s["sums"][key][:lh * (len(s["sums"][key]) // (6 * 12))]
        s["sums"]["pattern_features"] = s["sums"]["pattern_features"][:lh * 3]
        s["sums"]["importance"] = s["sums"]["importance"][:lh]
        s["sums"]["head_distance"] = ["0"] * (lh * lh)
        s["pattern_counts"] = s["pattern_counts"][:len(s["pattern_counts"]) // 2]
    small = _edited(small_state / "b.json", tmp_path / "small.json", shrink)
    assert json.loads(small.read_text())["state"]["fingerprint"] == a["fingerprint"]
    for order in ([small_state / "a.json", small], [small, small_state / "a.json"]):
        proc = attnscope("merge", *order, "-o", tmp_path / "m", check=False)
        _fails_cleanly(proc, "cannot merge statistics of")
        assert not list(tmp_path.glob("m.*"))


def test_merge_refuses_lines_counted_twice(attnscope, small_state, tmp_path):
    """`merge a.json a.json` and overlapping shards (1:6 + 4:12) counted the shared lines twice, exit 0."""
    a, b = small_state / "a.json", small_state / "b.json"
    _fails_cleanly(attnscope("merge", a, a, "-o", tmp_path / "m", check=False), "c.txt:1-6 and c.txt:1-6 cover the same lines")
    _fails_cleanly(attnscope("merge", a, b, "-o", tmp_path / "m", check=False), "c.txt:1-6 and c.txt:4-12 cover the same lines")
    whole = small_state / "whole.json"
    _fails_cleanly(attnscope("merge", whole, b, "-o", tmp_path / "m", check=False), "c.txt:1-end and c.txt:4-12")
    assert not list(tmp_path.glob("m.*"))


# ---- output discipline ---------------------------------------------------------------------------------

def _full_device():
    """/dev/full as a redirect target only (never -o: an old build replaced the node with a plain file)."""
    try:
        st = os.stat("/dev/full")
    except FileNotFoundError:
        pytest.skip("no /dev/full")
    if not stat.S_ISCHR(st.st_mode):
        pytest.skip("/dev/full is not the full device here")
    return os.open("/dev/full", os.O_WRONLY)  # no O_CREAT: never makes a file


@pytest.mark.parametrize("args", [
    ["tokenize", "hello"], ["run", "hello"], ["run", "hello", "-f", "jsonl"], ["run", "hello", "-f", "json"],
    ["stats", "hello", "-f", "json"], ["stats", "hello"], ["info"], ["rollout", "hello", "-f", "json"],
])
def test_a_full_standard_output_is_an_error(attnscope, minilm_dir, args):
    """`tokenize hello > /dev/full` exited 0 (also run table and jsonl); `stats -f json` exited 3."""
    import subprocess
    fd = _full_device()
    try:
        proc = subprocess.run([str(attnscope.binary), *map(str, args), "--model", str(minilm_dir), "-q"], stdout=fd,
                              stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    finally:
        os.close(fd)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 1, (proc.returncode, err)
    assert err.splitlines()[-1] == "attnscope: error: standard output: write failed: No space left on device", err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def _read_fifo(path, sink):
    with open(path, "rb") as f:
        sink.append(f.read())


@pytest.mark.parametrize("args", [["run", "hello", "-f", "json"], ["export", "hello", "--html"], ["run", "hello", "-f", "jsonl"]])
def test_output_to_a_fifo_writes_into_it_and_never_replaces_it(attnscope, minilm_dir, tmp_path, args):
    """-o onto a device node or FIFO replaced it with a regular file (temp + rename)."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=_read_fifo, args=(fifo, got), daemon=True)
    reader.start()
    flag = [] if args[-1] == "--html" else ["-o"]
    proc = attnscope(*args, *flag, fifo, "--model", minilm_dir, "-q", check=False, timeout=120)
    if reader.is_alive() and stat.S_ISFIFO(os.stat(fifo).st_mode):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # the writer never came: release the reader
    reader.join(10)
    assert proc.returncode == 0, proc.stderr.decode()
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced"
    assert got and (b'"layer":0' if "jsonl" in args else b"hello") in got[0]
    assert not list(tmp_path.glob("out.fifo.tmp*"))


def test_output_into_a_folder_is_refused(attnscope, minilm_dir, tmp_path):
    _fails_cleanly(attnscope("run", "hello", "-f", "json", "-o", tmp_path, "--model", minilm_dir, "-q", check=False),
                   "is a folder")


def test_regular_outputs_stay_atomic(attnscope, minilm_dir, tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old")
    attnscope("run", "hello", "-f", "json", "-o", out, "--model", minilm_dir, "-q")
    assert json.loads(out.read_text())["encoding"]["tokens"][1] == "hello"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


# ---- standard input, line alignment --------------------------------------------------------------------

def test_export_reads_standard_input_once(attnscope, minilm_dir, tmp_path):
    """`export --html x.html -` read stdin twice: the page's text was the second, empty read."""
    out = tmp_path / "x.html"
    attnscope("export", "-", "--html", out, "--model", minilm_dir, "-q", input=b"a zebra from stdin\n")
    html = out.read_text()
    assert "zebra from stdin" in html


def test_run_with_text_and_pair_from_one_stdin_is_not_an_empty_pair(attnscope, minilm_dir):
    data = attnscope.json("run", "-", "--pair", "-", "-f", "json", "--model", minilm_dir, "-q", input=b"same text\n")
    assert data["encoding"]["tokens"].count("same") == 2


def test_tokenize_input_writes_one_line_per_input_line(attnscope, minilm_dir, tmp_path):
    """An empty line wrote nothing, so output line N no longer belonged to input line N."""
    f = tmp_path / "in.jsonl"
    f.write_text('"first"\n\n"third"\n\r\n"fifth"\n')
    proc = attnscope("tokenize", "--input", f, "--model", minilm_dir, "-q", check=False)
    out = [json.loads(l) for l in proc.stdout.decode().splitlines()]
    assert len(out) == 5
    assert [o.get("text") for o in out] == ["first", None, "third", None, "fifth"]
    assert out[1]["line"] == 2 and "empty line" in out[1]["error"] and out[3]["line"] == 4
    assert proc.returncode == 1 and "2 of 5 lines failed" in proc.stderr.decode()
