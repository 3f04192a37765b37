"""Runs under transformers 4.x (PYTHONPATH=.venv/transformers4), the last version with `head_mask`:
BertForMaskedLM with and without a head mask, written to an .npz for the ablation tests.

    python tests/reference_tf4.py MODEL_DIR OUT.npz TEXT HEAD_MASK_SPEC
"""
import sys

import numpy as np
import torch
import transformers
from transformers import AutoTokenizer, BertForMaskedLM


def head_mask_from(spec, layers, heads):
    mask = torch.ones(layers, heads)
    for item in filter(None, spec.split(",")):
        layer, head = item.split(":")
        if head == "*":
            mask[int(layer), :] = 0
        else:
            mask[int(layer), int(head)] = 0
    return mask


def main():
    model_dir, out, text, spec = sys.argv[1:5]
    assert transformers.__version__.startswith("4."), transformers.__version__
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = BertForMaskedLM.from_pretrained(model_dir, attn_implementation="eager").eval()
    enc = tok(text, return_tensors="pt")
    cfg = model.config
    mask = head_mask_from(spec, cfg.num_hidden_layers, cfg.num_attention_heads)
    with torch.no_grad():
        plain = model(**enc, output_attentions=True, output_hidden_states=True)
        ablated = model(**enc, head_mask=mask, output_attentions=True, output_hidden_states=True)
    np.savez(out, input_ids=enc["input_ids"][0].numpy(), version=np.array(transformers.__version__),
             logits=plain.logits[0].numpy(), ablated_logits=ablated.logits[0].numpy(),
             hidden=plain.hidden_states[-1][0].numpy(), ablated_hidden=ablated.hidden_states[-1][0].numpy(),
             ablated_attentions=np.stack([a[0].numpy() for a in ablated.attentions]))


if __name__ == "__main__":
    main()
