"""Fixtures of the Python package's tests. They run against the *installed* package (scripts/test-python.sh
runs `pip install .` into .venv first), never the source tree: python/ is not on sys.path, and the first
fixture checks where `attnscope` was imported from."""
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def attnscope_pkg():
    import attnscope

    where = pathlib.Path(attnscope.__file__).resolve()
    assert ROOT / "python" not in where.parents, f"attnscope imported from the source tree ({where}); pip install . first"
    return attnscope


@pytest.fixture(scope="session")
def minilm(attnscope_pkg, minilm_dir):
    return attnscope_pkg.from_pretrained(str(minilm_dir), threads=2)


@pytest.fixture(scope="session")
def bert_base(attnscope_pkg, bert_base_dir):
    return attnscope_pkg.from_pretrained(str(bert_base_dir), threads=2)
