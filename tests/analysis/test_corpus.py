"""Corpus mode: statistics over many inputs without keeping the matrices. Shards merge to exactly the
whole run, a resumed run equals an uninterrupted one, malformed lines are reported with their line
numbers and skipped or stop the run as the user chooses, and nothing already computed is lost."""
import json
import signal
import subprocess
import time

import numpy as np
import pytest

from analysis import numpy_reference as ref

SENTENCES = ["The cat sat on the mat.", "Attention heads attend to the separator token.", "Where is it?\tIt is here.",
             "Numbers like 3.14 and 1,000 appear too.", "Short.", "A longer sentence, with commas, and a full stop.",
             "Café naïve résumé.", "Is this a question?\tYes, it is.", "東京 is a city.", "The end of the list."]


def _corpus(path, lines):
    path.write_bytes(b"\n".join(l if isinstance(l, bytes) else l.encode() for l in lines) + b"\n")
    return path


def _results(prefix):
    return json.loads(prefix.with_suffix(".json").read_text())


def _same_sums(a, b):
    sa, sb = a["state"], b["state"]
    for key in ("docs", "tokens", "head_map_docs", "pattern_counts"):
        assert sa[key] == sb[key], key
    assert sa["sums"] == sb["sums"]  # exact: 128-bit fixed-point sums, bit for bit
    assert a["results"]["heads"] == b["results"]["heads"]


@pytest.fixture
def corpus_file(tmp_path):
    lines = [SENTENCES[i % len(SENTENCES)] + f" Line {i}." for i in range(60)]
    return _corpus(tmp_path / "corpus.txt", lines)


def test_shards_merge_exactly(attnscope, minilm_dir, corpus_file, tmp_path):
    whole = tmp_path / "whole"
    attnscope("corpus", corpus_file, "--model", minilm_dir, "-q", "-o", whole, "-b", "8")
    # Different shard boundaries and batch sizes than the whole run: the sums still agree bit for bit.
    attnscope("corpus", corpus_file, "--model", minilm_dir, "-q", "-o", tmp_path / "s1", "-b", "5", "--lines", "1:23")
    attnscope("corpus", corpus_file, "--model", minilm_dir, "-q", "-o", tmp_path / "s2", "-b", "3", "--lines", "24:")
    attnscope("merge", tmp_path / "s2.json", tmp_path / "s1.json", "-o", tmp_path / "merged")
    w, m = _results(whole), _results(tmp_path / "merged")
    assert w["state"]["docs"] == 60
    _same_sums(w, m)


def test_one_thread_gives_the_same_bits_as_two(attnscope, minilm_dir, corpus_file, tmp_path):
    # The inputs of a batch are analysed in parallel; neither that nor the forward's split may change a bit.
    attnscope("corpus", corpus_file, "--model", minilm_dir, "-q", "-o", tmp_path / "t1", "--threads", "1")
    attnscope("corpus", corpus_file, "--model", minilm_dir, "-q", "-o", tmp_path / "t2", "--threads", "2")
    a, b = _results(tmp_path / "t1"), _results(tmp_path / "t2")
    assert a["state"]["head_map_docs"] == 60
    _same_sums(a, b)


def test_corpus_statistics_are_the_mean_of_the_per_input_statistics(attnscope, minilm_dir, tmp_path):
    texts = SENTENCES[:4]
    f = _corpus(tmp_path / "few.txt", texts)
    attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", tmp_path / "few", "-b", "3")
    res = _results(tmp_path / "few")["results"]
    per_input, rows = [], []
    for t in texts:
        a, b = (t.split("\t") + [None])[:2]
        out = tmp_path / "x.npy"
        attnscope("run", a, "--model", minilm_dir, "-q", "-f", "npy", "-o", out, *(["--pair", b] if b else []))
        enc = json.loads((tmp_path / "x.tokens.json").read_text())["encoding"]
        att = np.load(out)
        per_input.append([ref.statistics(att[l, h].astype(np.float64), enc["tokens"], enc["token_type_ids"])
                          for l in range(att.shape[0]) for h in range(att.shape[1])])
        rows.append(len(enc["tokens"]))
    for i, head in enumerate(res["heads"]):
        doc = np.mean([p[i]["entropy"] for p in per_input])
        tok = np.sum([p[i]["to_cls"] * n for p, n in zip(per_input, rows)]) / np.sum(rows)
        assert head["document_weighted"]["entropy"] == pytest.approx(doc, abs=1e-6)  # float logs
        assert head["token_weighted"]["to_cls"] == pytest.approx(tok, abs=1e-9)
    assert res["uniform_entropy"] == pytest.approx(np.mean(np.log(rows)), abs=1e-12)


def test_malformed_lines_are_reported_and_skipped(attnscope, minilm_dir, tmp_path):
    lines = ["Good one.", "", b"bad \xff utf-8", "word " * 600, "Another good one."]
    f = _corpus(tmp_path / "bad.txt", lines)
    attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", tmp_path / "bad")
    state = _results(tmp_path / "bad")["state"]
    assert state["docs"] == 2
    skipped = {s["line"]: s["error"] for s in state["skipped"]}
    assert set(skipped) == {2, 3, 4}
    assert "not valid UTF-8" in skipped[3] and "longer than the model's 512" in skipped[4]
    html = (tmp_path / "bad.html").read_text()
    assert "<svg" in html and "Skipped lines" in html and "http" not in html.split("Made by attnscope")[0].lower().replace("http://www.w3.org/2000/svg", "")
    csv = (tmp_path / "bad.csv").read_text().strip().split("\n")
    assert len(csv) == 1 + 72


def test_stop_on_error_keeps_what_was_computed_and_resumes(attnscope, minilm_dir, tmp_path):
    good = [SENTENCES[i % len(SENTENCES)] for i in range(12)]
    lines = good[:7] + [b"broken \xfe line"] + good[7:]
    f = _corpus(tmp_path / "c.txt", lines)
    proc = attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", tmp_path / "c", "-b", "2", "--on-error", "stop",
                     check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "line 8" in err and "--resume" in err
    assert json.loads((tmp_path / "c.json").read_text())["state"]["docs"] == 7
    # Fix the line, resume: the result equals a clean run over the fixed file.
    lines[7] = "A fixed line."
    _corpus(f, lines)
    attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", tmp_path / "c", "-b", "2", "--resume")
    clean = tmp_path / "clean"
    attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", clean, "-b", "4")
    _same_sums(_results(tmp_path / "c"), _results(clean))


def test_interrupted_run_resumes_to_the_same_result(attnscope, minilm_dir, tmp_path):
    lines = [SENTENCES[i % len(SENTENCES)] + f" Number {i}." for i in range(400)]
    f = _corpus(tmp_path / "long.txt", lines)
    prefix = tmp_path / "long"
    proc = subprocess.Popen([str(attnscope.binary), "corpus", str(f), "--model", str(minilm_dir), "-q", "-o", str(prefix),
                             "-b", "4", "--checkpoint-every", "1", "-t", "1"], stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not prefix.with_suffix(".json").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    state = json.loads(prefix.with_suffix(".json").read_text())["state"]
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be interrupted")
    assert proc.returncode == 1 and b"interrupted after" in err and b"--resume" in err
    assert 0 < state["docs"] < 400
    # Without --resume an existing state is not overwritten.
    again = attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", prefix, check=False)
    assert again.returncode == 1 and "--resume" in again.stderr.decode()
    attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", prefix, "-b", "7", "--resume")
    full = tmp_path / "full"
    attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", full, "-b", "16")
    _same_sums(_results(prefix), _results(full))


def test_jsonl_input_and_pairs(attnscope, minilm_dir, tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join([json.dumps("One text."), json.dumps({"text": "Question?", "pair": "Answer."}), "{not json"]) + "\n")
    attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", tmp_path / "j")
    state = _results(tmp_path / "j")["state"]
    assert state["docs"] == 2 and state["skipped"][0]["line"] == 3


def test_merge_refuses_different_models(attnscope, minilm_dir, bert_base_dir, tmp_path):
    f = _corpus(tmp_path / "t.txt", SENTENCES[:2])
    attnscope("corpus", f, "--model", minilm_dir, "-q", "-o", tmp_path / "a")
    attnscope("corpus", f, "--model", bert_base_dir, "-q", "-o", tmp_path / "b", "--no-head-map")
    proc = attnscope("merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m", check=False)
    assert proc.returncode == 1 and "different models" in proc.stderr.decode()
