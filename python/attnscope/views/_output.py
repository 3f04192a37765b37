"""One view as a notebook output: a display_data bundle of
  text/html   a div with the static picture (<img> with a data: PNG) + the live mount point + the payload
              (<script type="application/json">) + a classic inline script (the bundled views) that draws
              on canvas and hides the picture. An untrusted notebook strips the scripts and shows the img;
  image/png   the same picture, for viewers that take no HTML;
  text/plain  one line saying what it is.
The picture is drawn by the C++ side (attnscope._render, cairo) from the same 8-bit copy the canvas uses."""

from __future__ import annotations

import base64
import html
import json
import math
import re
import uuid
from functools import lru_cache
from importlib import resources
from typing import Any

from ._atlas import per_head_grid, picture_args
from ._inputs import Attention
from ._payload import payload, quantize


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    path = resources.files("attnscope.views").joinpath("assets", name)
    if not path.is_file():
        raise RuntimeError(f"attnscope.views: bundled asset {name} is missing; reinstall the package (pip install .)")
    return path.read_text(encoding="utf-8")


def _render_module():
    try:
        from .. import _render  # type: ignore[attr-defined]
    except ImportError as e:  # a broken install, not a user error: say what is missing
        raise RuntimeError(f"attnscope._render (the static picture renderer) cannot be imported: {e}") from e
    return _render


def _plain(doc: Any) -> Any:
    """A schema document as JSON-able values (its NumPy arrays and scalars as lists and numbers)."""
    if isinstance(doc, dict):
        return {k: _plain(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_plain(v) for v in doc]
    if hasattr(doc, "tolist"):
        return _plain(doc.tolist())
    if isinstance(doc, float) and not math.isfinite(doc):
        return None  # JSON has no NaN; the views draw a missing value
    return doc


def _json_in_script(value: Any) -> str:
    # "<" as \u003c: nothing inside the JSON can close the <script> element or open an HTML comment.
    return json.dumps(value).replace("<", "\\u003c")


def _js_in_script(code: str) -> str:
    # Only "</script" and "<!--" matter to the HTML parser inside a script; their escaped forms mean the same
    # in JavaScript strings and regular expressions. A blanket "</" → "<\/" would change regex literals.
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE).replace("<!--", "<\\!--")


class ViewOutput:
    """A drawn view. In a notebook it displays itself; `.data` is its HTML (as BertViz's html_action="return"
    gives), `.png` / `.svg` the static pictures, `.save(path)` writes .html, .png or .svg by the suffix."""

    def __init__(self, kind: str, a: Attention, view: str, views: list[str], title: str,
                 state: dict[str, Any] | None = None, head: int = 0, stats: dict[str, Any] | None = None,
                 neuron: dict[str, Any] | None = None, atlas: dict[str, Any] | None = None):
        self.kind = kind
        self.attention = a
        codes, err = quantize(a.att)
        self.codes = codes
        self.max_error = err
        self.view = view
        self._head = head
        self._stats = stats
        self._state = state or {}
        self._payload = payload(a, codes, err, view, views, title, {**self._state, "head": head})
        if stats is not None:
            self._payload["stats"] = _plain(stats)
        if neuron is not None:
            self._payload["neuron"] = neuron
        self._atlas = atlas
        if atlas is not None:
            self._payload["atlas"] = _plain(atlas)
        self.title = title
        self.png = self._picture("png")
        self._svg: bytes | None = None

    def _caption(self) -> str:
        L, H, n, _ = self.attention.att.shape
        causal = " · causal" if self.attention.causal else ""
        return f"{n} tokens · {L} × {H} heads{causal} · 8-bit copy, largest rounding error {self.max_error:.2g}"

    def _picture(self, fmt: str) -> bytes:
        r = _render_module()
        a = self.attention
        args = (self.codes, a.tokens, a.special, a.layers, a.heads, self._caption(), False)
        if self.view == "atlas" and self._stats is not None and self._atlas is not None:
            grids, points, stress = picture_args(self._stats, self._atlas, a.layers, a.heads)
            return r.atlas(grids, points, stress, a.layers, a.heads, f"atlas · {self._caption()}", False, fmt=fmt)
        if self.view == "stats" and self._stats is not None:
            key = self._state.get("stat", "entropy")
            label = next((f"{s['label']} ({s['unit']})" for s in self._stats["statistics"] if s["key"] == key), key)
            values = per_head_grid(self._stats["heads"], key, a.layers, a.heads)
            return r.grid(values, a.layers, a.heads, f"{label} per head · {self._caption()}", False, fmt=fmt)
        if self.view == "model":
            return r.model_view(*args, fmt=fmt)
        if self.view in ("detail", "neuron"):  # the neuron view's picture: the head's attention it explains
            return r.heatmap(*args, layer=a.layer, head=self._head, fmt=fmt)
        heads = a.selected if a.selected is not None else list(range(len(a.heads)))
        return r.head_view(*args, layer=a.layer, heads=heads, fmt=fmt)

    @property
    def svg(self) -> bytes:
        if self._svg is None:
            self._svg = self._picture("svg")
        return self._svg

    @property
    def data(self) -> str:
        return self.html()

    def html(self, static_only: bool = False, uid: str | None = None) -> str:
        """The output's HTML; static_only: just the picture (the static twin of a live widget, which the
        widget hides while it runs)."""
        uid = uid or "attnscope-" + uuid.uuid4().hex[:12]
        png64 = base64.b64encode(self.png).decode("ascii")
        alt = html.escape(self.text(), quote=True)
        if static_only:
            return (f'<div class="attnscope-output attnscope-static-twin" data-uid="{uid}">'
                    f'<img class="attnscope-static" alt="{alt}" src="data:image/png;base64,{png64}"/></div>')
        return (
            f'<div class="attnscope-output" id="{uid}">'
            f'<img class="attnscope-static" alt="{alt}" src="data:image/png;base64,{png64}"/>'
            f'<div class="attnscope-live"></div>'
            f"<style>{asset('notebook.css')}</style>"
            f'<script type="application/json" class="attnscope-data">{_json_in_script(self._payload)}</script>'
            f"<script>{_js_in_script(asset('notebook.js'))}\n"
            f'attnscopeNb.mount((document.currentScript && document.currentScript.parentElement) || document.getElementById("{uid}"));'
            f"</script></div>"
        )

    def text(self) -> str:
        L, H, n, _ = self.attention.att.shape
        return f"<attnscope {self.kind}: {n} tokens, {L} layers × {H} heads>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return {"text/html": self.html(), "image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.text()}

    def __repr__(self) -> str:
        return self.text()

    def save(self, path: str) -> None:
        p = str(path)
        if p.endswith(".png"):
            body: bytes = self.png
        elif p.endswith(".svg"):
            body = self.svg
        elif p.endswith(".html") or p.endswith(".htm"):
            body = ("<!doctype html>\n<meta charset='utf-8'>\n" + self.html()).encode("utf-8")
        else:
            raise ValueError(f"save: {p} should end in .html, .png or .svg")
        with open(p, "wb") as f:
            f.write(body)


def show(out: ViewOutput, html_action: str):
    if html_action == "return":
        return out
    if html_action != "view":
        raise ValueError(f'html_action must be "view" or "return", got {html_action!r}')
    try:
        from IPython.display import display
    except ImportError as e:
        raise RuntimeError('html_action="view" needs IPython (a notebook); use html_action="return" and .save(path)') from e
    display(out)
    return None

