"""attnscope: the attention heads of BERT-family encoders, exact and fast, from Python.

    import attnscope
    model = attnscope.from_pretrained("bert-base-uncased")   # a hub id or a folder
    tok = model.tokenizer
    inputs = tok.encode_plus(text, pair, truncation=True, max_length=512, return_offsets_mapping=True)
    out = model(**inputs)            # or model(text), model(text, pair), model([t1, t2, ...])
    out.attentions                   # tuple of L float32 arrays [B, H, n, n], the engine's own memory
    for layer, att in model.stream(text): ...

The same C++ library as the attnscope command line (no second engine); see docs/python.md.
"""
from . import _core
from .analysis import (ablate, attention_flow, attention_rollout, counterfactual, fill_mask, head_map, head_norms,
                       head_statistics, neuron, pattern_types, rollout)
from .corpus import CorpusResult, corpus, merge as corpus_merge  # the module attnscope.corpus is shadowed by its function
from .errors import Error, ModelNotFoundError
from .model import Config, Model, from_pretrained
from .output import ModelOutput
from .tokenizer import BatchEncoding, Tokenizer
from .views import atlas, explore, head_view, heatmap, model_view, neuron_view, stats_view

__version__ = _core.__version__

__all__ = ["from_pretrained", "Model", "Config", "ModelOutput", "Tokenizer", "BatchEncoding", "Error",
           "ModelNotFoundError", "head_statistics", "pattern_types", "head_map", "rollout", "attention_rollout",
           "attention_flow", "head_norms", "ablate", "fill_mask", "counterfactual", "neuron",
           "head_view", "model_view", "heatmap", "stats_view", "atlas", "neuron_view", "explore", "corpus", "corpus_merge",
           "CorpusResult"]
