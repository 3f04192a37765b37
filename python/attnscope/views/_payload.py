"""The compact copy of the attention that a static output embeds: probabilities rounded to 8 bits (code =
round(p * 255), so the rounding error is at most 1/510 ≈ 0.002; the measured largest error is stated in
the view) and deflated, which the browser inflates with its own DecompressionStream. A 512-token bert-base
input is 151 MB as float32; this copy is a few MB (docs/notebook.md has the measured sizes)."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np

from ._inputs import Attention

LEVEL = 1  # zlib's fastest: measured on a 512-token input, level 6 took 4x longer for a little less size


def quantize(att: np.ndarray) -> tuple[np.ndarray, float]:
    """float32 probabilities (checked to lie in [0, 1]) → uint8 codes round(p · 255), and the largest
    |code/255 − p| actually made. Done a layer at a time to keep the temporaries small."""
    codes = np.empty(att.shape, np.uint8)
    err = 0.0
    for l in range(att.shape[0]):
        x = np.clip(att[l], 0.0, 1.0) * np.float32(255.0)
        x += np.float32(0.5)
        c = x.astype(np.uint8)
        codes[l] = c
        x = c.astype(np.float32)
        x *= np.float32(1 / 255.0)
        x -= att[l]
        err = max(err, float(np.abs(x).max()) if x.size else 0.0)
    return codes, err


def payload(a: Attention, codes: np.ndarray, max_error: float, view: str, views: list[str], title: str,
            state: dict[str, Any] | None = None) -> dict[str, Any]:
    L, H, n, _ = a.att.shape
    st: dict[str, Any] = {"layer": a.layer, "head": 0, "heads": a.selected}
    st.update(state or {})
    return {
        "version": 1,
        "view": view,
        "views": views,
        "encoding": {
            "tokens": a.tokens,
            "input_ids": a.input_ids,
            "token_type_ids": a.token_type_ids,
            "special_tokens_mask": a.special,
            "sentence_b_start": a.sentence_b_start,
        },
        "shape": [L, H, n, n],
        "layers": a.layers,
        "heads": a.heads,
        "codec": "u8-deflate",
        "data": base64.b64encode(zlib.compress(codes.tobytes(), LEVEL)).decode("ascii"),
        "max_error": max_error,
        "causal": a.causal,
        "state": st,
        "title": title,
    }
