"""Malformed model folders (issue 12): every hostile file in a folder the user points --model at ends in
one clear error line and exit status 1 — never a signal, a hang, or a silently wrong result. The folders
are written into tmp_path from the MiniLM model; each case is a class the library fixes where it lives
(src/io, src/tokenizer, src/model, src/util)."""
import json
import os
import shutil
import struct

import pytest

from .test_bad_input import _fails_cleanly

# A FIFO blocked open() until a writer came: bounded here so that a regression fails instead of hanging.
TIMEOUT = 60


@pytest.fixture
def folder(minilm_dir, tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    for f in os.listdir(minilm_dir):
        if (minilm_dir / f).is_file():
            shutil.copy(minilm_dir / f, d / f)
    return d


def _run(attnscope, folder, *args):
    return attnscope("run", "--model", folder, "hello world", *args, check=False, timeout=TIMEOUT)


@pytest.mark.parametrize("name", ["model.safetensors", "config.json", "tokenizer.json", "vocab.txt",
                                  "pytorch_model.bin"])
@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_non_regular_model_files_are_refused(attnscope, folder, name, kind):
    if name == "vocab.txt":
        (folder / "tokenizer.json").unlink()  # so that vocab.txt is the file read
    if name == "pytorch_model.bin":
        (folder / "model.safetensors").unlink()
    target = folder / name
    if target.exists():
        target.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    proc = _run(attnscope, folder)
    if kind == "directory" and name in ("model.safetensors", "pytorch_model.bin"):
        # A folder where the weights file should be is found by name but is not a file.
        _fails_cleanly(proc, name)
    else:
        _fails_cleanly(proc, name, "FIFO" if kind == "fifo" else "directory")


def _legacy_header():
    return (b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19." + b"\x80\x02M\xe9\x03." + b"\x80\x02}.")


@pytest.mark.parametrize("shape", ["list", "dict"])
def test_pickle_nested_two_million_deep(attnscope, folder, shape):
    n = 2_000_000
    if shape == "list":
        body = b"]" * n + b"a" * (n - 1)
    else:  # {'w': [[[...]]]}: the nesting as a dict value
        body = b"}X\x01\x00\x00\x00w" + b"]" * n + b"a" * (n - 1) + b"s"
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(_legacy_header() + b"\x80\x02" + body + b".")
    _fails_cleanly(_run(attnscope, folder), "pytorch_model.bin", "more than 100000 values on the stack")
    # ((((...),),),): each TUPLE1 wraps the one before, so the stack stays small and the depth limit answers.
    chain = b"\x80\x02]" + b"\x85" * n + b"."
    (folder / "pytorch_model.bin").write_bytes(_legacy_header() + chain)
    _fails_cleanly(_run(attnscope, folder), "pytorch_model.bin", "nested deeper than 1000")


def test_tokenizer_id_two_to_the_forty(attnscope, folder):
    tok = json.loads((folder / "tokenizer.json").read_text())
    tok["model"]["vocab"]["hello"] = 2 ** 40  # kept its low 32 bits: "hello" became id 0, [PAD]
    (folder / "tokenizer.json").write_text(json.dumps(tok))
    _fails_cleanly(_run(attnscope, folder), "tokenizer.json", "vocab entry 'hello' has id 1099511627776")


@pytest.mark.parametrize("fields,fragment", [
    ({"num_hidden_layers": -1}, "out of range"),
    ({"num_attention_heads": 5}, "not a multiple of num_attention_heads"),
    ({"hidden_size": 0}, "out of range"),
    ({"intermediate_size": 2 ** 40}, "out of range"),
    ({"pad_token_id": 2 ** 40}, "outside the vocabulary"),
    ({"vocab_size": "30522"}, "must be a positive integer"),
])
def test_absurd_config_values(attnscope, folder, fields, fragment):
    cfg = json.loads((folder / "config.json").read_text())
    cfg.update(fields)
    (folder / "config.json").write_text(json.dumps(cfg))
    _fails_cleanly(_run(attnscope, folder), "config.json", fragment)


def test_npy_shape_that_wraps(attnscope, tmp_path):
    # 65536^4 = 2^64 elements wrapped to 0, which matched the empty data section.
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536, 65536), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    path = tmp_path / "a.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)
    (tmp_path / "t.json").write_text('["a"]')
    proc = attnscope("stats", "--attentions", path, "--tokens", tmp_path / "t.json", check=False, timeout=TIMEOUT)
    _fails_cleanly(proc, "a.npy", "does not fit in 64 bits")
