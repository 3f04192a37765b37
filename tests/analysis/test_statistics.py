"""Every per-head statistic and the pattern rule against direct numpy transcriptions of the published
formulas: on real all-MiniLM-L6-v2 attentions, and on hand-built matrices whose answer is known (a pure
diagonal head must be classified diagonal, a [CLS]-column head vertical, and so on)."""
import json

import numpy as np
import pytest

from analysis import numpy_reference as ref

TEXTS = [("The output shows the attention values", None),
         ("Where is the Eiffel Tower, exactly?", "It is in Paris, France."),
         ("Wait... what? A sentence, with commas, and a full stop.", None)]


def _run(attnscope, minilm_dir, tmp_path, text, pair):
    out = tmp_path / "a.npy"
    args = ["run", text, "--model", minilm_dir, "-q", "-f", "npy", "-o", out] + (["--pair", pair] if pair else [])
    attnscope(*args)
    meta = json.loads((tmp_path / "a.tokens.json").read_text())
    stats_args = ["stats", text, "--model", minilm_dir, "-q", "-f", "json"] + (["--pair", pair] if pair else [])
    return np.load(out), meta["encoding"], attnscope.json(*stats_args)


@pytest.mark.parametrize("text,pair", TEXTS)
def test_statistics_match_numpy_on_minilm(attnscope, minilm_dir, tmp_path, text, pair):
    att, enc, stats = _run(attnscope, minilm_dir, tmp_path, text, pair)
    L, H = att.shape[:2]
    worst = 0.0
    for head in stats["heads"]:
        expected = ref.statistics(att[head["layer"], head["head"]].astype(np.float64), enc["tokens"], enc["token_type_ids"])
        for key, value in expected.items():
            assert head[key] == pytest.approx(value, abs=2e-5, rel=1e-5), (head["layer"], head["head"], key)
            worst = max(worst, abs(head[key] - value))
        p = ref.pattern(att[head["layer"], head["head"]].astype(np.float64), enc["tokens"], enc["token_type_ids"])
        assert head["pattern"] == p["label"]
        for k in ("vertical", "diagonal", "block"):
            assert head["pattern_features"][k] == pytest.approx(p[k], abs=1e-6)
    assert stats["uniform_entropy"] == pytest.approx(np.log(att.shape[-1]))
    assert len(stats["heads"]) == L * H
    print(f"{text[:30]!r}: max |attnscope − numpy| over {L * H} heads × 15 statistics = {worst:.1e}")


def _write(tmp_path, name, att, tokens, type_ids=None):
    np.save(tmp_path / f"{name}.npy", att.astype(np.float32))
    (tmp_path / f"{name}.json").write_text(json.dumps({"tokens": tokens, "token_type_ids": type_ids or [0] * len(tokens)}))
    return tmp_path / f"{name}.npy", tmp_path / f"{name}.json"


def _normalise(m):
    return m / m.sum(-1, keepdims=True)


TOKENS = ["[CLS]", "the", "cat", "sat", ",", "on", "the", "mat", ".", "[SEP]"]
N = len(TOKENS)


def _hand_built():
    rng = np.random.default_rng(0)
    eye = np.eye(N)
    cls_col = np.zeros((N, N)); cls_col[:, 0] = 1
    sep_col = np.zeros((N, N)); sep_col[:, -1] = 1
    prev = np.eye(N, N, -1); prev[0, 0] = 1
    nxt = np.eye(N, N, 1); nxt[-1, -1] = 1
    mixed = _normalise(0.5 * cls_col + 0.5 * eye)
    uniform = np.full((N, N), 1.0 / N)
    noisy = _normalise(rng.random((N, N)) ** 4)
    return {"diagonal (self)": (eye, "diagonal"), "[CLS] column": (cls_col, "vertical"), "[SEP] column": (sep_col, "vertical"),
            "previous token": (prev, "diagonal"), "next token": (nxt, "diagonal"), "half [CLS], half self": (mixed, "vertical+diagonal"),
            "uniform": (uniform, "heterogeneous"), "random": (noisy, "heterogeneous")}


def test_hand_built_heads(attnscope, tmp_path):
    heads = _hand_built()
    att = np.stack([m for m, _ in heads.values()])[None]  # one layer, 8 heads
    npy, toks = _write(tmp_path, "hand", att, TOKENS)
    out = attnscope.json("stats", "--attentions", npy, "--tokens", toks, "-f", "json")
    for head, (name, (m, label)) in zip(out["heads"], heads.items()):
        assert head["pattern"] == label, name
        for key, value in ref.statistics(m, TOKENS).items():
            assert head[key] == pytest.approx(value, abs=1e-6), (name, key)
    by_name = dict(zip(heads, out["heads"]))
    # Values that follow from the definitions by hand.
    assert by_name["diagonal (self)"]["to_self"] == pytest.approx(1.0)
    assert by_name["[CLS] column"]["to_cls"] == pytest.approx(1.0)
    assert by_name["[SEP] column"]["sep_to_sep"] == pytest.approx(1.0)
    assert by_name["[SEP] column"]["other_to_sep"] == pytest.approx(1.0)
    assert by_name["previous token"]["to_prev"] == pytest.approx((N - 1) / N)
    assert by_name["next token"]["to_next"] == pytest.approx((N - 1) / N)
    assert by_name["uniform"]["entropy"] == pytest.approx(np.log(N), abs=1e-6)
    assert by_name["uniform"]["entropy_raw"] == pytest.approx(np.log(N), abs=1e-6)
    assert by_name["diagonal (self)"]["entropy_raw"] == pytest.approx(0.0, abs=1e-9)
    assert by_name["diagonal (self)"]["confidence"] == pytest.approx(1.0)
    assert by_name["diagonal (self)"]["top_p_span"] == pytest.approx(1.0)
    assert by_name["next token"]["distance"] == pytest.approx((N - 1) / N)
    assert by_name["[CLS] column"]["sink_mass"] == pytest.approx(1.0)


def test_block_pattern_needs_a_pair(attnscope, tmp_path):
    tokens = ["[CLS]", "a", "b", "c", "d", "[SEP]", "e", "f", "g", "h", "[SEP]"]
    types = [0] * 6 + [1] * 5
    n = len(tokens)
    seg = np.array(types)
    block = np.where(seg[:, None] == seg[None, :], 1.0, 0.0)
    np.fill_diagonal(block, 0)
    for i in range(n):
        for j in (i - 1, i + 1):
            if 0 <= j < n:
                block[i, j] = 0
    block[block.sum(-1) == 0, 0] = 1
    block = _normalise(block)
    npy, toks = _write(tmp_path, "block", block[None, None], tokens, types)
    head = attnscope.json("stats", "--attentions", npy, "--tokens", toks, "-f", "json")["heads"][0]
    assert head["pattern"] == "block" == ref.pattern(block, tokens, types)["label"]
    # The same map on a single sentence cannot be a block.
    npy1, toks1 = _write(tmp_path, "single", block[None, None], tokens, [0] * n)
    assert attnscope.json("stats", "--attentions", npy1, "--tokens", toks1, "-f", "json")["heads"][0]["pattern"] != "block"


def test_csv_has_every_head_and_statistic(attnscope, minilm_dir):
    out = attnscope("stats", "--model", minilm_dir, "-q", "-f", "csv").stdout.decode().strip().split("\n")
    header = out[0].split(",")
    assert header[:3] == ["layer", "head", "to_cls"] and "entropy_raw" in header and "pattern" in header
    assert len(out) == 1 + 6 * 12
