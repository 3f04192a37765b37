"""What attnscope.atlas embeds and draws: the library's schema documents for the head map, rollout (with flow
up to the library's 64-token limit) and norms, as the atlas view reads them from the server in `serve`, and
the arguments of its static picture (every statistic and both norm shares as L × H grids, then the map)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

FLOW_MAX_TOKENS = 64  # the library's kMaxFlowTokens (include/attnscope/analysis.h)


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def to_cls(out: Any, index: int = 0, flow: bool = True) -> dict[str, Any]:
    """What the rollout panel draws (web/src/views/atlasSource.ts, ToClsWire): [CLS]'s row after the last layer,
    by rollout and, up to 64 tokens, by flow. Only these rows are sent: the whole [L, n, n] rollout of a
    512-token input would be 6 MB of the output for one bar chart."""
    from ..analysis import rollout  # the library computes; this face presents

    layers = len(out.attentions)
    n = out.sequence(index)[0].shape[-1]
    doc = rollout(out, index, flow_layer=layers if flow and n <= FLOW_MAX_TOKENS else None)
    wire = {"layers": doc["layers"], "n": doc["n"], "rollout_cls_b64": _b64(doc["rollout"][-1, 0])}
    if "flow" in doc:
        wire["flow_cls_b64"] = _b64(doc["flow"][0])
    return wire


def documents(out: Any, index: int) -> dict[str, Any]:
    from ..analysis import head_map, head_norms

    hm = head_map(out, index)
    return {"head_map": {"heads": hm["heads"], "stress": hm["stress"]}, "rollout": to_cls(out, index),
            "norms": {"heads": head_norms(out, index)["heads"]}}


def per_head_grid(rows: list[dict[str, Any]], key: str, layers: list[int], heads: list[int]) -> list[list[float]]:
    """One value per head ([layers][heads], NaN where missing) from a schema document's per-head rows."""
    values = [[float("nan")] * len(heads) for _ in layers]
    for h in rows:
        if h["layer"] in layers and h["head"] in heads:
            v = h.get(key)
            values[layers.index(h["layer"])][heads.index(h["head"])] = float("nan") if v is None else float(v)
    return values


def picture_args(stats: dict[str, Any], atlas: dict[str, Any], layers: list[int], heads: list[int]):
    grids = [(f"{s['label']} ({s['unit']})", per_head_grid(stats["heads"], s["key"], layers, heads))
             for s in stats["statistics"]]
    norm_rows = atlas["norms"]["heads"]
    grids += [("[CLS]/[SEP] share by attention α", per_head_grid(norm_rows, "special_attention_share", layers, heads)),
              ("[CLS]/[SEP] share by α‖f(x)‖", per_head_grid(norm_rows, "special_norm_share", layers, heads))]
    points = [(int(h["layer"]), int(h["head"]), float(h["x"]), float(h["y"]), str(h["colour"]))
              for h in atlas["head_map"]["heads"]]
    return grids, points, float(atlas["head_map"]["stress"])
