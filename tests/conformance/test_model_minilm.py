"""Conformance of the whole forward pass against transformers on the real pretrained all-MiniLM-L6-v2:
identical tokens and ids, every attention probability within 1e-5, every hidden state within 1e-4
(relative to its vector's scale). The measured maxima are printed per case and in the final summary."""
import pytest

from conftest import load_npy_run, record
from conformance.inputs import all_cases
from reference import compare, hf_tokenizer, reference_run

ATTENTION_BOUND = 1e-5
HIDDEN_BOUND = 1e-4


def _cases():
    from conftest import MINILM

    return all_cases(hf_tokenizer(MINILM))


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_minilm_matches_transformers(case, attnscope, minilm_dir, tmp_path):
    name, text, pair = case
    out = tmp_path / "run.npy"
    # argv cannot carry NUL: such texts go through standard input.
    via_stdin = "\x00" in text
    args = ["run", "-" if via_stdin else text, "--model", minilm_dir, "--format", "npy", "--capture", "hidden",
            "-o", out, "-q"]
    if pair is not None:
        args += ["--pair", pair]
    attnscope(*args, input=text.encode() if via_stdin else None)
    meta, att, hidden = load_npy_run(out)
    ids, ref_att, ref_hidden = reference_run(minilm_dir, text, pair)
    ref_tokens = hf_tokenizer(minilm_dir).convert_ids_to_tokens(ids)
    assert meta["encoding"]["input_ids"] == ids
    assert meta["encoding"]["tokens"] == ref_tokens
    assert att.shape == ref_att.shape and hidden.shape == ref_hidden.shape
    d = compare(att, ref_att, hidden, ref_hidden)
    print(f"{name}: n={len(ids)} attention max|Δ|={d['attention_max_abs']:.2e} "
          f"hidden max rel={d['hidden_max_rel']:.2e} (max|Δ|={d['hidden_max_abs']:.2e})")
    for k, v in d.items():
        record("MiniLM-L6 vs transformers", k, v)
    assert d["attention_max_abs"] <= ATTENTION_BOUND
    assert d["hidden_max_rel"] <= HIDDEN_BOUND
