"""The explorer's views inline in a notebook cell.

    attnscope.head_view(out)                      # an attnscope model output
    attnscope.head_view(attention, tokens, ...)   # BertViz's call: any transformers model's attentions
    attnscope.model_view(...), attnscope.heatmap(...), attnscope.explore(model, text)

Each view is one display_data output that draws on canvas with the same TypeScript as `attnscope serve`
(bundled in the package: nothing is loaded from the network) and carries a static PNG of itself, drawn from
the same data, for untrusted notebooks, nbconvert's HTML and viewers that run no scripts."""

from __future__ import annotations

from typing import Any, Sequence

from ._inputs import Attention, check
from ._output import ViewOutput, show

__all__ = ["head_view", "model_view", "heatmap", "explore", "ViewOutput"]


def _from_model_output(out: Any, index: int) -> dict[str, Any]:
    """The arguments check() needs, from an attnscope model output (attentions [B, H, n, n] per layer and
    its encoding); an object without .attentions is taken as BertViz's attention tuple."""
    att = out.attentions
    if att is None:
        raise ValueError("this output has no attentions")
    first = att[0]
    batch = first.shape[0] if getattr(first, "ndim", 0) == 4 else 1
    if not 0 <= index < batch:
        raise ValueError(f"index {index} is out of range for a batch of {batch}")
    enc = getattr(out, "encoding", None)
    encs = getattr(out, "encodings", None)
    if enc is None and encs is not None:
        enc = encs[index]
    src = enc if enc is not None else out
    tokens = getattr(src, "tokens", None)
    if tokens is None:
        raise TypeError("this output carries no tokens: pass them, head_view(out.attentions, tokens)")
    tokens = list(tokens() if callable(tokens) else tokens)
    n = len(tokens)
    layers = [a[index:index + 1, :, :n, :n] if getattr(a, "ndim", 0) == 4 else a for a in att]
    get = lambda name: (lambda v: list(v() if callable(v) else v) if v is not None else None)(getattr(src, name, None))
    special = get("special_tokens_mask")
    b = getattr(src, "sentence_b_start", None)
    if b is None:
        types = get("token_type_ids")
        if types and any(types):
            b = types.index(1)
    return {"attention": layers, "tokens": tokens, "sentence_b_start": b, "special": special,
            "input_ids": get("input_ids") or get("ids"), "token_type_ids": get("token_type_ids") or get("type_ids")}


def _gather(attention: Any, tokens: Sequence[str] | None, sentence_b_start: int | None, index: int, **kw: Any) -> Attention:
    if hasattr(attention, "attentions"):
        if tokens is not None:
            raise TypeError("pass either a model output or (attention, tokens), not both")
        args = _from_model_output(attention, index)
        if sentence_b_start is not None:
            args["sentence_b_start"] = sentence_b_start
        return check(**args, **kw)
    if tokens is None:
        raise TypeError("tokens is missing: head_view(attention, tokens) needs the token strings")
    return check(attention, tokens, sentence_b_start, **kw)


def head_view(attention: Any, tokens: Sequence[str] | None = None, sentence_b_start: int | None = None,
              prettify_tokens: bool = True, layer: int | None = None, heads: Sequence[int] | None = None,
              include_layers: Sequence[int] | None = None, include_heads: Sequence[int] | None = None,
              html_action: str = "view", *, index: int = 0):
    """BertViz's head view: queries left, keys right, a line per weight, a colour per head."""
    a = _gather(attention, tokens, sentence_b_start, index, include_layers=include_layers, include_heads=include_heads,
                layer=layer, heads=heads, prettify_tokens=prettify_tokens)
    return show(ViewOutput("head_view", a, "head", ["head", "model", "detail"], "attnscope · head view"), html_action)


def model_view(attention: Any, tokens: Sequence[str] | None = None, sentence_b_start: int | None = None,
               prettify_tokens: bool = True, display_mode: str = "light", include_layers: Sequence[int] | None = None,
               include_heads: Sequence[int] | None = None, layer: int | None = None, heads: Sequence[int] | None = None,
               html_action: str = "view", *, index: int = 0):
    """BertViz's model view: every head's pattern as a thumbnail, layers down, heads across."""
    if display_mode not in ("light", "dark"):
        raise ValueError(f'display_mode must be "light" or "dark", got {display_mode!r}')
    a = _gather(attention, tokens, sentence_b_start, index, include_layers=include_layers, include_heads=include_heads,
                layer=layer, heads=heads, prettify_tokens=prettify_tokens)
    return show(ViewOutput("model_view", a, "model", ["model", "head", "detail"], "attnscope · model view",
                           state={"theme": display_mode}), html_action)


def heatmap(attention: Any, tokens: Sequence[str] | None = None, layer: int = 0, head: int = 0,
            sentence_b_start: int | None = None, prettify_tokens: bool = True, html_action: str = "view", *, index: int = 0):
    """One head's n × n attention with token labels; hover for the value."""
    a = _gather(attention, tokens, sentence_b_start, index, include_layers=[layer] if isinstance(layer, int) else layer,
                include_heads=[head] if isinstance(head, int) else head, prettify_tokens=prettify_tokens)
    return show(ViewOutput("heatmap", a, "detail", ["detail"], f"attnscope · layer {layer}, head {head}"), html_action)


def explore(model: Any, text: str = "The output shows the attention values", pair: str | None = None, **kw: Any):
    """A live view with a text (and pair) box; each edit recomputes in the kernel (attnscope.views.live)."""
    from .live import Explorer
    return Explorer(model, text, pair, **kw)
