"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<harness>/): small, valid examples
of each format, made by the real writers (torch.save, safetensors, numpy) where there is one, so the
fuzzer starts from what the parsers see in practice. Run with the reference environment:

    .venv/bin/python tests/fuzz/make_corpus.py [--binary build/attnscope]

The output is committed; rerun it only when a format changes. The corpus state seed needs the built
binary and the MiniLM model (it is made by `attnscope corpus`); without them that folder is left as is.
"""
import argparse
import io
import json
import pathlib
import subprocess
import tempfile
import zipfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fuzz" / "corpus"


def put(harness, name, data):
    d = OUT / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors_seeds():
    from safetensors.numpy import save

    put("safetensors", "two_tensors", save({"a": np.arange(4, dtype=np.float32).reshape(2, 2),
                                            "b": np.ones(3, dtype=np.float16)}, metadata={"format": "pt"}))
    put("safetensors", "empty_tensor", save({"e": np.zeros((0, 3), dtype=np.float32)}))
    put("safetensors", "int_buffer", save({"ids": np.arange(5, dtype=np.int64).reshape(1, 5)}))


def torch_seeds():
    import torch

    state = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.ones(2, dtype=torch.float16)}
    strided = {"t": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(), "s": torch.arange(8.0)[2:5]}
    for name, sd in (("plain", state), ("strided", strided)):
        buf = io.BytesIO()
        torch.save(sd, buf)
        put("torch_checkpoint", f"zip_{name}", buf.getvalue())
        put("zip", name, buf.getvalue())
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            pkl = next(n for n in z.namelist() if n.endswith("/data.pkl"))
            put("pickle", name, z.read(pkl))
        legacy = io.BytesIO()
        torch.save(sd, legacy, _use_new_zipfile_serialization=False)
        put("torch_checkpoint", f"legacy_{name}", legacy.getvalue())


def npy_seeds():
    for name, a in (("f4_2d", np.arange(6, dtype="<f4").reshape(2, 3)), ("f8_1d", np.linspace(0, 1, 4)),
                    ("f4_4d", np.zeros((1, 2, 2, 2), dtype="<f4")), ("scalar", np.float32(3.0))):
        buf = io.BytesIO()
        np.save(buf, a)
        put("npy", name, buf.getvalue())


def config_seeds():
    base = {"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 64, "vocab_size": 100, "max_position_embeddings": 64, "type_vocab_size": 2,
            "hidden_act": "gelu", "layer_norm_eps": 1e-12, "pad_token_id": 0,
            "position_embedding_type": "absolute", "architectures": ["BertModel"]}
    put("config", "bert", json.dumps(base))
    put("config", "distilbert", json.dumps({"model_type": "distilbert", "dim": 32, "n_layers": 2, "n_heads": 4,
                                            "hidden_dim": 64, "vocab_size": 100, "activation": "gelu"}))
    put("config", "roberta", json.dumps({**base, "model_type": "roberta", "pad_token_id": 1, "type_vocab_size": 1}))
    put("config", "electra", json.dumps({**base, "model_type": "electra", "embedding_size": 16,
                                         "architectures": ["ElectraForPreTraining"]}))


def tokenizer_seeds():
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", ",", "world", "!",
                                         "h", "##e", "##llo", "a", "b", "c", "中", "文", "second"])}
    wordpiece = {
        "version": "1.0",
        "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}]},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
    put("tokenizer_files", "wordpiece_json", b"\x00" + json.dumps(wordpiece).encode())
    bpe_vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "<mask>", "H", "e", "l", "o", "Ġ", "w",
                                             "r", "d", "He", "ll", "llo", "Hello", "Ġw", "or"])}
    bpe = {
        "version": "1.0",
        "added_tokens": [{"id": bpe_vocab[t], "content": t, "single_word": False, "lstrip": t == "<mask>",
                          "rstrip": False, "normalized": False, "special": True}
                         for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": True,
                           "add_prefix_space": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": bpe_vocab, "merges": [["H", "e"], ["l", "l"], ["ll", "o"], ["He", "llo"], ["Ġ", "w"], "o r"]},
    }
    put("tokenizer_files", "bpe_json", b"\x00" + json.dumps(bpe).encode())
    put("tokenizer_files", "vocab_txt", b"\x01" + "\n".join(vocab).encode() + b"\n")
    merges = "#version: 0.2\nH e\nl l\nll o\nHe llo\nĠ w\n"
    put("tokenizer_files", "vocab_json_merges", b"\x02" + json.dumps(bpe_vocab).encode() + b"\x00" + merges.encode())


def framing_seeds():
    put("request_framing", "get", b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n")
    body = b'{"text": "hello world"}'
    put("request_framing", "post", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    put("request_framing", "expect", b"POST /api/export HTTP/1.1\r\nHost: [::1]\r\nExpect: 100-continue\r\n"
        b"Content-Length: 2\r\n\r\n{}")
    put("request_framing", "chunked", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\n{}\r\n0\r\n\r\n")


def corpus_state_seeds(binary):
    model = ROOT / "models" / "all-MiniLM-L6-v2"
    if not binary.exists() or not (model / "config.json").exists():
        print(f"corpus_state: skipped (needs {binary} and {model})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "in.txt").write_text("the cat sat on the mat\nhello world\n\nA second line\tand its pair\n")
        subprocess.run([str(binary), "corpus", str(tmp / "in.txt"), "-m", str(model), "-o", str(tmp / "out"),
                        "--no-head-map", "-q", "-t", "1"], check=True, capture_output=True)
        state = json.loads((tmp / "out.json").read_text())["state"]
    # Cut down to one layer of one head (MiniLM's 72 heads make 70 KB): every per-head array keeps the
    # first head's entries, the head-distance matrix its first cell.
    lh = state["layers"] * state["heads"]
    state["layers"] = state["heads"] = 1
    for key, values in state["sums"].items():
        if isinstance(values, list) and key != "weight":
            state["sums"][key] = values[:1] if key == "head_distance" else values[:len(values) // lh]
    state["pattern_counts"] = state["pattern_counts"][:len(state["pattern_counts"]) // lh]
    put("corpus_state", "one_head_three_docs", json.dumps({"state": state}))
    put("corpus_state", "bare_state", json.dumps(state))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=str(ROOT / "build" / "attnscope"))
    args = parser.parse_args()
    safetensors_seeds()
    torch_seeds()
    npy_seeds()
    config_seeds()
    tokenizer_seeds()
    framing_seeds()
    corpus_state_seeds(pathlib.Path(args.binary))
    for d in sorted(OUT.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name:<18} {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
