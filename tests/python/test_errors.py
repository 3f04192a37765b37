"""Bad input raises a Python exception carrying the library's one-line message — never a crash: invalid
UTF-8 bytes, strings that have no UTF-8 form, wrong types, over-long input without truncation, ids outside
the vocabulary, a missing or broken model folder."""
import json
import shutil

import numpy as np
import pytest


def test_invalid_utf8_bytes(attnscope_pkg, minilm):
    with pytest.raises(attnscope_pkg.Error, match=r"not valid UTF-8: invalid byte 0xFF at byte offset 3"):
        minilm.tokenizer.tokenize(b"abc\xff")
    with pytest.raises(ValueError, match="not valid UTF-8"):
        minilm(b"ok \xc3(")
    assert minilm.tokenizer.tokenize("café".encode()) == minilm.tokenizer.tokenize("café")


def test_lone_surrogate(attnscope_pkg, minilm):
    with pytest.raises(attnscope_pkg.Error, match="lone surrogate"):
        minilm.tokenizer.tokenize("a\ud800b")
    with pytest.raises(ValueError, match="text_pair: .*lone surrogate"):
        minilm("fine", "bad \udfff")


@pytest.mark.parametrize("call,match", [
    (lambda m: m.tokenizer.tokenize(None), "expected str"),
    (lambda m: m.tokenizer.tokenize(["a"]), "expected str"),
    (lambda m: m(42), "must be str or a list of str"),
    (lambda m: m(["a", 3]), "expected str"),
    (lambda m: m(input_ids=[[1.5, 2.0]]), "expected integers"),
    (lambda m: m("x", threads="2"), "threads: expected an int"),
    (lambda m: m({"input_ids": [101, 102]}), r"model\(\*\*inputs\)"),
    (lambda m: m.tokenizer.convert_ids_to_tokens(["a"]), "expected a list of int"),
])
def test_wrong_types(minilm, call, match):
    with pytest.raises(TypeError, match=match):
        call(minilm)


@pytest.mark.parametrize("call,match", [
    (lambda m: m(input_ids=[[101, 2], [101]]), "not a rectangular array"),
    (lambda m: m(input_ids=[[101, 99999, 102]]), "token id 99999 at position 1 is outside the model's vocabulary"),
    (lambda m: m(input_ids=[[101, 102]], token_type_ids=[[0, 7]]), "token type id 7 at position 1"),
    (lambda m: m(input_ids=[[101, 102]], attention_mask=[[1, 2]]), "only 0 and 1"),
    (lambda m: m(input_ids=[[101, 102]], attention_mask=[[1]]), "differs from input_ids"),
    (lambda m: m(input_ids=[[101, 2**40]]), "outside int32"),
    (lambda m: m(input_ids=np.zeros((1, 0), dtype=np.int64)), "empty input"),
    (lambda m: m(), "nothing to run"),
    (lambda m: m("x", max_length=0), "max_length 0: expected a positive int"),
    (lambda m: m("x", threads=100000), "threads 100000: expected 0"),
    (lambda m: m.tokenizer("x", truncation="only_second"), "truncation 'only_second'"),
    (lambda m: m.tokenizer("x", return_tensors="tf"), "return_tensors 'tf'"),
    (lambda m: m.tokenizer.convert_ids_to_tokens([10**6]), "outside the vocabulary"),
    (lambda m: m(["a", "b"], ["c"]), "one pair text per text"),
])
def test_bad_values(minilm, call, match):
    with pytest.raises(ValueError, match=match):
        call(minilm)


def test_over_long_input_needs_truncation(attnscope_pkg, minilm):
    text = " ".join(["attention"] * 600)
    with pytest.raises(attnscope_pkg.Error,
                       match="602 tokens .* longer than the model's maximum of 512; shorten the text or enable truncation"):
        minilm(text)
    out = minilm(text, truncation=True)
    assert out.attentions[0].shape[-1] == 512
    inputs = minilm.tokenizer(text, truncation=True, max_length=100)
    assert len(minilm(**inputs).tokens) == 100


def test_missing_model_folder(attnscope_pkg, tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(FileNotFoundError, match="no such folder") as e:
        attnscope_pkg.from_pretrained(str(missing))
    assert isinstance(e.value, attnscope_pkg.ModelNotFoundError) and isinstance(e.value, attnscope_pkg.Error)
    with pytest.raises(TypeError, match="expected a folder or a model id"):
        attnscope_pkg.from_pretrained(42)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        attnscope_pkg.from_pretrained(str(missing), colour="red")


def test_broken_model_folders(attnscope_pkg, minilm_dir, tmp_path):
    bad_json = tmp_path / "bad-json"
    bad_json.mkdir()
    (bad_json / "config.json").write_text("{ not json")
    with pytest.raises(attnscope_pkg.Error, match="config.json"):
        attnscope_pkg.from_pretrained(str(bad_json))

    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    for f in ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(minilm_dir / f, no_weights / f)
    with pytest.raises(attnscope_pkg.Error, match="safetensors|pytorch_model.bin"):
        attnscope_pkg.from_pretrained(str(no_weights))

    truncated = tmp_path / "truncated"
    shutil.copytree(no_weights, truncated)
    (truncated / "model.safetensors").write_bytes((minilm_dir / "model.safetensors").read_bytes()[:4096])
    with pytest.raises(attnscope_pkg.Error, match="model.safetensors"):
        attnscope_pkg.from_pretrained(str(truncated))

    wrong_field = tmp_path / "wrong-field"
    shutil.copytree(minilm_dir, wrong_field, ignore=shutil.ignore_patterns("model.safetensors"))
    config = json.loads((minilm_dir / "config.json").read_text())
    config["num_attention_heads"] = 5
    (wrong_field / "config.json").write_text(json.dumps(config))
    with pytest.raises(attnscope_pkg.Error, match="num_attention_heads"):
        attnscope_pkg.from_pretrained(str(wrong_field))


def test_revision_on_a_folder(attnscope_pkg, minilm_dir):
    with pytest.raises(ValueError, match="is a folder, which has no revisions"):
        attnscope_pkg.from_pretrained(str(minilm_dir), revision="main")
