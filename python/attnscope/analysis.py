"""The analyses the CLI and the server have, as functions: each calls the library (which computes) and its
one JSON schema (schema.h, docs/formats.md), and returns that document as a plain dict — its float arrays
as NumPy arrays (the schema's base64 float32 form, decoded without rounding). Per-head tables are also
available as a pandas DataFrame (``as_frame=True``) where pandas is installed.

Each function takes a ModelOutput (``index`` picks the sequence of a batch; its padding is dropped), or,
for those that run the model again (ablation, fill-mask, counterfactual), the model and a text."""
import base64
import json

import numpy as np

from . import _core
from .output import ModelOutput

__all__ = ["head_statistics", "pattern_types", "head_map", "rollout", "attention_rollout", "attention_flow",
           "head_norms", "ablate", "fill_mask", "counterfactual", "neuron"]


def _floats(doc, key, shape):
    """Replaces doc[key + '_b64'] (little-endian float32, row-major) by doc[key], an array of `shape`."""
    raw = doc.pop(key + "_b64", None)
    if raw is not None:
        doc[key] = np.frombuffer(base64.b64decode(raw), dtype="<f4").reshape(shape).copy()
    return doc


def _sequence(out, index):
    if not isinstance(out, ModelOutput):
        raise TypeError(f"expected the ModelOutput of model(...), not {type(out).__name__}")
    att, encoding, keep = out.sequence(index)
    return att, encoding, keep


def _frame(rows):
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("as_frame=True needs pandas (pip install pandas)") from None
    return pd.DataFrame(rows)


def _threads(out_or_model, threads):
    model = out_or_model.model if isinstance(out_or_model, ModelOutput) else out_or_model
    return model.threads if threads is None else int(threads)


def head_statistics(out, index=0, *, as_frame=False, threads=None):
    """Per-head statistics (Clark et al. 2019 and successors) and pattern types (Kovaleva et al. 2019):
    {"heads": [{"layer", "head", <statistic>..., "pattern", "pattern_features", "map_colour"}],
     "statistics": [{"key", "label", "unit"}], "uniform_entropy"}. as_frame: the heads as a DataFrame."""
    att, enc, _ = _sequence(out, index)
    doc = json.loads(_core.head_statistics(att, enc, out.model._core.tokenizer, _threads(out, threads)))
    if as_frame:
        rows = []
        for h in doc["heads"]:
            row = {k: v for k, v in h.items() if k != "pattern_features"}
            row.update({f"pattern_{k}": v for k, v in h["pattern_features"].items()})
            rows.append(row)
        return _frame(rows).set_index(["layer", "head"])
    return doc


def pattern_types(out, index=0):
    """Each head's pattern type, [L, H] (vertical, diagonal, vertical+diagonal, block, heterogeneous)."""
    heads = head_statistics(out, index)["heads"]
    layers = 1 + max(h["layer"] for h in heads)
    return np.array([h["pattern"] for h in heads]).reshape(layers, -1)


def head_map(out, index=0, *, include_distances=False, as_frame=False, threads=None):
    """Clark's head map of one input: {"heads": [{"layer", "head", "x", "y", "colour"}], "stress",
    "distances" [LH, LH] (include_distances)}."""
    att, enc, _ = _sequence(out, index)
    doc = json.loads(_core.head_map(att, enc, out.model._core.tokenizer, include_distances, _threads(out, threads)))
    if "distances" in doc:
        m = len(doc["heads"])
        doc["distances"] = np.asarray(doc["distances"], dtype=np.float64).reshape(m, m)
    if as_frame:
        return _frame(doc["heads"]).set_index(["layer", "head"])
    return doc


def rollout(out, index=0, *, flow_layer=None):
    """Attention rollout (and flow) of Abnar & Zuidema 2020: {"layers", "n", "rollout" [L, n, n], and with
    flow_layer (1 = after the first layer … L) "flow_layer", "flow" [n, n]}. Flow refuses n > 64."""
    att, enc, _ = _sequence(out, index)
    doc = json.loads(_core.rollout(att, enc, 0 if flow_layer is None else int(flow_layer)))
    layers, n = doc["layers"], doc["n"]
    _floats(doc, "rollout", (layers, n, n))
    return _floats(doc, "flow", (n, n))


def attention_rollout(out, index=0):
    """[L, n, n]: how much of each input token is in each position after every layer."""
    return rollout(out, index)["rollout"]


def attention_flow(out, layer=None, index=0):
    """[n, n]: max-flow from every position of `layer` (default: the last) to the input tokens."""
    layers = len(out.attentions)
    return rollout(out, index, flow_layer=layers if layer is None else layer)["flow"]


def head_norms(out, index=0, *, as_frame=False):
    """Norm-based attention (Kobayashi et al. 2020) for every head: {"layers", "heads_per_layer", "n", "heads":
    [{"layer", "head", "special_attention_share", "special_norm_share", "spearman"}], "value_norms"
    [L, H, n]}. Needs the value vectors: the output of model(..., output_qkv=True), or it runs that."""
    att, enc, keep = _sequence(out, index)
    if out.values is None:
        model = out.model
        again = model(input_ids=np.asarray(enc.ids)[None], token_type_ids=np.asarray(enc.type_ids)[None],
                      output_qkv=True)
        values = again._blocks["values"][0]
    else:
        values = out._blocks["values"][index]
        if keep.size != values.shape[2]:
            values = np.ascontiguousarray(values[:, :, keep])
    doc = json.loads(_core.head_norms(out.model._core, att, values, enc))
    _floats(doc, "value_norms", (doc["layers"], doc["heads_per_layer"], doc["n"]))
    if as_frame:
        return _frame(doc["heads"]).set_index(["layer", "head"])
    return doc


def neuron(out, layer, head, index=0):
    """One head's neuron view: {"tokens", "layer", "head", "head_dim", "n", "scale", "queries" [n, d],
    "keys" [n, d], "scores" [n, n], "attention" [n, n]}. Needs output_qkv=True and output_scores=True."""
    if out.queries is None or out.scores is None:
        raise ValueError("neuron(): run the model with output_qkv=True and output_scores=True")
    att, enc, keep = _sequence(out, index)
    parts = [out._blocks[k][index] for k in ("queries", "keys", "scores")]
    if keep.size != att.shape[-1]:
        parts = [np.ascontiguousarray(parts[0][:, :, keep]), np.ascontiguousarray(parts[1][:, :, keep]),
                 np.ascontiguousarray(parts[2][:, :, keep][:, :, :, keep])]
    doc = json.loads(_core.neuron(att, *parts, enc, int(layer), int(head)))
    n, d = doc["n"], doc["head_dim"]
    for key, shape in (("queries", (n, d)), ("keys", (n, d)), ("scores", (n, n)), ("attention", (n, n))):
        _floats(doc, key, shape)
    return doc


def _encode(model, text, pair, truncation=False, max_length=None):
    return model.tokenizer(text, pair, truncation=truncation, max_length=max_length).encodings[0]


def ablate(model, text, heads, *, pair=None, mode="zero", top_k=5, threads=None):
    """Ablates heads ("3:4,5:*": layer:head, 0-based, * = every head) — mode zero, uniform or mean — and
    reports the final hidden states' relative change per token and, at every [MASK] when the checkpoint has
    a masked-LM head, the top tokens before and after: {"ablation", "heads", "hidden_state_change" [n],
    "predictions", "ablated_predictions"}."""
    doc = json.loads(_core.ablate(model._core, _encode(model, text, pair), str(heads), mode, int(top_k),
                                  _threads(model, threads)))
    doc["hidden_state_change"] = np.asarray(doc["hidden_state_change"], dtype=np.float64)
    return doc


def fill_mask(model, text, *, pair=None, top_k=5, threads=None):
    """The masked-LM head's top tokens at every [MASK], like transformers' fill-mask pipeline:
    [{"position", "top": [{"token", "id", "probability"}]}]."""
    return json.loads(_core.fill_mask(model._core, _encode(model, text, pair), int(top_k),
                                      _threads(model, threads)))["predictions"]


def counterfactual(model, text, other=None, *, pair=None, mask=None, replace=None, delete=None, as_frame=False,
                   threads=None):
    """How much each head's attention changes between `text` and a second input — `other`, or `text` with
    one token masked (mask=i), replaced (replace=(i, token)) or deleted (delete=i) — over the tokens they
    share (Jensen–Shannon): {"change", "a", "b", "aligned_tokens", "heads": [{"layer", "head",
    "js_divergence"}]}."""
    edits = sum(x is not None for x in (other, mask, replace, delete))
    if edits != 1:
        raise ValueError("counterfactual: give exactly one of other=, mask=, replace=(position, token), delete=")
    a = _encode(model, text, pair)
    t = model._core.tokenizer
    if other is not None:
        b, change = _encode(model, other, pair), "the second text"
    elif mask is not None:
        b, change = _core.change_token(t, a, "mask", int(mask))
    elif delete is not None:
        b, change = _core.change_token(t, a, "delete", int(delete))
    else:
        if not (isinstance(replace, (tuple, list)) and len(replace) == 2):
            raise TypeError("replace: expected (position, token)")
        b, change = _core.change_token(t, a, "replace", int(replace[0]), str(replace[1]))
    doc = json.loads(_core.counterfactual(model._core, a, b, change, _threads(model, threads)))
    if as_frame:
        return _frame(doc["heads"]).set_index(["layer", "head"])
    return doc
