"""Notebook benchmark, Python side (printed numbers): the time to build a head view's output and its size, for
attnscope.head_view and BertViz's head_view (PyPI bertviz) on the same all-MiniLM-L6-v2 attention, at 8
and 512 tokens. bench/notebook.mjs times the drawing in JupyterLab. Run by bench/notebook.sh."""
import os
import pathlib
import time

import numpy as np
import torch
from bertviz import head_view as bertviz_head_view

import attnscope

MODEL = os.environ.get("ATTNSCOPE_TEST_MODEL", str(pathlib.Path(__file__).resolve().parents[1] / "models" / "all-MiniLM-L6-v2"))


def main():
    m = attnscope.from_pretrained(MODEL, threads=2)
    print(f"head view output: build time and size ({pathlib.Path(MODEL).name}, {m.config.num_hidden_layers if hasattr(m.config, 'num_hidden_layers') else '?'} layers)")
    print("tokens   attnscope: build s   output MB   (html, of it picture)   BertViz: build s   output MB")
    for n in (8, 512):
        text = "The output shows the attention values" if n == 8 else " ".join(["attention values"] * 400)
        out = m(text, truncation=True, max_length=n)
        att = tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in out.attentions)
        t0 = time.perf_counter()
        bundle = attnscope.head_view(out, html_action="return")._repr_mimebundle_()
        ta = time.perf_counter() - t0
        size_a = sum(len(v) for v in bundle.values())
        t0 = time.perf_counter()
        html = bertviz_head_view(att, out.tokens, html_action="return").data
        tb = time.perf_counter() - t0
        print(f"{len(out.tokens):6}   {ta:17.2f}   {size_a / 1e6:9.2f}   ({len(bundle['text/html']) / 1e6:.2f}, "
              f"{len(bundle['image/png']) * 2 / 1e6:.2f})          {tb:15.2f}   {len(html) / 1e6:9.1f}")


if __name__ == "__main__":
    main()
