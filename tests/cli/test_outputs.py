"""The CLI's outputs: the notebook workflow in the table, the heatmap, and json / jsonl / npy that carry the
same numbers; jsonl streams layer by layer while the model still runs."""
import json
import subprocess
import time

import numpy as np
import pytest

TEXT = "The output shows the attention values"


def test_table_shows_the_whole_workflow(attnscope, minilm_dir):
    out = attnscope("run", "--model", minilm_dir, "-q").stdout.decode()
    for fragment in ["tokenize → convert_tokens_to_ids", "the   output  shows  the   attention  values",
                     "1996  6434    3065   1996  3086       5300", "3. encode_plus: 8 tokens with [CLS] and [SEP]",
                     "input_ids       101    1996", "token_type_ids  0      0", "attention_mask  1      1",
                     "6 × [1, 12, 8, 8]", "uniform attention = 2.08", "L5"]:
        assert fragment in out, fragment
    assert "\x1b[" not in out  # NO_COLOR is set by the test runner


def test_heatmap_has_labels_and_values(attnscope, minilm_dir):
    out = attnscope("run", "--model", minilm_dir, "-q", "--layer", "2", "--head", "5", "--values").stdout.decode()
    assert "layer 2, head 5" in out
    rows = [line for line in out.split("\n") if line.strip().startswith(("0 [CLS]", "7 [SEP]"))]
    assert len(rows) == 2
    data = json.loads(attnscope("run", "--model", minilm_dir, "-q", "-f", "json").stdout)
    a = np.array(data["attentions"][2][5])
    # Row 0 printed with two decimals matches the json numbers.
    printed = rows[0].split()[2:]
    assert [float(v) if v != "1.00" else 1.0 for v in printed] == pytest.approx(a[0], abs=0.006)


def test_heatmap_in_colour(attnscope, minilm_dir):
    out = attnscope("run", "--model", minilm_dir, "-q", "--layer", "0", "--head", "0",
                    env={"NO_COLOR": "", "ATTNSCOPE_COLOR": "always"}).stdout.decode()
    assert "\x1b[48;2;" in out


def test_json_jsonl_npy_agree(attnscope, minilm_dir, tmp_path):
    data = json.loads(attnscope("run", TEXT, "--model", minilm_dir, "-q", "-f", "json").stdout)
    att = np.array(data["attentions"], dtype=np.float32)
    assert att.shape == (6, 12, 8, 8)
    assert data["shape"] == [6, 12, 8, 8]
    assert data["tokens"] == ["the", "output", "shows", "the", "attention", "values"]
    assert data["token_ids"] == [1996, 6434, 3065, 1996, 3086, 5300]
    assert data["encoding"]["input_ids"] == [101, 1996, 6434, 3065, 1996, 3086, 5300, 102]
    assert data["encoding"]["attention_mask"] == [1] * 8
    np.testing.assert_allclose(att.sum(-1), 1.0, atol=1e-5)

    lines = attnscope("run", TEXT, "--model", minilm_dir, "-q", "-f", "jsonl").stdout.decode().strip().split("\n")
    assert len(lines) == 6 * 12
    records = [json.loads(line) for line in lines]
    assert [(r["layer"], r["head"]) for r in records] == [(l, h) for l in range(6) for h in range(12)]
    stacked = np.array([r["attention"] for r in records], dtype=np.float32).reshape(6, 12, 8, 8)
    assert np.array_equal(stacked, att)  # shortest round-trip floats: bit-identical

    attnscope("run", TEXT, "--model", minilm_dir, "-q", "-f", "npy", "-o", tmp_path / "a.npy")
    npy = np.load(tmp_path / "a.npy")
    assert npy.dtype == np.float32 and npy.shape == (6, 12, 8, 8)
    assert np.array_equal(npy, att)
    side = json.loads((tmp_path / "a.tokens.json").read_text())
    assert side["encoding"]["tokens"][0] == "[CLS]" and side["shape"] == [6, 12, 8, 8]


def test_pair_in_json(attnscope, minilm_dir):
    data = json.loads(attnscope("run", "Where is it?", "--pair", "It is here.", "--model", minilm_dir, "-q",
                                "-f", "json").stdout)
    enc = data["encoding"]
    assert enc["tokens"] == ["[CLS]", "where", "is", "it", "?", "[SEP]", "it", "is", "here", ".", "[SEP]"]
    assert enc["token_type_ids"] == [0] * 6 + [1] * 5
    assert enc["sentence_b_start"] == 6


def test_captures_are_consistent(attnscope, minilm_dir, tmp_path):
    """Queries and keys reproduce the attention: softmax(q·kᵀ/√d) == attentions (the neuron view relies on it);
    scores are the pre-softmax values; hidden states have L+1 entries."""
    attnscope("run", TEXT, "--model", minilm_dir, "-q", "-f", "npy", "--capture", "all", "-o", tmp_path / "r.npy")
    att = np.load(tmp_path / "r.npy")
    q, k = np.load(tmp_path / "r.queries.npy"), np.load(tmp_path / "r.keys.npy")
    scores = np.load(tmp_path / "r.scores.npy")
    hidden = np.load(tmp_path / "r.hidden_states.npy")
    assert q.shape == (6, 12, 8, 32) and hidden.shape == (7, 8, 384)
    s = np.einsum("lhid,lhjd->lhij", q.astype(np.float64), k) / np.sqrt(32)
    np.testing.assert_allclose(s, scores, atol=2e-5)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(p, att, atol=2e-6)


def test_threads_do_not_change_results(attnscope, minilm_dir, tmp_path):
    for text in [TEXT, "word " * 100]:
        a = json.loads(attnscope("run", text, "--model", minilm_dir, "-q", "-f", "json", "-t", "1").stdout)
        b = json.loads(attnscope("run", text, "--model", minilm_dir, "-q", "-f", "json", "-t", "2").stdout)
        np.testing.assert_allclose(np.array(a["attentions"]), np.array(b["attentions"]), atol=1e-6, rtol=0)


def test_truncation_options(attnscope, minilm_dir):
    data = json.loads(attnscope("run", "word " * 50, "--model", minilm_dir, "-q", "-f", "json", "--max-length", "16").stdout)
    assert len(data["encoding"]["input_ids"]) == 16
    assert data["encoding"]["tokens"][-1] == "[SEP]"


def test_jsonl_streams_while_the_model_runs(attnscope, bert_base_dir):
    """The first (layer 0) lines arrive while later layers are still being computed."""
    text = "attention " * 500
    proc = subprocess.Popen([str(attnscope.binary), "run", text, "--model", str(bert_base_dir), "-q", "-f", "jsonl",
                             "-t", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = json.loads(proc.stdout.readline())
    still_running = proc.poll() is None
    t_first = time.monotonic()
    rest = proc.stdout.read().decode().strip().split("\n")
    proc.wait()
    t_end = time.monotonic()
    assert proc.returncode == 0
    assert (first["layer"], first["head"]) == (0, 0)
    assert len(rest) == 12 * 12 - 1
    assert still_running, "the process had already finished when the first layer arrived"
    print(f"first layer {t_end - t_first:.2f} s before the end")


def test_tokenize_json(attnscope, minilm_dir):
    out = attnscope.json("tokenize", "A, naïve [MASK] AllenNLP sentence.", "--model", minilm_dir, "-q")
    assert out["tokens"] == ["a", ",", "naive", "[MASK]", "allen", "##nl", "##p", "sentence", "."]
    assert out["ids"] == [1037, 1010, 15743, 103, 5297, 20554, 2361, 6251, 1012]
    assert out["offsets"] == [[0, 1], [1, 2], [3, 8], [9, 15], [16, 21], [21, 23], [23, 24], [25, 33], [33, 34]]
    assert out["encoding"]["offsets"][0] == [0, 0]
    assert out["num_tokens"] == 11 and out["fits_model"]


def test_info(attnscope, minilm_dir, bert_base_dir):
    info = attnscope.json("info", "--model", minilm_dir, "-f", "json")
    assert info["config"]["num_hidden_layers"] == 6 and info["config"]["hidden_size"] == 384
    assert info["parameters"] == 22713216  # BertModel(all-MiniLM-L6-v2) parameter count in transformers
    assert info["weights"]["format"] == "safetensors" and info["weights"]["dtype"] == "F32"
    assert info["weights"]["key_prefix"] == "" and info["weights"]["layer_norm_names"] == "weight/bias"
    # Matmul weights are repacked once for the GEMM kernel; the rest is used from the memory map.
    assert info["weights"]["packed_bytes"] == 6 * (4 * 384 * 384 + 2 * 384 * 1536) * 4
    assert info["weights"]["zero_copy_bytes"] + info["weights"]["packed_bytes"] > 90e6
    assert info["weights"]["converted_bytes"] == 0
    assert info["tokenizer"]["source"] == "tokenizer.json"
    text = attnscope("info", "--model", bert_base_dir).stdout.decode()
    assert "12 layers × 12 heads" in text and "bert.…LayerNorm.gamma/beta" in text and "masked-LM head" in text


def test_parameter_counts_match_transformers(minilm_dir, bert_base_dir, attnscope):
    from reference import hf_model

    for d in (minilm_dir, bert_base_dir):
        ours = attnscope.json("info", "--model", d, "-f", "json")["parameters"]
        assert ours == sum(p.numel() for p in hf_model(d).parameters())
