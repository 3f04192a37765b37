"""Model ids from Python: resolved through the Hugging Face cache by the library (a fake cache laid out as
huggingface_hub writes it, HF_HUB_OFFLINE=1, revisions by branch and commit), and fetched when missing —
through huggingface_hub when it is installed, or the library's own downloader — from a hub-like server on
127.0.0.1 (tests/hub/fake_hub.py). Each case runs in a fresh interpreter: huggingface_hub reads its
environment once, at import."""
import json
import os
import subprocess
import sys

import pytest

from conformance.test_hf_cache import _make_cache
from hub.fake_hub import FakeHub

COMMIT = "86b5e0934494bd15c9632b12f734a8a67f723594"
V1 = "1111111111111111111111111111111111111111"
TEXT = "The output shows the attention values"
MODEL_FILES = ("config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json",
               "special_tokens_map.json")

RUN = """
import json, sys, attnscope
kw = json.loads(sys.argv[2])
try:
    m = attnscope.from_pretrained(sys.argv[1], **kw)
    out = m(%r)
    print(json.dumps({"resolved_by": m.info["resolved_by"], "path": m.directory, "name": m.name,
                      "att": float(out.attentions[-1].sum()), "layers": m.config.num_hidden_layers}))
except Exception as e:
    print(json.dumps({"error": type(e).__name__, "message": str(e),
                      "file_not_found": isinstance(e, FileNotFoundError), "attnscope_error": isinstance(e, attnscope.Error)}))
""" % TEXT


def _run(spec, env, **kwargs):
    proc = subprocess.run([sys.executable, "-c", RUN, spec, json.dumps(kwargs)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _clean_env(**extra):
    env = dict(os.environ)
    for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE",
              "XDG_CACHE_HOME", "HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE"):
        env.pop(k, None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def hf_cache(tmp_path_factory, minilm_dir):
    files = tmp_path_factory.mktemp("minilm-files")
    for name in MODEL_FILES:
        os.symlink(minilm_dir / name, files / name)
    hub = tmp_path_factory.mktemp("hf") / "hub"
    _make_cache(hub, "bert-base-uncased", files)
    # A second revision: a branch v1 at another commit.
    repo = hub / "models--bert-base-uncased"
    snap = repo / "snapshots" / V1
    snap.mkdir()
    for f in os.listdir(repo / "snapshots" / COMMIT):
        os.symlink(os.readlink(repo / "snapshots" / COMMIT / f), snap / f)
    (repo / "refs" / "v1").write_text(V1)
    return hub


def _offline(hub):
    return _clean_env(HF_HUB_CACHE=str(hub), HF_HUB_OFFLINE="1", HOME=str(hub.parent))


def test_hub_id_resolves_through_the_cache_offline(hf_cache):
    got = _run("bert-base-uncased", _offline(hf_cache))
    assert got["resolved_by"] == "hf-cache" and got["path"].endswith(f"models--bert-base-uncased/snapshots/{COMMIT}")
    assert got["layers"] == 6
    for revision, commit in (("v1", V1), (COMMIT, COMMIT), ("main", COMMIT)):
        got = _run("bert-base-uncased", _offline(hf_cache), revision=revision)
        assert got["path"].endswith(f"snapshots/{commit}"), revision


def test_missing_id_or_revision_offline_is_a_clear_error(hf_cache):
    got = _run("acme/not-here", _offline(hf_cache))
    assert got["error"] == "ModelNotFoundError" and got["file_not_found"] and got["attnscope_error"]
    assert "offline mode is on (HF_HUB_OFFLINE)" in got["message"] and str(hf_cache) in got["message"]
    got = _run("bert-base-uncased", _offline(hf_cache), revision="v2")
    assert got["error"] == "ModelNotFoundError" and "no refs/v2" in got["message"]
    got = _run("acme/not-here", _clean_env(HF_HUB_CACHE=str(hf_cache), HOME=str(hf_cache.parent),
                                           HF_ENDPOINT="http://127.0.0.1:9"), local_files_only=True)
    assert got["error"] == "ModelNotFoundError" and "local_files_only=True" in got["message"]
    got = _run("not a/valid/id", _offline(hf_cache))
    assert got["error"] == "ModelNotFoundError" and "not a Hugging Face model id" in got["message"]


@pytest.fixture
def fake_hub(minilm_dir):
    files = {name: (minilm_dir / name).read_bytes() for name in MODEL_FILES}
    hub = FakeHub()
    hub.add_repo("acme/mini-bert", files, COMMIT, branches=("main", "v1"))
    yield hub
    hub.close()


@pytest.mark.parametrize("downloader", ["huggingface_hub", "attnscope"])
def test_download_then_offline(fake_hub, tmp_path, downloader):
    pytest.importorskip("huggingface_hub") if downloader == "huggingface_hub" else None
    cache = tmp_path / "cache"
    env = _clean_env(HF_ENDPOINT=fake_hub.endpoint, HF_HOME=str(tmp_path / "hf-home"), HF_HUB_CACHE=str(cache),
                     HOME=str(tmp_path))
    first = _run("acme/mini-bert", env, downloader=downloader)
    assert first.get("resolved_by") == "downloaded", first
    snapshot = cache / "models--acme--mini-bert" / "snapshots" / COMMIT
    assert first["path"] == str(snapshot)
    assert {"config.json", "model.safetensors", "vocab.txt"} <= set(os.listdir(snapshot))
    assert (cache / "models--acme--mini-bert" / "refs" / "main").read_text().strip() == COMMIT
    asked = {urlpath.split("/resolve/main/")[-1] for _, _, urlpath, _ in fake_hub.requests if "/resolve/" in urlpath}
    assert "config.json" in asked
    # Who fetched: the library's downloader says "attnscope/<version>"; huggingface_hub's HTTP client does not.
    agents = {headers.get("User-Agent", "") for _, _, _, headers in fake_hub.requests} - {""}
    ours = {a for a in agents if a.startswith("attnscope/")}
    print(f"{downloader}: user agents {sorted(agents)}")
    assert agents and (ours == agents if downloader == "attnscope" else not ours)
    fake_hub.close()
    env["HF_HUB_OFFLINE"] = "1"
    second = _run("acme/mini-bert", env)
    assert second["resolved_by"] == "hf-cache" and second["att"] == first["att"]


def test_huggingface_hub_errors_carry_its_message(tmp_path):
    pytest.importorskip("huggingface_hub")
    env = _clean_env(HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_CACHE=str(tmp_path / "c"), HOME=str(tmp_path))
    got = _run("acme/anything", env, downloader="huggingface_hub")
    assert got["attnscope_error"] and "acme/anything (revision main)" in got["message"]
    print(got["message"])
