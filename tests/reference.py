"""The Python reference: transformers' eager BertModel (fp32, CPU, eval, no_grad, output_attentions=True)
and the tokenizers library, exactly as the notebook workflow runs them."""
import functools

import numpy as np


@functools.lru_cache(maxsize=None)
def hf_tokenizer(model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir))


@functools.lru_cache(maxsize=None)
def hf_model(model_dir):
    import torch
    from transformers import BertModel

    torch.set_num_threads(2)
    return BertModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()


def _model_inputs(model_dir, text, pair, input_ids, attention_mask, token_type_ids):
    """The model's keyword inputs: from the reference tokenizer, or from the given ids and masks."""
    import torch

    if input_ids is None:
        return dict(hf_tokenizer(model_dir)(text, pair, return_tensors="pt"))
    enc = {"input_ids": torch.tensor([input_ids])}
    if attention_mask is not None:
        enc["attention_mask"] = torch.tensor([attention_mask])
    if token_type_ids is not None:
        enc["token_type_ids"] = torch.tensor([token_type_ids])
    return enc


def reference_run(model_dir, text, pair=None, input_ids=None, attention_mask=None, token_type_ids=None):
    """Returns (input_ids, attentions [L,H,n,n], hidden_states [L+1,n,D]) from transformers."""
    import torch

    enc = _model_inputs(model_dir, text, pair, input_ids, attention_mask, token_type_ids)
    with torch.no_grad():
        out = hf_model(model_dir)(**enc, output_attentions=True, output_hidden_states=True)
    att = np.stack([a[0].numpy() for a in out.attentions])
    hidden = np.stack([h[0].numpy() for h in out.hidden_states])
    return enc["input_ids"][0].tolist(), att, hidden


@functools.lru_cache(maxsize=None)
def hf_model_f64(model_dir):
    import copy

    return copy.deepcopy(hf_model(model_dir)).double()


def reference_attentions_f64(model_dir, text, pair=None, input_ids=None, attention_mask=None, token_type_ids=None):
    """The same forward in float64: the yardstick for how far each fp32 implementation is from exact."""
    import torch

    enc = _model_inputs(model_dir, text, pair, input_ids, attention_mask, token_type_ids)
    with torch.no_grad():
        out = hf_model_f64(model_dir)(**enc, output_attentions=True)
    return np.stack([a[0].numpy() for a in out.attentions])


def compare(att, ref_att, hidden, ref_hidden):
    """The measured differences the conformance tests assert on and print."""
    att_abs = float(np.max(np.abs(att.astype(np.float64) - ref_att)))
    # Hidden states: relative to each vector's scale (max |value| of that token's reference vector),
    # so a 1e-4 bound means "1e-4 of the magnitude of the state", not of a near-zero coordinate.
    scale = np.max(np.abs(ref_hidden), axis=-1, keepdims=True)
    hid_rel = float(np.max(np.abs(hidden.astype(np.float64) - ref_hidden) / scale))
    hid_abs = float(np.max(np.abs(hidden.astype(np.float64) - ref_hidden)))
    return {"attention_max_abs": att_abs, "hidden_max_rel": hid_rel, "hidden_max_abs": hid_abs}
