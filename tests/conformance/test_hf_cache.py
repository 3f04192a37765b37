"""Model ids resolve through the Hugging Face hub cache exactly as huggingface_hub lays it out, so a model a
user downloaded with Python just works: checked against the real huggingface_hub and transformers reading
the same cache offline."""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

COMMIT = "86b5e0934494bd15c9632b12f734a8a67f723594"


def _make_cache(hub, repo_id, source_dir, commit=COMMIT):
    """The layout huggingface_hub writes: blobs/<etag>, snapshots/<commit>/<file> -> ../../blobs/<etag>,
    refs/main holding the commit."""
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True)
    for f in sorted(os.listdir(source_dir)):
        src = source_dir / f
        if f == "model.safetensors":
            etag = hashlib.sha256(f.encode() + str(src.stat().st_size).encode()).hexdigest()
            os.symlink(src.resolve(), repo / "blobs" / etag)  # avoid copying 440 MB; the hub would
        else:
            etag = hashlib.sha1(src.read_bytes()).hexdigest()
            (repo / "blobs" / etag).write_bytes(src.read_bytes())
        os.symlink(os.path.join("..", "..", "blobs", etag), snap / f)
    (repo / "refs" / "main").write_text(commit)
    return snap


@pytest.fixture(scope="module")
def hub(tmp_path_factory, bert_base_dir):
    hub = tmp_path_factory.mktemp("hf") / "hub"
    _make_cache(hub, "bert-base-uncased", bert_base_dir)
    _make_cache(hub, "google-bert/bert-base-cased-copy", bert_base_dir)
    return hub


def _offline_env(hub):
    return {"HF_HUB_CACHE": str(hub), "HF_HUB_OFFLINE": "1", "HOME": str(hub.parent)}


def test_huggingface_hub_reads_the_same_cache(hub):
    """The layout the tests build is the one huggingface_hub itself resolves offline."""
    code = ("from huggingface_hub import snapshot_download; "
            "print(snapshot_download('bert-base-uncased', local_files_only=True))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, **_offline_env(hub)), check=True)
    assert out.stdout.strip().endswith(f"models--bert-base-uncased/snapshots/{COMMIT}")


def test_model_id_resolves_through_hf_hub_cache(attnscope, hub, bert_base_dir, tmp_path):
    info = attnscope.json("info", "--model", "bert-base-uncased", "--format", "json", env=_offline_env(hub))
    assert info["resolved_by"] == "hf-cache"
    assert info["path"].endswith(f"models--bert-base-uncased/snapshots/{COMMIT}")
    assert info["weights"]["key_prefix"] == "bert."
    assert info["weights"]["layer_norm_names"] == "gamma/beta"
    assert info["parameters"] == 109482240  # bert-base-uncased's BertModel parameter count
    # Same numbers as loading the folder directly.
    a = tmp_path / "a.npy"
    b = tmp_path / "b.npy"
    attnscope("run", "--model", "bert-base-uncased", "-f", "npy", "-o", a, env=_offline_env(hub))
    attnscope("run", "--model", bert_base_dir, "-f", "npy", "-o", b)
    assert np.array_equal(np.load(a), np.load(b))


def test_transformers_loads_what_attnscope_resolved(attnscope, hub):
    code = ("import os; from transformers import BertModel; "
            "m = BertModel.from_pretrained('bert-base-uncased'); print(m.config.num_hidden_layers)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, **_offline_env(hub)), check=True)
    assert out.stdout.strip().splitlines()[-1] == "12"


def test_default_model_prefers_cached_bert_base_uncased(attnscope, hub):
    proc = attnscope("run", "-f", "jsonl", env=_offline_env(hub))
    assert "using bert-base-uncased from the Hugging Face cache" in proc.stderr.decode()
    assert len(proc.stdout.decode().splitlines()) == 12 * 12


def test_default_model_falls_back_to_bundled_minilm(attnscope, tmp_path):
    empty = tmp_path / "empty-hub"
    empty.mkdir()
    proc = attnscope("run", "-f", "jsonl", env={"HF_HUB_CACHE": str(empty), "HOME": str(tmp_path),
                                                "HF_HOME": str(tmp_path / "hf"), "XDG_CACHE_HOME": str(tmp_path / "x")})
    assert "bert-base-uncased is not in the Hugging Face cache; using the bundled all-MiniLM-L6-v2" in \
        proc.stderr.decode()
    assert len(proc.stdout.decode().splitlines()) == 6 * 12


@pytest.mark.parametrize("spec", ["google-bert/bert-base-uncased", f"bert-base-uncased@{COMMIT}",
                                  "bert-base-uncased@main", "google-bert/bert-base-cased-copy"])
def test_id_variants(attnscope, hub, spec):
    """The hub moved bert-base-uncased to google-bert/; a cache folder is named after the id used."""
    info = attnscope.json("info", "--model", spec, "--format", "json", env=_offline_env(hub))
    assert info["resolved_by"] == "hf-cache"


def test_hf_home_is_honoured(attnscope, hub):
    env = {"HF_HOME": str(hub.parent), "HOME": "/nonexistent"}
    info = attnscope.json("info", "--model", "bert-base-uncased", "--format", "json", env=env)
    assert info["path"].startswith(str(hub))


def test_missing_model_names_every_place_it_looked(attnscope, hub):
    proc = attnscope("info", "--model", "org/not-downloaded", env=_offline_env(hub), check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert err.count("\n") == 1
    assert "model 'org/not-downloaded' is not in the Hugging Face cache" in err
    assert str(hub / "models--org--not-downloaded") in err
    assert "attnscope pull org/not-downloaded" in err and "offline mode is on" in err


def test_unknown_revision(attnscope, hub):
    proc = attnscope("info", "--model", "bert-base-uncased@v9", env=_offline_env(hub), check=False)
    assert proc.returncode == 1
    assert "no refs/v9" in proc.stderr.decode()
