"""The analyses from Python — the library's computations in the library's schema — against the NumPy
transcriptions of the published formulas (tests/analysis/numpy_reference.py) and, for ablation and
fill-mask, transformers 4.x BertForMaskedLM with head_mask; on padded batches each sequence is analysed
without its padding."""
import os
import subprocess
import sys

import numpy as np
import pytest

from analysis import numpy_reference as ref
from conftest import ROOT

TEXT = "Where is the Eiffel Tower, exactly?"
PAIR = "It is in Paris, France."


@pytest.fixture(scope="module")
def out(minilm):
    return minilm(TEXT, PAIR, output_qkv=True)


def test_head_statistics_and_patterns(attnscope_pkg, out):
    doc = attnscope_pkg.head_statistics(out)
    att = out.attentions
    enc = out.encodings[0]
    assert len(doc["heads"]) == len(att) * att[0].shape[1]
    assert doc["uniform_entropy"] == pytest.approx(np.log(len(enc)))
    keys = [s["key"] for s in doc["statistics"]]
    for head in doc["heads"]:
        a = att[head["layer"]][0, head["head"]].astype(np.float64)
        expected = ref.statistics(a, list(enc.tokens), list(enc.type_ids))
        for key, value in expected.items():
            assert key in keys
            assert head[key] == pytest.approx(value, abs=2e-5, rel=1e-5), (head["layer"], head["head"], key)
        assert head["pattern"] == ref.pattern(a, list(enc.tokens), list(enc.type_ids))["label"]
    patterns = attnscope_pkg.pattern_types(out)
    assert patterns.shape == (6, 12) and patterns[0, 0] == doc["heads"][0]["pattern"]


def test_head_statistics_as_frame(attnscope_pkg, out):
    pd = pytest.importorskip("pandas")
    frame = attnscope_pkg.head_statistics(out, as_frame=True)
    assert isinstance(frame, pd.DataFrame) and frame.shape[0] == 72
    assert frame.loc[(3, 4), "entropy"] == attnscope_pkg.head_statistics(out)["heads"][3 * 12 + 4]["entropy"]


def test_padded_batch_sequences_are_analysed_without_padding(attnscope_pkg, minilm):
    batch = minilm(["short text", TEXT])
    alone = minilm("short text")
    # The same numbers up to float rounding (a batch's GEMMs sum in another order).
    ours, single = attnscope_pkg.head_statistics(batch, 0), attnscope_pkg.head_statistics(alone)
    assert ours["uniform_entropy"] == single["uniform_entropy"]
    for a, b in zip(ours["heads"], single["heads"]):
        assert a["entropy"] == pytest.approx(b["entropy"], abs=1e-5) and a["to_cls"] == pytest.approx(b["to_cls"], abs=1e-5)
    np.testing.assert_allclose(attnscope_pkg.attention_rollout(batch, 0), attnscope_pkg.attention_rollout(alone),
                               atol=1e-6)
    with pytest.raises(IndexError):
        attnscope_pkg.head_statistics(batch, 2)


def test_head_map(attnscope_pkg, out):
    doc = attnscope_pkg.head_map(out, include_distances=True)
    att = np.stack([a[0] for a in out.attentions])
    np.testing.assert_allclose(doc["distances"], ref.js_distance_matrix(att), rtol=1e-4, atol=1e-6)
    assert len(doc["heads"]) == 72 and {"x", "y", "colour"} <= set(doc["heads"][0]) and doc["stress"] >= 0


def test_rollout_and_flow(attnscope_pkg, out):
    att = np.stack([a[0] for a in out.attentions])
    doc = attnscope_pkg.rollout(out, flow_layer=3)
    assert doc["rollout"].dtype == np.float32 and doc["rollout"].shape == att.shape[:1] + att.shape[2:]
    np.testing.assert_allclose(doc["rollout"], ref.rollout(att), atol=1e-5)
    np.testing.assert_allclose(doc["flow"], ref.flow(att, 3), atol=1e-4)
    assert doc["flow_layer"] == 3 and "rollout_b64" not in doc
    np.testing.assert_array_equal(attnscope_pkg.attention_flow(out, 3), doc["flow"])
    with pytest.raises(ValueError, match="flow_layer 9"):
        attnscope_pkg.rollout(out, flow_layer=9)


def test_head_norms(attnscope_pkg, minilm_dir, out):
    from safetensors.numpy import load_file

    doc = attnscope_pkg.head_norms(out)
    weights = load_file(str(minilm_dir / "model.safetensors"))
    enc = out.encodings[0]
    special = np.array([t in ("[CLS]", "[SEP]") for t in enc.tokens])
    d = out.values[0].shape[-1]
    assert doc["value_norms"].shape == (6, 12, len(enc))
    for head in doc["heads"]:
        l, h = head["layer"], head["head"]
        wo = weights[f"encoder.layer.{l}.attention.output.dense.weight"][:, h * d:(h + 1) * d].T
        norms, att_share, norm_share = ref.head_norms(out.attentions[l][0, h].astype(np.float64),
                                                      out.values[l][0, h], wo, special)
        np.testing.assert_allclose(doc["value_norms"][l, h], norms, rtol=1e-5)
        assert head["special_attention_share"] == pytest.approx(att_share, abs=1e-6)
        assert head["special_norm_share"] == pytest.approx(norm_share, abs=1e-5)


def test_head_norms_run_the_values_when_not_captured(attnscope_pkg, minilm, out):
    plain = minilm(TEXT, PAIR)
    assert plain.values is None
    again = attnscope_pkg.head_norms(plain)
    np.testing.assert_allclose(again["value_norms"], attnscope_pkg.head_norms(out)["value_norms"], rtol=1e-6)


def test_counterfactual_matches_numpy(attnscope_pkg, minilm):
    text = "The cat sat on the mat."
    doc = attnscope_pkg.counterfactual(minilm, text, replace=(2, "dog"))
    assert doc["change"] == "token 2 'cat' replaced by 'dog'"
    a = minilm(text)
    b_ids = a.input_ids.copy()
    b_ids[0, 2] = minilm.tokenizer.convert_tokens_to_ids("dog")
    b = minilm(input_ids=b_ids)
    aligned = [i for i in range(len(a.tokens)) if a.tokens[i] == b.tokens[i]]
    assert doc["aligned_tokens"] == len(aligned)
    for row in doc["heads"]:
        pa = a.attentions[row["layer"]][0, row["head"]][np.ix_(aligned, aligned)].astype(np.float64)
        pb = b.attentions[row["layer"]][0, row["head"]][np.ix_(aligned, aligned)].astype(np.float64)
        pa /= pa.sum(-1, keepdims=True)
        pb /= pb.sum(-1, keepdims=True)
        expected = np.mean([ref.js(pa[i], pb[i]) for i in range(len(aligned))])
        assert row["js_divergence"] == pytest.approx(expected, abs=1e-6)
    masked = attnscope_pkg.counterfactual(minilm, text, mask=2)
    assert masked["b"]["tokens"][2] == "[MASK]"
    assert attnscope_pkg.counterfactual(minilm, text, "The dog sat on the mat.")["change"] == "the second text"
    with pytest.raises(ValueError, match="exactly one of"):
        attnscope_pkg.counterfactual(minilm, text)
    with pytest.raises(ValueError, match="position 0|special"):
        attnscope_pkg.counterfactual(minilm, text, delete=0)


ABLATE_TEXT = "The [MASK] shows the attention [MASK] ."
HEADS = "3:4,5:*,11:0"


@pytest.fixture(scope="module")
def tf4_reference(bert_base_dir, tmp_path_factory):
    tf4 = ROOT / ".venv" / "transformers4"
    assert (tf4 / "transformers").is_dir(), "run scripts/setup-tests.sh: it installs transformers 4.x"
    path = tmp_path_factory.mktemp("tf4") / "ref.npz"
    subprocess.run([sys.executable, str(ROOT / "tests" / "reference_tf4.py"), str(bert_base_dir), str(path),
                    ABLATE_TEXT, HEADS], check=True, env=dict(os.environ, PYTHONPATH=str(tf4)), capture_output=True)
    return dict(np.load(path))


def _check_top(predictions, logits, k):
    worst = 0.0
    for pred in predictions:
        z = logits[pred["position"]].astype(np.float64)
        probs = np.exp(z - z.max())
        probs /= probs.sum()
        kth = np.sort(probs)[::-1][k - 1]
        assert len(pred["top"]) == k
        for t in pred["top"]:
            worst = max(worst, abs(t["probability"] - probs[t["id"]]))
            assert t["probability"] == pytest.approx(probs[t["id"]], rel=1e-4, abs=1e-7)
            assert probs[t["id"]] >= kth * (1 - 1e-4)
    return worst


def test_fill_mask_and_ablation_match_transformers4(attnscope_pkg, bert_base, tf4_reference):
    preds = attnscope_pkg.fill_mask(bert_base, ABLATE_TEXT, top_k=5)
    assert [p["position"] for p in preds] == [2, 6]
    d1 = _check_top(preds, tf4_reference["logits"], 5)
    doc = attnscope_pkg.ablate(bert_base, ABLATE_TEXT, HEADS)
    assert doc["ablation"] == "zero" and doc["heads"] == HEADS
    d2 = _check_top(doc["ablated_predictions"], tf4_reference["ablated_logits"], 5)
    h = tf4_reference["hidden"].astype(np.float64)
    ha = tf4_reference["ablated_hidden"].astype(np.float64)
    np.testing.assert_allclose(doc["hidden_state_change"], np.linalg.norm(ha - h, axis=-1) / np.linalg.norm(h, axis=-1),
                               rtol=1e-3, atol=1e-5)
    print(f"fill-mask / ablated probabilities vs transformers 4.x: max |Δ| {max(d1, d2):.1e}")


def test_fill_mask_needs_an_mlm_head(attnscope_pkg, minilm):
    with pytest.raises(attnscope_pkg.Error, match="no masked-LM head"):
        attnscope_pkg.fill_mask(minilm, "The [MASK] is here")


def test_neuron_view_data(attnscope_pkg, minilm):
    out = minilm(TEXT, output_qkv=True, output_scores=True)
    doc = attnscope_pkg.neuron(out, 2, 5)
    n, d = doc["n"], doc["head_dim"]
    np.testing.assert_array_equal(doc["attention"], out.attentions[2][0, 5])
    np.testing.assert_array_equal(doc["queries"], out.queries[2][0, 5])
    assert doc["keys"].shape == (n, d) and doc["scores"].shape == (n, n) and doc["tokens"] == out.tokens
    with pytest.raises(ValueError, match="output_qkv=True"):
        attnscope_pkg.neuron(minilm(TEXT), 0, 0)
    with pytest.raises(ValueError, match="layer 6 head 0 is outside"):
        attnscope_pkg.neuron(out, 6, 0)
