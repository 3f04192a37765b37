#!/usr/bin/env python3
"""Write a synthetic BERT checkpoint with exactly bert-base-uncased's shapes and original key names.

bert-base-uncased itself cannot be downloaded here, so the tests build a stand-in: the same config.json,
the same vocab.txt (all-MiniLM-L6-v2 ships the bert-base-uncased vocabulary), and a model.safetensors with
the 2018 key layout — the "bert." prefix, TF-style LayerNorm.gamma / LayerNorm.beta, and the pre-training
heads cls.* — filled with random weights from a fixed seed. The tied decoder weight is left out, as in the
real file. Query/key weights are scaled up so that heads attend sharply, like trained ones, instead of the
near-uniform attention of a fresh initialisation.

    python tools/make_synthetic_bert.py OUT_DIR [--seed 0] [--vocab models/all-MiniLM-L6-v2/vocab.txt]
"""
import argparse
import json
import os
import shutil

BERT_BASE_UNCASED_CONFIG = {
    "architectures": ["BertForMaskedLM"],
    "attention_probs_dropout_prob": 0.1,
    "gradient_checkpointing": False,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 768,
    "initializer_range": 0.02,
    "intermediate_size": 3072,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "transformers_version": "4.6.0.dev0",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": 30522,
}


def make_synthetic_bert(out_dir, vocab_path, seed=0, config_overrides=None, qk_scale=2.5):
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, BertForPreTraining

    cfg_dict = dict(BERT_BASE_UNCASED_CONFIG, **(config_overrides or {}))
    torch.manual_seed(seed)
    model = BertForPreTraining(BertConfig(**cfg_dict)).eval()
    state = {}
    generator = torch.Generator().manual_seed(seed + 1)
    for name, tensor in model.state_dict().items():
        if name.endswith("position_ids") or name.endswith("token_type_ids"):
            continue
        if name in ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias"):
            continue  # tied to the word embeddings and to cls.predictions.bias
        t = tensor.detach().clone().float()
        if "LayerNorm" in name:
            # Trained LayerNorms are far from (1, 0); perturb them so every parameter matters.
            t = t + 0.1 * torch.randn(t.shape, generator=generator)
        elif name.endswith(".bias"):
            t = 0.02 * torch.randn(t.shape, generator=generator)
        if ".attention.self.query.weight" in name or ".attention.self.key.weight" in name:
            t = t * qk_scale
        key = name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        state[key] = t.contiguous()
    os.makedirs(out_dir, exist_ok=True)
    save_file(state, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg_dict, f, indent=2)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": 512, "tokenizer_class": "BertTokenizer"}, f)
    shutil.copyfile(vocab_path, os.path.join(out_dir, "vocab.txt"))
    return out_dir


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vocab", default=os.path.join(here, "..", "models", "all-MiniLM-L6-v2", "vocab.txt"))
    args = ap.parse_args()
    make_synthetic_bert(args.out_dir, args.vocab, args.seed)
    print(args.out_dir)


if __name__ == "__main__":
    main()
