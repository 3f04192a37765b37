"""What a view is given, checked and brought to one form: float32 [L, H, n, n] probabilities, tokens, the
shown layers and heads. BertViz's arguments (attention tuple from any transformers model, tokens,
sentence_b_start, include_layers, include_heads, layer, heads) or an attnscope model output.

Every problem is a ValueError or TypeError with one line that says what was expected."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

# Tokens drawn muted and left out by "hide [CLS]/[SEP]" when the caller gives only strings.
_SPECIAL = re.compile(r"^(\[[A-Z_]+\]|<\|?[A-Za-z_]+\|?>|</?s>|<pad>|<unk>|<mask>)$")


@dataclass
class Attention:
    att: np.ndarray              # float32 [L, H, n, n] of the shown layers and heads, C-contiguous
    tokens: list[str]
    special: list[int]           # 1 for special tokens
    sentence_b_start: int | None
    layers: list[int]            # the model's layer numbers of att's layers
    heads: list[int]
    layer: int                   # initial layer (index into layers)
    selected: list[int] | None   # initially selected heads (indices into heads); None = all
    causal: bool                 # every map is lower-triangular (a decoder's attention)
    input_ids: list[int]
    token_type_ids: list[int]


def _to_numpy(x: Any, where: str) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu()
        if hasattr(x, "float") and str(getattr(x, "dtype", "")) in ("torch.bfloat16", "torch.float16"):
            x = x.float()
        x = x.numpy()
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where} must be a numpy array or torch tensor, got {type(x).__name__}")
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{where} has dtype {x.dtype}; attention must be floating-point probabilities")
    return x


def _layers_of(attention: Any) -> list[np.ndarray]:
    if isinstance(attention, (list, tuple)):
        if len(attention) == 0:
            raise ValueError("attention is empty: expected one array per layer, [1, heads, n, n] each")
        return [_to_numpy(a, f"attention[{i}]") for i, a in enumerate(attention)]
    arr = _to_numpy(attention, "attention")
    if arr.ndim in (4, 5):  # one stacked array: [L, H, n, n] or [L, 1, H, n, n]
        return [arr[i] for i in range(arr.shape[0])]
    raise ValueError(f"attention has shape {tuple(arr.shape)}: expected a tuple of [1, heads, n, n] arrays, one per layer")


def _one_layer(a: np.ndarray, i: int) -> np.ndarray:
    if a.ndim == 4:
        if a.shape[0] != 1:
            raise ValueError(f"attention[{i}] has a batch of {a.shape[0]} (shape {tuple(a.shape)}); "
                             f"pass one example, e.g. [att[k:k+1] for att in attention]")
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"attention[{i}] has shape {tuple(a.shape)}: expected [1, heads, n, n] or [heads, n, n]")
    if a.shape[1] != a.shape[2]:
        raise ValueError(f"attention[{i}] has shape {tuple(a.shape)}: the last two dimensions (query, key) must be equal")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"attention[{i}] has shape {tuple(a.shape)}: no heads or no tokens")
    return a


def _index_list(value: Any, count: int, name: str, what: str) -> list[int]:
    if value is None:
        return list(range(count))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple, range, np.ndarray)):
        raise TypeError(f"{name} must be a list of {what} numbers, got {type(value).__name__}")
    out: list[int] = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must hold integers, got {v!r}")
        v = int(v)
        if not 0 <= v < count:
            raise ValueError(f"{name} has {what} {v}; the attention has {what}s 0 to {count - 1}")
        if v in out:
            raise ValueError(f"{name} lists {what} {v} twice")
        out.append(v)
    if not out:
        raise ValueError(f"{name} is empty: list at least one {what}")
    return out


def _prettify(t: str) -> str:
    # BertViz's prettify_tokens: byte-level BPE's space and newline markers, SentencePiece's space.
    return t.replace("Ġ", " ").replace("▁", " ").replace("Ċ", "\\n")


def check(attention: Any, tokens: Sequence[str], sentence_b_start: int | None = None, *,
          include_layers: Any = None, include_heads: Any = None, layer: Any = None, heads: Any = None,
          prettify_tokens: bool = True, special: Sequence[int] | None = None,
          input_ids: Sequence[int] | None = None, token_type_ids: Sequence[int] | None = None) -> Attention:
    raw = _layers_of(attention)
    layers = [_one_layer(a, i) for i, a in enumerate(raw)]
    H, n = layers[0].shape[0], layers[0].shape[1]
    for i, a in enumerate(layers):
        if a.shape != (H, n, n):
            raise ValueError(f"attention is ragged: layer {i} has {a.shape[0]} heads over {a.shape[1]} tokens, "
                             f"layer 0 has {H} heads over {n} tokens")
    if isinstance(tokens, str) or not isinstance(tokens, (list, tuple)):
        raise TypeError(f"tokens must be a list of strings, got {type(tokens).__name__}")
    for t in tokens:
        if not isinstance(t, str):
            raise TypeError(f"tokens must be a list of strings, found {type(t).__name__} {t!r}")
    if len(tokens) != n:
        raise ValueError(f"tokens has {len(tokens)} entries but the attention is over {n} tokens")
    if sentence_b_start is not None:
        if isinstance(sentence_b_start, bool) or not isinstance(sentence_b_start, (int, np.integer)):
            raise TypeError(f"sentence_b_start must be an integer or None, got {type(sentence_b_start).__name__}")
        if not 0 < int(sentence_b_start) < n:
            raise ValueError(f"sentence_b_start is {sentence_b_start}; it must be between 1 and {n - 1} (the first token of sentence B)")
        sentence_b_start = int(sentence_b_start)
    keep_l = _index_list(include_layers, len(layers), "include_layers", "layer")
    keep_h = _index_list(include_heads, H, "include_heads", "head")
    all_heads = keep_h == list(range(H))
    att = np.empty((len(keep_l), len(keep_h), n, n), np.float32)
    for k, i in enumerate(keep_l):
        att[k] = layers[i] if all_heads else layers[i][keep_h]
    att = np.ascontiguousarray(att)
    bad = ~np.isfinite(att)
    if bad.any():
        l, h, i, j = (int(x) for x in np.argwhere(bad)[0])
        raise ValueError(f"attention has {'NaN' if np.isnan(att[l, h, i, j]) else 'an infinite value'} at layer {keep_l[l]}, "
                         f"head {keep_h[h]}, query {i}, key {j}")
    lo, hi = float(att.min()), float(att.max())
    if lo < -1e-6 or hi > 1 + 1e-4:
        raise ValueError(f"attention must be probabilities in [0, 1] (softmax output), found values from {lo:g} to {hi:g}")
    if layer is None:
        first = 0
    else:
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
            raise TypeError(f"layer must be an integer, got {type(layer).__name__}")
        if int(layer) not in keep_l:
            raise ValueError(f"layer {layer} is not among the shown layers {keep_l}")
        first = keep_l.index(int(layer))
    selected = None
    if heads is not None:
        chosen = _index_list(heads, H, "heads", "head")
        missing = [h for h in chosen if h not in keep_h]
        if missing:
            raise ValueError(f"heads lists head {missing[0]}, which include_heads leaves out")
        selected = sorted(keep_h.index(h) for h in chosen)
    tok = [(_prettify(t) if prettify_tokens else t) for t in tokens]
    spec = [int(bool(s)) for s in special] if special is not None else [int(bool(_SPECIAL.match(t))) for t in tokens]
    causal = n > 1 and all(not np.triu(att[l, h], k=1).any() for l in range(att.shape[0]) for h in range(att.shape[1]))
    return Attention(att=att, tokens=tok, special=spec, sentence_b_start=sentence_b_start, layers=keep_l, heads=keep_h,
                     layer=first, selected=selected, causal=causal,
                     input_ids=[int(x) for x in input_ids] if input_ids is not None else [0] * n,
                     token_type_ids=[int(x) for x in token_type_ids] if token_type_ids is not None else [0] * n)
