"""Conformance on a synthetic checkpoint with exactly bert-base-uncased's shapes and original key names
("bert." prefix, LayerNorm.gamma/beta, cls.* heads, tied decoder left out), random weights from a fixed seed:
same bounds as on MiniLM, plus the padding-mask vector of transformers' own slow BertModel test."""
import pytest

from conftest import load_npy_run, record
from conformance.inputs import text_with_tokens
import numpy as np

from reference import compare, hf_tokenizer, reference_attentions_f64, reference_run

ATTENTION_BOUND = 1e-5
HIDDEN_BOUND = 1e-4
SUITE = "bert-base shapes (synthetic) vs transformers"

CASES = [
    ("default", "The output shows the attention values", None),
    ("dog", "Hello, my dog is cute", None),
    ("accents_cjk", "Café naïve résumé — 我爱自然语言处理 🙂", None),
    ("pair", "Where is the Eiffel Tower?", "The Eiffel Tower is in Paris, France."),
    ("mask_token", "The [MASK] shows the attention values", None),
    ("len128", 128, None),
    ("len512", 512, None),
]


def _run(attnscope, model_dir, tmp_path, *extra):
    out = tmp_path / "run.npy"
    attnscope("run", *extra, "--model", model_dir, "--format", "npy", "--capture", "hidden", "-o", out, "-q")
    return load_npy_run(out)


def _check(name, meta, att, hidden, ids, ref_att, ref_hidden, f64=None):
    assert meta["encoding"]["input_ids"] == ids
    d = compare(att, ref_att, hidden, ref_hidden)
    extra = ""
    if f64 is not None:
        # How far each fp32 implementation is from the float64 result: the noise floor of the comparison.
        d["attnscope_vs_float64"] = float(np.max(np.abs(att - f64)))
        d["transformers_fp32_vs_float64"] = float(np.max(np.abs(ref_att - f64)))
        extra = (f" | vs float64: attnscope {d['attnscope_vs_float64']:.2e}, "
                 f"transformers {d['transformers_fp32_vs_float64']:.2e}")
    print(f"{name}: n={len(ids)} attention max|Δ|={d['attention_max_abs']:.2e} "
          f"hidden max rel={d['hidden_max_rel']:.2e} (max|Δ|={d['hidden_max_abs']:.2e}){extra}")
    for k, v in d.items():
        record(SUITE, k, v)
    assert d["attention_max_abs"] <= ATTENTION_BOUND
    assert d["hidden_max_rel"] <= HIDDEN_BOUND


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_bert_base_shapes_match_transformers(case, attnscope, bert_base_dir, tmp_path):
    name, text, pair = case
    if isinstance(text, int):
        text = text_with_tokens(hf_tokenizer(bert_base_dir), text, text)
    extra = [text] + (["--pair", pair] if pair else [])
    meta, att, hidden = _run(attnscope, bert_base_dir, tmp_path, *extra)
    assert att.shape[:2] == (12, 12) and hidden.shape[-1] == 768
    ids, ref_att, ref_hidden = reference_run(bert_base_dir, text, pair)
    _check(name, meta, att, hidden, ids, ref_att, ref_hidden, reference_attentions_f64(bert_base_dir, text, pair))


def test_padding_mask_matches_transformers(attnscope, bert_base_dir, tmp_path):
    """transformers' slow BertModel test input: the first key is masked out. Masked keys get the additive
    finfo(float32).min, so every row puts ~0 on key 0, and the padded query row still attends normally."""
    ids = [0, 345, 232, 328, 740, 140, 1695, 69, 6078, 1588, 2]
    mask = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    meta, att, hidden = _run(attnscope, bert_base_dir, tmp_path, "--input-ids", ",".join(map(str, ids)),
                             "--attention-mask", ",".join(map(str, mask)))
    _, ref_att, ref_hidden = reference_run(bert_base_dir, None, input_ids=ids, attention_mask=mask)
    assert float(att[:, :, :, 0].max()) == 0.0
    f64 = reference_attentions_f64(bert_base_dir, None, input_ids=ids, attention_mask=mask)
    _check("padding_mask", meta, att, hidden, ids, ref_att, ref_hidden, f64)


def test_token_type_ids_match_transformers(attnscope, bert_base_dir, tmp_path):
    ids = [101, 7592, 102, 2088, 102]
    types = [0, 0, 0, 1, 1]
    meta, att, hidden = _run(attnscope, bert_base_dir, tmp_path, "--input-ids", ",".join(map(str, ids)),
                             "--token-type-ids", ",".join(map(str, types)))
    _, ref_att, ref_hidden = reference_run(bert_base_dir, None, input_ids=ids, token_type_ids=types)
    _check("token_type_ids", meta, att, hidden, ids, ref_att, ref_hidden)


@pytest.mark.parametrize("text,expected", [
    ("Hello, my dog is cute", [101, 7592, 1010, 2026, 3899, 2003, 10140, 102]),
    ("Hello world", [101, 7592, 2088, 102]),
    ("The quick brown fox jumps over the lazy dog.",
     [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102]),
])
def test_bert_base_uncased_ids(attnscope, bert_base_dir, text, expected):
    """Published bert-base-uncased id vectors (the synthetic checkpoint uses the real vocabulary)."""
    out = attnscope.json("tokenize", text, "--model", bert_base_dir, "-q")
    assert out["encoding"]["input_ids"] == expected
    assert hf_tokenizer(bert_base_dir)(text)["input_ids"] == expected
