"""Every bad input a user can give gets a clear one-line error and exit status 1: never a crash, a hang,
a stack trace, or a half-written output file."""
import json
import os
import shutil

import numpy as np
import pytest

ERROR_PREFIX = "attnscope: error: "


def _fails_cleanly(proc, *fragments):
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    lines = err.strip().split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith(ERROR_PREFIX), err
    for f in fragments:
        assert f in lines[0], lines[0]
    for bad in ("Traceback", "Segmentation", "terminate called", "Aborted", "core dumped"):
        assert bad not in err


@pytest.fixture
def model_copy(minilm_dir, tmp_path):
    """A writable copy of the MiniLM folder whose files a test may break."""
    d = tmp_path / "model"
    d.mkdir()
    for f in os.listdir(minilm_dir):
        src = minilm_dir / f
        if src.is_file():
            shutil.copy(src, d / f)
    return d


def _state(minilm_dir):
    from safetensors.numpy import load_file

    return load_file(str(minilm_dir / "model.safetensors"))


def _save(state, path):
    from safetensors.numpy import save_file

    save_file(state, str(path))


def test_missing_model_folder(attnscope):
    _fails_cleanly(attnscope("run", "--model", "/no/such/model", check=False), "/no/such/model", "no such folder")


def test_folder_without_weights(attnscope, model_copy):
    (model_copy / "model.safetensors").unlink()
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "no model.safetensors, pytorch_model.bin")


def test_folder_with_only_pytorch_bin(attnscope, model_copy):
    (model_copy / "model.safetensors").rename(model_copy / "pytorch_model.bin")
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "pytorch_model.bin: not a PyTorch checkpoint")


def test_truncated_weights_file(attnscope, model_copy):
    p = model_copy / "model.safetensors"
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "model.safetensors", "truncated")


def test_truncated_inside_header(attnscope, model_copy):
    p = model_copy / "model.safetensors"
    p.write_bytes(p.read_bytes()[:100])
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "runs past the end", "truncated")


def test_garbage_weights_file(attnscope, model_copy):
    (model_copy / "model.safetensors").write_bytes(b"PK\x03\x04 this is a zip, not safetensors" * 10)
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "model.safetensors", "header length")


def test_header_not_json(attnscope, model_copy):
    header = b"{not json at all}"
    (model_copy / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header)
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "not valid JSON")


def test_tensor_with_wrong_shape(attnscope, minilm_dir, model_copy):
    state = _state(minilm_dir)
    state["encoder.layer.2.attention.self.key.weight"] = state["encoder.layer.2.attention.self.key.weight"][:, :383].copy()
    _save(state, model_copy / "model.safetensors")
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False),
                   "'encoder.layer.2.attention.self.key.weight' has shape [384, 383]", "implies [384, 384]")


def test_missing_tensor(attnscope, minilm_dir, model_copy):
    state = _state(minilm_dir)
    del state["encoder.layer.5.output.dense.bias"]
    _save(state, model_copy / "model.safetensors")
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False),
                   "missing tensor 'encoder.layer.5.output.dense.bias'")


def test_unsupported_dtype(attnscope, minilm_dir, model_copy):
    state = _state(minilm_dir)
    state["pooler.dense.bias"] = state["pooler.dense.bias"].astype(np.int32)
    _save(state, model_copy / "model.safetensors")
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "'pooler.dense.bias' has dtype I32")


def _edit_config(model_copy, **changes):
    cfg = json.loads((model_copy / "config.json").read_text())
    cfg.update(changes)
    (model_copy / "config.json").write_text(json.dumps(cfg))


def test_unknown_activation(attnscope, model_copy):
    _edit_config(model_copy, hidden_act="mish")
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "hidden_act 'mish' is not supported")


def test_config_shape_that_weights_do_not_have(attnscope, model_copy):
    _edit_config(model_copy, hidden_size=768)
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "has shape", "hidden_size 768")


def test_config_heads_not_dividing_hidden(attnscope, model_copy):
    _edit_config(model_copy, num_attention_heads=7)
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False),
                   "hidden_size 384 is not a multiple of num_attention_heads 7")


def test_config_wrong_type(attnscope, model_copy):
    _edit_config(model_copy, num_hidden_layers="six")
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "'num_hidden_layers' must be a positive integer")


def test_config_not_json(attnscope, model_copy):
    (model_copy / "config.json").write_text("{\"hidden_size\": 384,")
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "config.json: invalid JSON")


def test_unsupported_model_type(attnscope, model_copy):
    _edit_config(model_copy, model_type="gpt2")
    _fails_cleanly(attnscope("run", "--model", model_copy, check=False), "model_type 'gpt2' is not supported")


def test_invalid_utf8_text(attnscope, minilm_dir):
    """A Latin-1 "café" passed as a raw argv byte string."""
    import subprocess

    proc = subprocess.run([str(attnscope.binary), "run", b"caf\xe9 au lait", "--model", str(minilm_dir)],
                          capture_output=True, timeout=60)
    _fails_cleanly(proc, "text is not valid UTF-8", "invalid byte 0xE9 at byte offset 3")


def test_invalid_utf8_on_stdin(attnscope, minilm_dir):
    _fails_cleanly(attnscope("tokenize", "-", "--model", minilm_dir, input=b"ok \xc0\xaf", check=False),
                   "not valid UTF-8")


@pytest.mark.parametrize("text", ["", "-"])
def test_empty_text(attnscope, minilm_dir, text):
    _fails_cleanly(attnscope("run", text, "--model", minilm_dir, input=b"", check=False), "the text is empty")


def test_text_with_no_tokens(attnscope, minilm_dir):
    _fails_cleanly(attnscope("run", " \t\u200b ", "--model", minilm_dir, check=False), "no tokens")


def test_hundred_thousand_characters(attnscope, minilm_dir, tmp_path):
    text = ("attention " * 10000).encode()
    proc = attnscope("run", "-", "--model", minilm_dir, "-f", "json", "-o", tmp_path / "out.json", input=text,
                     check=False, timeout=60)
    _fails_cleanly(proc, "10002 tokens", "maximum of 512", "--truncate")
    assert not (tmp_path / "out.json").exists()
    # With --truncate it runs, on exactly the model's maximum.
    out = attnscope("run", "-", "--model", minilm_dir, "-f", "jsonl", "--truncate", input=text, timeout=60)
    first = json.loads(out.stdout.split(b"\n", 1)[0])
    assert len(first["attention"]) == 512


def test_layer_out_of_range(attnscope, minilm_dir):
    _fails_cleanly(attnscope("run", "--model", minilm_dir, "--layer", "6", "--head", "0", check=False),
                   "--layer 6: this model has 6 layers (0-5)")


def test_head_without_layer(attnscope, minilm_dir):
    _fails_cleanly(attnscope("run", "--model", minilm_dir, "--head", "3", check=False), "give both --layer and --head")


def test_bad_format(attnscope, minilm_dir):
    _fails_cleanly(attnscope("run", "--model", minilm_dir, "-f", "xml", check=False), "--format xml")


def test_input_id_outside_vocabulary(attnscope, minilm_dir):
    _fails_cleanly(attnscope("run", "--model", minilm_dir, "--input-ids", "101,99999,102", check=False),
                   "token id 99999 at position 1 is outside the model's vocabulary of 30522")


def test_unwritable_output(attnscope, minilm_dir):
    _fails_cleanly(attnscope("run", "--model", minilm_dir, "-f", "json", "-o", "/no/such/dir/out.json", check=False),
                   "/no/such/dir/out.json", "cannot write")


def test_ablate_bad_head_spec(attnscope, minilm_dir):
    _fails_cleanly(attnscope("ablate", "--model", minilm_dir, "-q", "--heads", "9:0", check=False),
                   "heads '9:0': this model has layers 0-5 and heads 0-11")
    _fails_cleanly(attnscope("ablate", "--model", minilm_dir, "-q", "--heads", "three", check=False), "layer:head pairs")
    _fails_cleanly(attnscope("ablate", "--model", minilm_dir, "-q", check=False), "either --heads")


def test_unknown_statistic(attnscope, minilm_dir):
    _fails_cleanly(attnscope("stats", "--model", minilm_dir, "-q", "--stat", "beauty", check=False),
                   "--stat beauty: expected one of to_cls")


def test_diff_needs_exactly_one_change(attnscope, minilm_dir):
    _fails_cleanly(attnscope("diff", "--model", minilm_dir, "-q", check=False), "give exactly one of")
    _fails_cleanly(attnscope("diff", "--model", minilm_dir, "-q", "--mask", "0", check=False), "--mask 0: not a token")
    _fails_cleanly(attnscope("diff", "--model", minilm_dir, "-q", "--replace", "2=notawordpiece123", check=False),
                   "is not a single token")


def test_corpus_and_merge_bad_files(attnscope, minilm_dir, tmp_path):
    _fails_cleanly(attnscope("corpus", tmp_path / "missing.txt", "--model", minilm_dir, check=False), "cannot open")
    (tmp_path / "x.json").write_text('{"hello": 1}')
    _fails_cleanly(attnscope("merge", tmp_path / "x.json", tmp_path / "x.json", "-o", tmp_path / "m", check=False),
                   "not an attnscope corpus state")


@pytest.mark.parametrize("args, message", [
    (["diff", "a b", "--delete", "1", "--top=-5"], "--top: must be 0 or more, not -5 (see attnscope diff --help)"),
    (["rollout", "a b", "--row=-1"], "--row: must be 0 or more, not -1"),
    (["run", "a b", "--max-length=-3"], "--max-length: must be 0 or more, not -3"),
    (["tokenize", "a b", "--max-length=-3"], "--max-length: must be 0 or more"),
    (["bench", "-n", "8,-1"], "--lengths: must be 0 or more, not -1"),
    (["run", "a b", "--no-such-option"], "--no-such-option (see attnscope run --help)"),
    (["serve", "--port", "99999"], "--port: Value 99999 not in range 0 to 65535"),
    ([], "A subcommand is required (see attnscope --help)"),
])
def test_usage_mistakes_are_one_line_with_exit_code_2(attnscope, minilm_dir, args, message):
    """Negative numbers for unsigned options used to wrap around (--max-length=-3 meant no limit at all)."""
    proc = attnscope(*args, *(["--model", str(minilm_dir)] if args else []), check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and err.count("\n") == 0, err
    assert err.startswith(ERROR_PREFIX) and message in err, err


def test_help_and_version_still_exit_0(attnscope):
    assert b"Usage:" in attnscope("run", "--help").stdout
    assert attnscope("--version").stdout.decode().startswith("attnscope ")


def test_corpus_options_and_empty_corpora_fail_before_any_work(attnscope, minilm_dir, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("One line.\nTwo lines.\n")
    run = lambda *args: attnscope("corpus", *args, "--model", minilm_dir, "-q", check=False)
    out = tmp_path / "out"
    _fails_cleanly(run(corpus, "-o", out, "--checkpoint-every", "0"), "--checkpoint-every must be at least 1")
    threads = run(corpus, "-o", out, "--threads=-1")  # a usage error (exit 2), from the one thread validator
    assert threads.returncode == 2 and "--threads: -1: expected 0 (one per core) to 256" in threads.stderr.decode()
    _fails_cleanly(run(corpus, "-o", tmp_path / "no" / "such" / "out"), "no such folder for the outputs")
    _fails_cleanly(run(corpus, "-o", out, "--lines", "5:9"), "--lines 5:9:", "has only 2 lines")
    (tmp_path / "empty.txt").write_text("")
    _fails_cleanly(run(tmp_path / "empty.txt", "-o", out), "the file is empty")
    assert not list(tmp_path.glob("out*")), "nothing is written by a refused run"
    # Every line skipped: an error, and no report of nothing (nor a checkpoint that would block the next run).
    (tmp_path / "blank.txt").write_bytes(b"\n   \n\xff\xfe\n")
    proc = run(tmp_path / "blank.txt", "-o", out)
    err = proc.stderr.decode().strip().splitlines()[-1]
    assert proc.returncode == 1 and "no input could be analysed: all 3 lines were skipped (line 1: empty line)" in err, err
    assert not list(tmp_path.glob("out*"))


def test_external_attentions_must_be_well_formed(attnscope, tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 3, 4), dtype=np.float32))
    (tmp_path / "t.json").write_text('["a", "b", "c", "d"]')
    _fails_cleanly(attnscope("stats", "--attentions", tmp_path / "a.npy", "--tokens", tmp_path / "t.json", check=False),
                   "expected attentions of shape [layers, heads, n, n]")
    np.save(tmp_path / "b.npy", np.zeros((1, 1, 3, 3), dtype=np.float32))
    _fails_cleanly(attnscope("stats", "--attentions", tmp_path / "b.npy", "--tokens", tmp_path / "t.json", check=False),
                   "has 4 tokens but the attentions are 3 × 3")
    (tmp_path / "c.npy").write_bytes((tmp_path / "b.npy").read_bytes()[:-5])
    _fails_cleanly(attnscope("stats", "--attentions", tmp_path / "c.npy", "--tokens", tmp_path / "t.json", check=False),
                   "truncated")
