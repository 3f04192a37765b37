"""The head map (JS distances, MDS), rollout and flow, and norm-based attention against numpy, networkx and
scikit-learn transcriptions of the papers' code."""
import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from analysis import numpy_reference as ref


def _run(attnscope, model, tmp_path, text, *capture):
    out = tmp_path / "r.npy"
    attnscope("run", text, "--model", model, "-q", "-f", "npy", "-o", out, *(["--capture", ",".join(capture)] if capture else []))
    return np.load(out), json.loads((tmp_path / "r.tokens.json").read_text())["encoding"], out


def test_head_distances_and_mds(attnscope, minilm_dir, tmp_path):
    att, enc, _ = _run(attnscope, minilm_dir, tmp_path, "The output shows the attention values")
    out = attnscope.json("stats", "--model", minilm_dir, "-q", "-f", "json", "--head-map")
    m = att.shape[0] * att.shape[1]
    d = np.array(out["head_distances"]).reshape(m, m)
    expected = ref.js_distance_matrix(att)
    np.testing.assert_allclose(d, expected, rtol=2e-4, atol=2e-5)
    print(f"JS distances: max |Δ| = {np.abs(d - expected).max():.1e}")
    # The MDS layout reproduces the distances as well as scikit-learn's SMACOF does.
    from sklearn.manifold import MDS

    xy = np.array([h["map_xy"] for h in out["heads"]])
    ours = out["head_map_stress"]
    sk = MDS(n_components=2, metric_mds=True, metric="precomputed", init="random", n_init=5, max_iter=1000,
             eps=1e-10, random_state=0).fit(expected)
    delta = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    recomputed = ((delta - d)[np.triu_indices(m, 1)] ** 2).sum()
    assert ours == pytest.approx(recomputed, rel=1e-6)
    sk_stress = ((np.sqrt(((sk.embedding_[:, None] - sk.embedding_[None]) ** 2).sum(-1)) - expected)[np.triu_indices(m, 1)] ** 2).sum()
    print(f"MDS stress: attnscope {ours:.4g}, scikit-learn {sk_stress:.4g}")
    assert ours <= 1.05 * sk_stress


def test_rollout_and_flow(attnscope, minilm_dir, tmp_path):
    text = "The cat sat on the mat."
    att, enc, _ = _run(attnscope, minilm_dir, tmp_path, text)
    out = attnscope.json("rollout", text, "--model", minilm_dir, "-q", "-f", "json", "--flow", "--flow-layer", "3")
    np.testing.assert_allclose(np.array(out["rollout"]), ref.rollout(att), atol=2e-6)
    expected = ref.flow(att, 3)
    got = np.array(out["flow"])
    np.testing.assert_allclose(got, expected, atol=2e-6)
    print(f"rollout and flow: max |Δ| = {np.abs(got - expected).max():.1e}")
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-5)


def test_flow_refuses_long_inputs(attnscope, minilm_dir):
    proc = attnscope("rollout", "word " * 80, "--model", minilm_dir, "-q", "--flow", check=False)
    assert proc.returncode == 1
    assert "limited to 64 tokens; this input has 82" in proc.stderr.decode()


def test_norms_match_numpy(attnscope, minilm_dir, tmp_path):
    text = "The output shows the attention values."
    att, enc, path = _run(attnscope, minilm_dir, tmp_path, text, "qkv")
    values = np.load(tmp_path / "r.values.npy")
    weights = load_file(str(minilm_dir / "model.safetensors"))
    out = attnscope.json("stats", text, "--model", minilm_dir, "-q", "-f", "json", "--norms")
    special = np.array([t in ("[CLS]", "[SEP]") for t in enc["tokens"]])
    d = values.shape[-1]
    for head in out["heads"]:
        l, h = head["layer"], head["head"]
        wo = weights[f"encoder.layer.{l}.attention.output.dense.weight"][:, h * d:(h + 1) * d].T  # W_O^h, [d][D]
        norms, att_share, norm_share = ref.head_norms(att[l, h].astype(np.float64), values[l, h], wo, special)
        np.testing.assert_allclose(head["norms"]["value_norms"], norms, rtol=1e-5)
        assert head["norms"]["special_attention_share"] == pytest.approx(att_share, abs=1e-6)
        assert head["norms"]["special_norm_share"] == pytest.approx(norm_share, abs=1e-5)
    # The paper's finding: special tokens get large weights but small norms.
    mean_att = np.mean([h["norms"]["special_attention_share"] for h in out["heads"]])
    mean_norm = np.mean([h["norms"]["special_norm_share"] for h in out["heads"]])
    print(f"[CLS]/[SEP] share: attention {mean_att:.3f}, norm-weighted {mean_norm:.3f}")
    assert mean_norm < mean_att


def test_counterfactual_diff_matches_numpy(attnscope, minilm_dir, tmp_path):
    text = "The cat sat on the mat."
    out = attnscope.json("diff", text, "--model", minilm_dir, "-q", "-f", "json", "--replace", "2=dog")
    att_a, enc_a, _ = _run(attnscope, minilm_dir, tmp_path, text)
    ids = enc_a["input_ids"][:]
    ids[2] = 3899  # "dog"
    p = tmp_path / "b.npy"
    attnscope("run", "--input-ids", ",".join(map(str, ids)), "--model", minilm_dir, "-q", "-f", "npy", "-o", p)
    att_b = np.load(p)
    tokens_a = enc_a["tokens"]
    tokens_b = tokens_a[:2] + ["dog"] + tokens_a[3:]
    aligned = [i for i in range(len(tokens_a)) if tokens_a[i] == tokens_b[i]]
    L, H = att_a.shape[:2]
    for row in out["heads"]:
        l, h = row["layer"], row["head"]
        a = att_a[l, h][np.ix_(aligned, aligned)].astype(np.float64)
        b = att_b[l, h][np.ix_(aligned, aligned)].astype(np.float64)
        a /= a.sum(-1, keepdims=True)
        b /= b.sum(-1, keepdims=True)
        expected = np.mean([ref.js(a[i], b[i]) for i in range(len(aligned))])
        assert row["js_divergence"] == pytest.approx(expected, abs=1e-6), (l, h)
    assert out["aligned_tokens"] == len(aligned)
    assert out["heads"][0]["js_divergence"] >= out["heads"][-1]["js_divergence"]
