"""`attnscope pull` and automatic download, against a hub-like server on 127.0.0.1 (tests/hub/fake_hub.py):
redirects from an old id and to a second host, ETag and commit headers, 404 and 401, a transfer cut in the
middle and resumed, a checksum mismatch, no network, offline mode. Afterwards the cache must be exactly
what huggingface_hub reads — checked with the real huggingface_hub."""
import hashlib
import json
import os
import shutil

import numpy as np
import pytest

from tests.hub.fake_hub import FakeHub

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
TEXT = "The output shows the attention values"


@pytest.fixture(scope="module")
def tiny_model(minilm_dir, tmp_path_factory):
    """A small BERT (2 layers, hidden 64) with the bert-base-uncased vocabulary, made with transformers."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=128, max_position_embeddings=512)
    out = tmp_path_factory.mktemp("tiny-bert")
    BertModel(config).eval().save_pretrained(str(out))
    for f in ("vocab.txt", "tokenizer_config.json", "tokenizer.json", "special_tokens_map.json"):
        if (minilm_dir / f).exists():
            shutil.copy(minilm_dir / f, out / f)
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


@pytest.fixture
def hub(tiny_model):
    h = FakeHub()
    h.add_repo("google-bert/bert-base-uncased", tiny_model, COMMIT, branches=("main", "v1"))
    h.aliases["bert-base-uncased"] = "google-bert/bert-base-uncased"
    h.add_repo("acme/private-bert", tiny_model, OTHER_COMMIT, private=True)
    bin_only = {k: v for k, v in tiny_model.items() if k != "model.safetensors"}
    import io

    import torch
    from safetensors.torch import load

    buf = io.BytesIO()
    torch.save(load(tiny_model["model.safetensors"]), buf)
    bin_only["pytorch_model.bin"] = buf.getvalue()
    h.add_repo("acme/bin-only", bin_only, OTHER_COMMIT)
    yield h
    h.close()


@pytest.fixture
def env(hub, tmp_path):
    e = dict(os.environ)
    for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "XDG_CACHE_HOME"):
        e.pop(k, None)
    e.update(HF_ENDPOINT=hub.endpoint, HF_HOME=str(tmp_path / "hf-home"), HF_HUB_CACHE=str(tmp_path / "cache"))
    return e


def _tree(root):
    """Every path under root: files with their content hash, symlinks with their target."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            out[rel] = ("link", os.readlink(p)) if os.path.islink(p) else ("file", hashlib.sha256(open(p, "rb").read()).hexdigest())
    return out


def test_pull_writes_the_huggingface_hub_cache_layout(attnscope, hub, env, tmp_path, tiny_model):
    proc = attnscope("pull", "bert-base-uncased", env=env)
    err = proc.stderr.decode()
    print(err)
    snapshot = tmp_path / "cache" / "models--bert-base-uncased" / "snapshots" / COMMIT
    assert proc.stdout.decode().strip() == str(snapshot)
    assert "model.safetensors" in err and "MB" in err, "a progress line with the size"
    repo = tmp_path / "cache" / "models--bert-base-uncased"
    assert (repo / "refs" / "main").read_text() == COMMIT
    for name in ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "model.safetensors"):
        link = snapshot / name
        assert link.is_symlink() and os.readlink(link).startswith("../../blobs/")
        assert link.read_bytes() == tiny_model[name]
    sha = hashlib.sha256(tiny_model["model.safetensors"]).hexdigest()
    assert (repo / "blobs" / sha).exists()
    assert (repo / ".no_exist" / COMMIT / "pytorch_model.bin").exists() is False  # safetensors found first
    assert (repo / ".no_exist" / COMMIT / "vocab.json").exists()
    # The relative redirect was followed on the hub; the file host got no token and the blob came from it.
    assert any(r[0] == "hub" and r[2].startswith("/google-bert/bert-base-uncased/resolve/") for r in hub.requests)
    assert any(r[0] == "files" and sha in r[2] for r in hub.requests)

    # The real huggingface_hub finds everything offline in the same cache.
    from huggingface_hub import hf_hub_download, snapshot_download

    found = snapshot_download("bert-base-uncased", cache_dir=str(tmp_path / "cache"), local_files_only=True)
    assert found == str(snapshot)
    for name in ("config.json", "model.safetensors", "vocab.txt"):
        p = hf_hub_download("bert-base-uncased", name, cache_dir=str(tmp_path / "cache"), local_files_only=True)
        assert open(p, "rb").read() == tiny_model[name]


def test_the_cache_is_byte_for_byte_what_huggingface_hub_writes(attnscope, hub, env, tmp_path):
    """huggingface_hub downloads the same files from the same server into a second cache: same tree."""
    attnscope("pull", "bert-base-uncased", "-q", env=env)
    ours = tmp_path / "cache" / "models--bert-base-uncased"
    files = [f for f in os.listdir(ours / "snapshots" / COMMIT)]
    from huggingface_hub import hf_hub_download

    theirs_root = tmp_path / "python-cache"
    for f in files:
        hf_hub_download("bert-base-uncased", f, cache_dir=str(theirs_root), endpoint=hub.endpoint)
    theirs = _tree(theirs_root / "models--bert-base-uncased")
    mine = {k: v for k, v in _tree(ours).items() if not k.startswith(".no_exist")}
    theirs = {k: v for k, v in theirs.items() if not k.startswith(".no_exist") and not k.endswith(".lock")}
    print(json.dumps(sorted(mine), indent=1))
    assert mine == theirs


def test_a_transfer_cut_in_the_middle_resumes(attnscope, hub, env, tmp_path, tiny_model):
    sha = hashlib.sha256(tiny_model["model.safetensors"]).hexdigest()
    hub.cut_once.add(sha)
    proc = attnscope("pull", "bert-base-uncased", "-q", env=env, check=False)
    err = proc.stderr.decode().strip()
    print(err)
    assert proc.returncode == 1 and "Run the command again to resume" in err and "\n" not in err
    part = tmp_path / "cache" / "models--bert-base-uncased" / "blobs" / (sha + ".incomplete")
    kept = part.stat().st_size
    assert 0 < kept < len(tiny_model["model.safetensors"])
    attnscope("pull", "bert-base-uncased", "-q", env=env)
    ranges = [r[3].get("Range") for r in hub.requests if r[0] == "files" and sha in r[2]]
    print("file host Range headers:", ranges)
    assert ranges[-1] == f"bytes={kept}-"
    blob = tmp_path / "cache" / "models--bert-base-uncased" / "blobs" / sha
    assert blob.read_bytes() == tiny_model["model.safetensors"] and not part.exists()


def test_a_checksum_mismatch_is_refused_and_nothing_is_kept(attnscope, hub, env, tmp_path, tiny_model):
    sha = hashlib.sha256(tiny_model["model.safetensors"]).hexdigest()
    hub.corrupt.add(sha)
    proc = attnscope("pull", "bert-base-uncased", "-q", env=env, check=False)
    err = proc.stderr.decode().strip()
    print(err)
    assert proc.returncode == 1 and f"checksum mismatch for model.safetensors: expected sha256 {sha}" in err
    blobs = tmp_path / "cache" / "models--bert-base-uncased" / "blobs"
    assert not (blobs / sha).exists() and not (blobs / (sha + ".incomplete")).exists()
    assert not (tmp_path / "cache" / "models--bert-base-uncased" / "snapshots" / COMMIT / "model.safetensors").exists()


@pytest.mark.parametrize("model,token,message", [
    ("acme/private-bert", None, "acme/private-bert: repository not found (HTTP 401) — check the id; if it is private or gated, set HF_TOKEN"),
    ("acme/private-bert", "wrong", "(the token given was not accepted)"),
    ("acme/no-such-model", None, "repository not found (HTTP 401)"),
])
def test_401_says_what_to_do(attnscope, env, model, token, message):
    if token:
        env["HF_TOKEN"] = token
    proc = attnscope("pull", model, "-q", env=env, check=False)
    err = proc.stderr.decode().strip()
    print(err)
    assert proc.returncode == 1 and message in err and "\n" not in err


def test_a_token_opens_a_private_repo(attnscope, hub, env, tmp_path):
    env["HF_TOKEN"] = hub.token
    attnscope("pull", "acme/private-bert", "-q", env=env)
    assert (tmp_path / "cache" / "models--acme--private-bert" / "refs" / "main").read_text() == OTHER_COMMIT
    assert all("Authorization" not in r[3] for r in hub.requests if r[0] == "files"), "the token stays on the hub"


def test_404_for_a_revision_and_revisions_by_name_or_commit(attnscope, env, tmp_path):
    proc = attnscope("pull", "bert-base-uncased", "--revision", "nope", "-q", env=env, check=False)
    assert proc.returncode == 1 and "revision 'nope' does not exist" in proc.stderr.decode()
    attnscope("pull", "bert-base-uncased", "--revision", "v1", "-q", env=env)
    assert (tmp_path / "cache" / "models--bert-base-uncased" / "refs" / "v1").read_text() == COMMIT
    out = attnscope("pull", "google-bert/bert-base-uncased", "--revision", COMMIT, "-q", env=env)
    assert out.stdout.decode().strip().endswith(f"models--google-bert--bert-base-uncased/snapshots/{COMMIT}")


def test_a_bin_only_repo_downloads_its_pickle(attnscope, env, tmp_path):
    attnscope("pull", "acme/bin-only", "-q", env=env)
    snap = tmp_path / "cache" / "models--acme--bin-only" / "snapshots" / OTHER_COMMIT
    assert (snap / "pytorch_model.bin").exists() and not (snap / "model.safetensors").exists()
    assert (tmp_path / "cache" / "models--acme--bin-only" / ".no_exist" / OTHER_COMMIT / "model.safetensors").exists()


def test_first_use_downloads_then_runs_offline_from_the_cache(attnscope, hub, env, tmp_path, tiny_model):
    first = attnscope.json("run", TEXT, "--model", "bert-base-uncased", "--format", "json", "-q", env=env)
    assert first["model"]["resolved_by"] == "downloaded"
    hub.close()
    env["HF_HUB_OFFLINE"] = "1"
    second = attnscope.json("run", TEXT, "--model", "bert-base-uncased", "--format", "json", "-q", env=env)
    assert second["model"]["resolved_by"] == "hf-cache"
    assert np.array_equal(np.array(first["attentions"], np.float32), np.array(second["attentions"], np.float32))
    # The same numbers as transformers on the same files.
    from tests.reference import reference_run

    ids, att, _ = reference_run(tmp_path / "cache" / "models--bert-base-uncased" / "snapshots" / COMMIT, TEXT)
    worst = float(np.abs(np.array(second["attentions"], np.float32) - att).max())
    print(f"downloaded tiny BERT vs transformers: max attention difference {worst:.1e}")
    assert worst < 1e-5


def test_no_network_and_offline_mode_say_where_they_looked(attnscope, env, tmp_path):
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    proc = attnscope("run", TEXT, "--model", "acme/anything", "-q", check=False, env=env)
    err = proc.stderr.decode().strip()
    print(err)
    assert proc.returncode == 1 and "\n" not in err
    assert "is not in the Hugging Face cache, and downloading it failed" in err and "cannot reach http://127.0.0.1:9" in err
    env["HF_HUB_OFFLINE"] = "1"
    proc = attnscope("run", TEXT, "--model", "acme/anything", "-q", check=False, env=env)
    err = proc.stderr.decode().strip()
    print(err)
    assert proc.returncode == 1 and "offline mode is on (HF_HUB_OFFLINE)" in err and str(tmp_path / "cache") in err
    proc = attnscope("pull", "acme/anything", "-q", check=False, env=env)
    assert proc.returncode == 1 and "offline mode is on" in proc.stderr.decode()


@pytest.mark.parametrize("bad_id", ["", "a/b/c", "../x", "bert base", "org/na--me", ".hidden", "x" * 97])
def test_pull_refuses_what_is_not_a_model_id_before_any_request(attnscope, env, bad_id):
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # a request would fail with "cannot reach" instead
    proc = attnscope("pull", bad_id, check=False, env=env)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 1 and "\n" not in err, err
    assert f"'{bad_id}' is not a Hugging Face model id: expected name or org/name" in err
