"""Head ablation and fill-mask against transformers 4.x `BertForMaskedLM(..., head_mask=...)` — the last
transformers with head_mask — on the synthetic checkpoint with bert-base-uncased's shapes and MLM head."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, record

TF4 = ROOT / ".venv" / "transformers4"
TEXT = "The [MASK] shows the attention [MASK] ."
HEADS = "3:4,5:*,11:0"


@pytest.fixture(scope="module")
def reference(bert_base_dir, tmp_path_factory):
    assert (TF4 / "transformers").is_dir(), "run scripts/setup.sh: it installs transformers 4.x into .venv/transformers4"
    out = tmp_path_factory.mktemp("tf4") / "ref.npz"
    env = dict(os.environ, PYTHONPATH=str(TF4))
    subprocess.run([sys.executable, str(ROOT / "tests" / "reference_tf4.py"), str(bert_base_dir), str(out), TEXT, HEADS],
                   check=True, env=env, capture_output=True)
    return dict(np.load(out))


def _softmax(x):
    e = np.exp(x.astype(np.float64) - x.max())
    return e / e.sum()


def _check_predictions(ours, logits, k):
    worst = 0.0
    for pred in ours:
        probs = _softmax(logits[pred["position"]])
        kth = np.sort(probs)[::-1][k - 1]
        for t in pred["top"]:
            worst = max(worst, abs(t["probability"] - probs[t["id"]]))
            assert t["probability"] == pytest.approx(probs[t["id"]], rel=1e-4, abs=1e-7)
            assert probs[t["id"]] >= kth * (1 - 1e-4)  # in transformers' top-k, up to float ties
    return worst


def test_fill_mask_with_and_without_ablation(attnscope, bert_base_dir, reference):
    assert str(reference["version"]).startswith("4.")
    out = attnscope.json("fill-mask", TEXT, "--model", bert_base_dir, "-q", "-f", "json", "--top-k", "5",
                         "--ablate", HEADS)
    assert out["encoding"]["input_ids"] == reference["input_ids"].tolist()
    assert [p["position"] for p in out["predictions"]] == [2, 6]
    d1 = _check_predictions(out["predictions"], reference["logits"], 5)
    d2 = _check_predictions(out["ablated_predictions"], reference["ablated_logits"], 5)
    record("ablation vs transformers 4.57 head_mask", "fill-mask probability max abs", max(d1, d2))
    # Hidden-state change per token against the same quantity from transformers' two runs.
    h, ha = reference["hidden"].astype(np.float64), reference["ablated_hidden"].astype(np.float64)
    expected = np.linalg.norm(ha - h, axis=-1) / np.linalg.norm(h, axis=-1)
    np.testing.assert_allclose(out["hidden_state_change"], expected, rtol=1e-3, atol=1e-5)
    print(f"fill-mask probabilities max |Δ| {max(d1, d2):.1e}; hidden change {np.round(expected[:4], 4)}")


def test_head_mask_attentions(attnscope, bert_base_dir, reference, tmp_path):
    out = tmp_path / "a.npy"
    attnscope("run", TEXT, "--model", bert_base_dir, "-q", "-f", "npy", "-o", out, "--ablate", HEADS)
    att = np.load(out)
    ref_att = reference["ablated_attentions"]
    diff = float(np.abs(att - ref_att).max())
    record("ablation vs transformers 4.57 head_mask", "attention max abs (heads masked)", diff)
    assert diff <= 1e-5
    # Masked heads show all-zero probabilities, as outputs.attentions does with head_mask.
    assert np.all(att[3, 4] == 0) and np.all(att[5] == 0) and np.all(att[11, 0] == 0)
    assert att[3, 5].sum() == pytest.approx(att.shape[-1], rel=1e-5)


def test_ablate_command_and_ranking(attnscope, bert_base_dir, reference):
    out = attnscope.json("ablate", TEXT, "--model", bert_base_dir, "-q", "-f", "json", "--heads", HEADS)
    h, ha = reference["hidden"].astype(np.float64), reference["ablated_hidden"].astype(np.float64)
    expected = np.linalg.norm(ha - h, axis=-1) / np.linalg.norm(h, axis=-1)
    np.testing.assert_allclose(out["hidden_state_change"], expected, rtol=1e-3, atol=1e-5)
    rank = attnscope.json("ablate", "Short text.", "--model", bert_base_dir, "-q", "-f", "json", "--rank")["ranking"]
    assert len(rank) == 144 and rank[0]["importance"] >= rank[-1]["importance"] > 0


@pytest.mark.parametrize("mode", ["uniform", "mean"])
def test_other_ablation_modes_change_the_output(attnscope, bert_base_dir, mode):
    out = attnscope.json("ablate", TEXT, "--model", bert_base_dir, "-q", "-f", "json", "--heads", "0:*", "--ablation", mode)
    assert out["ablation"] == mode and min(out["hidden_state_change"]) > 0


def test_fill_mask_needs_an_mlm_head(attnscope, minilm_dir):
    proc = attnscope("fill-mask", "The [MASK] shows", "--model", minilm_dir, "-q", check=False)
    assert proc.returncode == 1 and "has no masked-LM head" in proc.stderr.decode()
