"""Shared fixtures for the Python-driven test suites (conformance, CLI, end to end).

Everything runs against real components: the built attnscope binary, the real transformers / tokenizers
from the pinned reference environment (.venv), the real all-MiniLM-L6-v2 checkpoint installed by
scripts/setup.sh, and a synthetic checkpoint with bert-base-uncased's exact shapes and key names generated
from a fixed seed.
"""
import hashlib
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# ATTNSCOPE_BINARY runs the suites against another build (scripts/test-sanitize.sh: the ASan + UBSan one).
BINARY = pathlib.Path(os.environ.get("ATTNSCOPE_BINARY", ROOT / "build" / "attnscope")).resolve()
MINILM = ROOT / "models" / "all-MiniLM-L6-v2"
ARTIFACTS = ROOT / "tests" / "artifacts"
CACHE = ROOT / ".cache"
sys.path.insert(0, str(ROOT / "tools"))

# Measured conformance numbers, printed at the end of the run (see pytest_terminal_summary).
REPORT = {}


def record(suite, key, value):
    REPORT.setdefault(suite, {})
    REPORT[suite][key] = max(REPORT[suite].get(key, 0.0), float(value))


def pytest_terminal_summary(terminalreporter):
    if not REPORT:
        return
    terminalreporter.section("measured conformance (maxima over all cases)")
    for suite, values in sorted(REPORT.items()):
        for key, value in sorted(values.items()):
            terminalreporter.write_line(f"{suite:<38} {key:<34} {value:.3e}")


class Runner:
    def __init__(self, binary):
        self.binary = binary

    def __call__(self, *args, input=None, env=None, check=True, timeout=300):
        full_env = dict(os.environ)
        full_env.setdefault("NO_COLOR", "1")
        if env:
            full_env.update(env)
        proc = subprocess.run([str(self.binary), *map(str, args)], input=input, capture_output=True,
                              env=full_env, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"attnscope {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                                 f"{proc.stderr.decode(errors='replace')}")
        return proc

    def json(self, *args, **kw):
        return json.loads(self(*args, **kw).stdout)


@pytest.fixture(scope="session")
def attnscope():
    assert BINARY.exists(), "build attnscope first (scripts/setup.sh)"
    return Runner(BINARY)


@pytest.fixture(scope="session")
def minilm_dir():
    assert (MINILM / "model.safetensors").exists(), "run scripts/setup.sh to install all-MiniLM-L6-v2"
    return MINILM


def _synthetic(name, seed, **overrides):
    import make_synthetic_bert as msb

    script = (ROOT / "tools" / "make_synthetic_bert.py").read_bytes()
    stamp = hashlib.sha256(script + json.dumps([seed, overrides], sort_keys=True).encode()).hexdigest()[:16]
    out = CACHE / f"{name}-{stamp}"
    if not (out / "model.safetensors").exists():
        tmp = CACHE / f"{name}-{stamp}.tmp"
        msb.make_synthetic_bert(str(tmp), str(MINILM / "vocab.txt"), seed=seed, config_overrides=overrides or None)
        tmp.rename(out)
    return out


@pytest.fixture(scope="session")
def bert_base_dir(minilm_dir):
    """bert-base-uncased's exact shapes and key names, random weights from seed 0."""
    return _synthetic("synthetic-bert-base-uncased", 0)


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def load_npy_run(prefix):
    """The files `attnscope run --format npy -o PREFIX.npy --capture hidden` writes."""
    prefix = pathlib.Path(prefix)
    meta = json.loads(prefix.with_suffix(".tokens.json").read_text())
    att = np.load(prefix.with_suffix(".npy"))
    hidden_path = prefix.parent / (prefix.stem + ".hidden_states.npy")
    hidden = np.load(hidden_path) if hidden_path.exists() else None
    return meta, att, hidden
