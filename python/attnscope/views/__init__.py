"""The explorer's views inline in a notebook cell.

    attnscope.head_view(out)                      # an attnscope model output
    attnscope.head_view(attention, tokens, ...)   # BertViz's call: any transformers model's attentions
    attnscope.model_view(...), attnscope.heatmap(...), attnscope.explore(model, text)

Each view is one display_data output that draws on canvas with the same TypeScript as `attnscope serve`
(bundled in the package: nothing is loaded from the network) and carries a static PNG of itself, drawn from
the same data, for untrusted notebooks, nbconvert's HTML and viewers that run no scripts."""

from __future__ import annotations

import base64
from typing import Any, Sequence

import numpy as np

from ._inputs import Attention, check
from ._output import ViewOutput, show

__all__ = ["head_view", "model_view", "heatmap", "stats_view", "atlas", "neuron_view", "explore", "ViewOutput"]


def _listed(v: Any) -> list[int] | None:
    return None if v is None else [int(x) for x in (v() if callable(v) else v)]


def _from_model_output(out: Any, index: int) -> dict[str, Any]:
    """The arguments check() needs, from a model output: attnscope's ModelOutput (its sequence without
    padding, and the library's encoding: tokens, special tokens, where sentence B starts) or any object with
    .attentions ([B, H, n, n] per layer) and .tokens."""
    if hasattr(out, "sequence") and hasattr(out, "encodings"):
        att, enc, _ = out.sequence(index)  # [L, H, m, m], padding dropped
        return {"attention": att, "tokens": list(enc.tokens), "sentence_b_start": enc.sentence_b_start,
                "special": _listed(enc.special_tokens_mask), "input_ids": _listed(enc.ids),
                "token_type_ids": _listed(enc.type_ids)}
    att = out.attentions
    if att is None:
        raise ValueError("this output has no attentions")
    first = att[0]
    batch = first.shape[0] if getattr(first, "ndim", 0) == 4 else 1
    if not 0 <= index < batch:
        raise ValueError(f"index {index} is out of range for a batch of {batch}")
    tokens = getattr(out, "tokens", None)
    if tokens is None:
        raise TypeError("this output carries no tokens: pass them, head_view(out.attentions, tokens)")
    tokens = list(tokens)
    if tokens and isinstance(tokens[0], list):
        tokens = tokens[index]
    layers = [a[index:index + 1] if getattr(a, "ndim", 0) == 4 else a for a in att]
    types = getattr(out, "token_type_ids", None)
    types = _listed(types[index] if types is not None and getattr(types, "ndim", 1) == 2 else types)
    b = types.index(1) if types and 1 in types else None
    return {"attention": layers, "tokens": tokens, "sentence_b_start": b, "special": None, "input_ids": None,
            "token_type_ids": types}


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


def stats_view(out: Any, stat: str = "entropy", html_action: str = "view", *, index: int = 0):
    """The per-head statistics (attnscope.head_statistics: the library's analyses) as an L × H heatmap and a
    sortable table. Takes an attnscope model output."""
    if not (hasattr(out, "sequence") and hasattr(out, "encodings")):
        raise TypeError(f"stats_view needs the output of an attnscope model, got {type(out).__name__}")
    from .. import head_statistics  # the library computes; this face presents
    stats = head_statistics(out, index)
    keys = [s["key"] for s in stats["statistics"]]
    if stat not in keys:
        raise ValueError(f"stat must be one of {', '.join(keys)}; got {stat!r}")
    a = check(**_from_model_output(out, index))
    return show(ViewOutput("stats_view", a, "stats", ["stats", "model", "head", "detail"], "attnscope · head statistics",
                           state={"stat": stat, "sort": "-" + stat}, stats=stats), html_action)


def atlas(out: Any, html_action: str = "view", *, index: int = 0):
    """The explorer's atlas: every per-head statistic as an L × H grid, Clark et al.'s head map (Jensen–Shannon
    distances between heads, metric MDS), attention rollout and flow (Abnar & Zuidema 2020) and norm-based
    attention (Kobayashi et al. 2020), all computed by the library when the cell runs and embedded. Takes an
    attnscope model output. Ablation and the counterfactual re-run the model: they are in explore()'s atlas."""
    if not (hasattr(out, "sequence") and hasattr(out, "encodings")):
        raise TypeError(f"atlas needs the output of an attnscope model, got {type(out).__name__}")
    from .. import head_statistics
    from ._atlas import documents
    stats = head_statistics(out, index)
    docs = documents(out, index)
    a = check(**_from_model_output(out, index))
    return show(ViewOutput("atlas", a, "atlas", ["atlas", "stats", "model", "head", "detail"], "attnscope · atlas",
                           stats=stats, atlas=docs), html_action)


def neuron_view(out: Any, layer: int = 0, head: int = 0, token: int = 1, html_action: str = "view", *, index: int = 0):
    """BertViz's neuron view for any model the engine runs: for one head and query token, the query vector,
    each key vector, their elementwise product, the scaled dot product and the softmax. Takes an attnscope
    output computed with output_qkv=True, output_scores=True; the vectors are embedded exactly (float32)."""
    if not (hasattr(out, "sequence") and hasattr(out, "encodings")):
        raise TypeError(f"neuron_view needs the output of an attnscope model, got {type(out).__name__}")
    from .. import neuron  # the library computes; this face presents
    if isinstance(token, bool) or not isinstance(token, int):
        raise TypeError(f"token must be an integer, got {type(token).__name__}")
    a = check(**_from_model_output(out, index), include_layers=[layer] if isinstance(layer, int) else layer,
              include_heads=[head] if isinstance(head, int) else head)
    if not 0 <= token < a.att.shape[-1]:
        raise ValueError(f"token {token} is out of range for {a.att.shape[-1]} tokens")
    doc = neuron(out, layer, head, index)
    wire = {k: doc[k] for k in ("tokens", "layer", "head", "head_dim", "n", "scale")}
    for k in ("queries", "keys", "scores", "attention"):
        wire[k + "_b64"] = base64.b64encode(np.ascontiguousarray(doc[k], dtype="<f4").tobytes()).decode("ascii")
    return show(ViewOutput("neuron_view", a, "neuron", ["neuron", "detail"], f"attnscope · neuron view, layer {layer}, head {head}",
                           state={"token": token}, neuron=wire), html_action)


def explore(model: Any, text: str = "The output shows the attention values", pair: str | None = None, **kw: Any):
    """A live view with a text (and pair) box; each edit recomputes in the kernel (attnscope.views.live)."""
    try:
        from .live import Explorer
    except ImportError as e:
        raise ImportError(f"attnscope.explore needs anywidget (pip install 'attnscope[notebook]'): {e}") from None
    return Explorer(model, text, pair, **kw)
