"""attnscope.explore(model, text): the live view. An anywidget (PyPI `anywidget`): one ESM module (the
bundled web/src/widget.ts) and traitlets, which runs in JupyterLab 4, Notebook 7, VS Code and Colab without
a Jupyter extension to install — the reason it is used here. The text and pair boxes are traitlets the
front end writes; each change runs the model in the kernel and sends the attention back as one binary
buffer of 8-bit codes (`att`, raw bytes: no base64, no JSON), the encoding and shape as `meta`.

A widget reopened without its kernel shows only its text repr, so explore also displays a static twin (the
picture of the current input, drawn by the C++ renderer) right after it; the live widget hides the twin
while it runs, and an untrusted or converted notebook shows it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import anywidget
import traitlets

from . import _from_model_output
from ._inputs import check
from ._output import ViewOutput, _plain, asset
from ._payload import quantize


VIEWS = ("model", "head", "detail", "stats", "atlas")


def _run(model: Any, text: str, pair: str | None) -> Any:
    return model(text, pair) if pair else model(text)


class Explorer(anywidget.AnyWidget):
    _esm = traitlets.Unicode("").tag(sync=True)
    _css = traitlets.Unicode("").tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)
    pair = traitlets.Unicode("").tag(sync=True)
    view = traitlets.Unicode("model").tag(sync=True)
    views = traitlets.List(traitlets.Unicode(), default_value=list(VIEWS)).tag(sync=True)
    title = traitlets.Unicode("attnscope · explore").tag(sync=True)
    uid = traitlets.Unicode("").tag(sync=True)
    meta = traitlets.Dict().tag(sync=True)
    att = traitlets.Bytes(b"").tag(sync=True)

    def __init__(self, model: Any, text: str, pair: str | None = None, view: str = "model", **kw: Any):
        if not callable(model):
            raise TypeError(f"explore needs a model to call (attnscope.from_pretrained(...)), got {type(model).__name__}")
        if not isinstance(text, str) or (pair is not None and not isinstance(pair, str)):
            raise TypeError("explore: text and pair must be strings")
        if view not in VIEWS:
            raise ValueError(f"explore: view must be one of {', '.join(VIEWS)}; got {view!r}")
        super().__init__(_esm=asset("widget.js"), _css=asset("notebook.css"), text=text, pair=pair or "", view=view,
                         uid="attnscope-" + uuid.uuid4().hex[:12], **kw)
        self._model = model
        self._seq = 0
        self._handle: Any = None
        self._out: Any = None  # the model output on screen: what the atlas's questions are about
        self._att: Any = None  # its attentions, float32 [L, H, n, n] of the layers and heads shown
        self._shown: tuple[str, str | None] = ("", None)  # its text and pair (the boxes may hold newer ones)
        self.last: ViewOutput | None = None
        self.timings: list[float] = []
        self._recompute()
        self.observe(lambda _change: self._recompute(), names=["text", "pair"])
        self.on_msg(self._on_msg)

    def _recompute(self) -> None:
        self._seq += 1
        t0 = time.perf_counter()
        try:
            out = _run(self._model, self.text, self.pair or None)
            forward_ms = (time.perf_counter() - t0) * 1e3
            a = check(**_from_model_output(out, 0))
            codes, err = quantize(a.att)
        except (ValueError, TypeError, RuntimeError) as e:  # the library's one-line message, shown in the view
            self.meta = {"error": str(e).splitlines()[0] if str(e) else type(e).__name__, "seq": self._seq}
            return
        L, H, n, _ = a.att.shape
        self._out, self._shown, self._att = out, (self.text, self.pair or None), a.att
        self.att = codes.tobytes()
        self.meta = {"encoding": {"tokens": a.tokens, "input_ids": a.input_ids, "token_type_ids": a.token_type_ids,
                                  "special_tokens_mask": a.special, "sentence_b_start": a.sentence_b_start},
                     "shape": [L, H, n, n], "layers": a.layers, "heads": a.heads, "max_error": err,
                     "forward_ms": forward_ms, "error": "", "seq": self._seq}
        self.last = ViewOutput("explore", a, self.view, self.views, self.title)
        self.timings.append(time.perf_counter() - t0)
        if self._handle is not None:
            self._handle.update(self._twin())

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """The front end's analysis requests ({id, kind, body}), answered with the library's schema document
        or the library's one-line error; never raised into the kernel's log."""
        if not isinstance(content, dict) or not isinstance(content.get("id"), int):
            return
        # The reply names the view that asked (one widget can be shown in several outputs, and each view
        # numbers its requests from 1): the others drop it.
        reply = {"id": content["id"], "view": content.get("view")}
        body = content.get("body")
        try:
            if body is not None and not isinstance(body, dict):
                raise TypeError(f"a request's body must be an object, got {type(body).__name__}")
            reply["result"] = _plain(self.answer(str(content.get("kind")), body or {}))
        except Exception as e:  # noqa: BLE001 — every request gets an answer; nothing escapes into the kernel
            reply["error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        self.send(reply)

    def answer(self, kind: str, body: dict[str, Any]) -> Any:
        """One analysis of the input on screen, as `serve` answers it (the atlas's AtlasSource)."""
        from .. import analysis
        from ._atlas import to_cls
        out = self._out
        if out is None:
            raise ValueError("nothing is on screen yet")
        if kind == "values":
            return self._exact_values(body)
        if kind == "statistics":
            return analysis.head_statistics(out)
        if kind == "head_map":
            doc = analysis.head_map(out)
            return {"heads": doc["heads"], "stress": doc["stress"]}
        if kind == "rollout":
            return to_cls(out, 0, flow=bool(body.get("flow")))
        if kind == "norms":
            return {"heads": analysis.head_norms(out)["heads"]}
        text, pair = self._shown
        if kind == "ablate":
            doc = analysis.ablate(self._model, text, str(body.get("heads", "")), pair=pair,
                                  mode=str(body.get("ablation", "zero")))
            doc["encoding"] = {"tokens": list(out.encodings[0].tokens)}
            return doc
        if kind == "diff":
            edit: dict[str, Any] = {}
            if "replace" in body:
                edit["replace"] = (int(body["replace"]), str(body.get("token", "")))
            elif "delete" in body:
                edit["delete"] = int(body["delete"])
            elif "mask" in body:
                edit["mask"] = int(body["mask"])
            return analysis.counterfactual(self._model, text, pair=pair, **edit)
        raise ValueError(f"unknown request {kind!r}")

    def _exact_values(self, body: dict[str, Any]) -> str:
        """The exact float32 values behind the 8-bit copy on screen, for what the user reads: one head (or,
        with head null, one layer) of the shown layers and heads, little-endian float32 in base64."""
        import base64

        if body.get("seq") != self._seq:
            raise ValueError("the input changed since this view was drawn")
        L, H = self._att.shape[:2]
        layer, head = body.get("layer"), body.get("head")
        if not isinstance(layer, int) or isinstance(layer, bool) or not 0 <= layer < L:
            raise ValueError(f"'layer' must be an index 0..{L - 1}")
        if head is not None and (not isinstance(head, int) or isinstance(head, bool) or not 0 <= head < H):
            raise ValueError(f"'head' must be an index 0..{H - 1} or null")
        values = self._att[layer] if head is None else self._att[layer, head]
        return base64.b64encode(values.astype("<f4").tobytes()).decode("ascii")

    def _twin(self) -> Any:
        return _Twin(self)

    def _ipython_display_(self) -> None:
        from IPython.display import display
        bundle = super()._repr_mimebundle_()  # the widget view (ipywidgets gives (data, metadata) or data)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        display(data, metadata=metadata, raw=True)
        self._handle = display(self._twin(), display_id=True)


class _Twin:
    """The static picture that stands in for the widget where no widget runs."""

    def __init__(self, w: Explorer):
        self.w = w

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        import base64
        v = self.w.last
        if v is None:
            return {"text/plain": f"<attnscope explore: {self.w.meta.get('error', 'no result')}>"}
        return {"text/html": v.html(static_only=True, uid=self.w.uid), "image/png": base64.b64encode(v.png).decode("ascii"),
                "text/plain": v.text()}
