"""The opt-in faster weight storages (fp16, bf16, int8) are never the default, say what they cost on every
run, and stay within their documented error against fp32 on the reference inputs."""
import json

import numpy as np
import pytest

# Largest attention-probability difference to fp32 allowed per mode (measured: docs/performance.md).
BOUNDS = {"fp16": 2e-3, "bf16": 2e-2, "int8": 8e-2}
TEXTS = ["The output shows the attention values", "Café naïve résumé über Ångström déjà vu",
         "Wait!!! What??? ...really... (yes) [no]", "https://example.com/path?q=attention&lang=en#section"]


def _attentions(attnscope, model, text, *extra):
    proc = attnscope("run", text, "--model", model, "-q", "-f", "json", *extra)
    return np.array(json.loads(proc.stdout)["attentions"], dtype=np.float64), proc.stderr.decode()


@pytest.mark.parametrize("mode", list(BOUNDS))
def test_fast_mode_error_is_bounded_and_reported(attnscope, bert_base_dir, mode):
    worst = 0.0
    for text in TEXTS:
        exact, err_exact = _attentions(attnscope, bert_base_dir, text)
        fast, err_fast = _attentions(attnscope, bert_base_dir, text, "--weights", mode)
        assert "weights" not in err_exact  # fp32 is the default and says nothing
        assert f"{mode} weights: attention differs from fp32 by at most" in err_fast
        reported = float(err_fast.split("at most ")[1].split(" ")[0])
        measured = float(np.max(np.abs(fast - exact)))
        assert reported == pytest.approx(measured, rel=6e-3)  # printed with three digits
        worst = max(worst, measured)
    print(f"{mode}: max attention difference to fp32 {worst:.2e} over {len(TEXTS)} texts")
    assert 0 < worst <= BOUNDS[mode]


def test_info_reports_the_storage(attnscope, minilm_dir):
    info = attnscope.json("info", "--model", minilm_dir, "-f", "json")
    assert info["weights"]["storage"] == "fp32"
