"""examples/attention-heads.ipynb executed headless with nbclient (as CI would), then, in the same kernel,
its attentions compared with transformers' BertModel (eager) on the same input."""
import json
import os
import pathlib
import time

import pytest

from .conftest import MINILM, ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

COMPARE = """
import json as _json, numpy as _np, torch as _torch
from transformers import BertModel as _BertModel, BertTokenizerFast as _Tok
_tok = _Tok.from_pretrained(model_name)
_hf = _BertModel.from_pretrained(model_name, attn_implementation="eager")
with _torch.no_grad():
    _ref = _hf(**_tok(input_text, return_tensors="pt"), output_attentions=True).attentions
_diff = max(float(_np.abs(_np.asarray(a) - r.numpy()).max()) for a, r in zip(attentions, _ref))
print(_json.dumps({"layers": len(_ref), "max_abs_diff": _diff, "tokens": list(outputs.tokens)}))
"""


def test_example_executes_and_matches_transformers(attnscope_pkg, tmp_path):
    nb = nbformat.read(ROOT / "examples" / "attention-heads.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(COMPARE))
    env_before = os.environ.get("ATTNSCOPE_EXAMPLE_MODEL")
    os.environ["ATTNSCOPE_EXAMPLE_MODEL"] = str(MINILM)
    try:
        t0 = time.perf_counter()
        # store_widget_state=False: a converted notebook then shows explore's static twin, not a widget
        # manager it would fetch from a CDN.
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=False,
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
        elapsed = time.perf_counter() - t0
    finally:
        if env_before is None:
            os.environ.pop("ATTNSCOPE_EXAMPLE_MODEL", None)
        else:
            os.environ["ATTNSCOPE_EXAMPLE_MODEL"] = env_before
    last = nb.cells[-1].outputs[-1]
    result = json.loads(last["text"].strip().splitlines()[-1])
    print(f"example executed in {elapsed:.1f} s; attentions vs transformers: max |diff| {result['max_abs_diff']:.3e} "
          f"over {result['layers']} layers")
    assert result["max_abs_diff"] < 1e-5
    assert result["tokens"] == ["[CLS]", "the", "output", "shows", "the", "attention", "values", "[SEP]"]
    # The example's own cells (the comparison cell's transformers progress bar is a widget too).
    kinds = [o.get("data", {}).keys() for c in nb.cells[:-1] if c.cell_type == "code" for o in c.outputs
             if o.output_type == "display_data"]
    statics = [k for k in kinds if {"text/html", "image/png", "text/plain"} <= set(k)]
    widgets = [k for k in kinds if "application/vnd.jupyter.widget-view+json" in k]
    assert len(statics) == 7 and len(widgets) == 1  # model, head, heatmap, neuron, stats, atlas, explore's twin; the widget
    size = len(nbformat.writes(nb))
    print(f"executed notebook: {size / 1e6:.2f} MB")
    assert not any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
