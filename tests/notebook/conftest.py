"""Fixtures of the notebook views' Python tests: the installed package (scripts/test-notebook.sh runs
`pip install .` first), the real all-MiniLM-L6-v2 and transformers as the reference."""
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MINILM = ROOT / "models" / "all-MiniLM-L6-v2"


@pytest.fixture(scope="session")
def attnscope_pkg():
    import attnscope

    where = pathlib.Path(attnscope.__file__).resolve()
    assert ROOT / "python" not in where.parents, f"attnscope imported from the source tree ({where}); pip install . first"
    return attnscope


@pytest.fixture(scope="session")
def minilm(attnscope_pkg):
    return attnscope_pkg.from_pretrained(str(MINILM), threads=2)


def softmax_layers(L=3, H=4, n=6, seed=0, causal=False):
    """Attention-shaped probabilities, [1, H, n, n] per layer, as transformers returns them."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((L, 1, H, n, n)).astype(np.float32) * 2
    if causal:
        x = x + np.triu(np.full((n, n), -1e9, np.float32), 1)
    e = np.exp(x - x.max(-1, keepdims=True))
    return tuple(e / e.sum(-1, keepdims=True))
