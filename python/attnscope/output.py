"""ModelOutput: what ``model(...)`` returns, shaped like transformers' ``BaseModelOutput`` — tuples of
per-layer float32 arrays that are views into the memory the engine wrote (no copy)."""
import numpy as np

__all__ = ["ModelOutput"]

_FIELDS = ("last_hidden_state", "hidden_states", "attentions", "queries", "keys", "values", "scores", "contexts")


def _layers(block):
    """[B][L][...] → a tuple of L views [B][...] (strided, sharing the block's memory)."""
    if block is None:
        return None
    return tuple(block[:, i] for i in range(block.shape[1]))


class ModelOutput:
    """``out.attentions``: tuple of L arrays [B, H, n, n]. ``out.last_hidden_state``: [B, n, D].
    When asked: ``hidden_states`` (L+1 × [B, n, D]), ``queries`` / ``keys`` / ``values`` (L × [B, H, n, d]),
    ``scores`` (L × [B, H, n, n], pre-softmax, mask added), ``contexts`` (L × [B, n, D]).
    Also ``tokens``, ``input_ids``, ``attention_mask``, ``token_type_ids`` and the library's ``encodings``.
    Like transformers' ModelOutput it indexes by name or by position over the fields that are set."""

    def __init__(self, model, blocks, input_ids, token_type_ids, attention_mask, encodings, batched):
        self.model = model
        self._blocks = blocks
        self.last_hidden_state = blocks["last_hidden_state"]
        self.attentions = _layers(blocks["attentions"])
        self.hidden_states = _layers(blocks.get("hidden_states"))
        self.queries = _layers(blocks.get("queries"))
        self.keys = _layers(blocks.get("keys"))
        self.values = _layers(blocks.get("values"))
        self.scores = _layers(blocks.get("scores"))
        self.contexts = _layers(blocks.get("contexts"))
        self.input_ids = input_ids
        self.token_type_ids = token_type_ids
        self.attention_mask = attention_mask
        self.encodings = encodings  # one per sequence, without padding
        self.is_batched = batched

    @property
    def tokens(self):
        """The tokens of the input: one list, or a list per sequence when the input was a list of texts or
        input_ids of more than one row."""
        per_sequence = [list(e.tokens) for e in self.encodings]
        return per_sequence if self.is_batched else per_sequence[0]

    @property
    def batch_size(self):
        return self.input_ids.shape[0]

    def keys_set(self):
        return [f for f in _FIELDS if getattr(self, f) is not None]

    def to_tuple(self):
        return tuple(getattr(self, f) for f in self.keys_set())

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in _FIELDS or getattr(self, key) is None:
                raise KeyError(key)
            return getattr(self, key)
        return self.to_tuple()[key]

    def __iter__(self):
        return iter(self.keys_set())

    def __contains__(self, key):
        return key in self.keys_set()

    def sequence(self, index=0):
        """Sequence `index` without its padding: (attentions [L, H, m, m], encoding, its real positions).
        A sequence with no padding is a view of the output (no copy)."""
        if not 0 <= index < self.batch_size:
            raise IndexError(f"sequence {index}: the output holds {self.batch_size}")
        att = self._blocks["attentions"][index]
        keep = np.flatnonzero(self.attention_mask[index])
        if keep.size != att.shape[-1]:
            att = np.ascontiguousarray(att[:, :, keep][:, :, :, keep])
        return att, self.encodings[index], keep

    def __repr__(self):
        n = self.input_ids.shape[1]
        layers = len(self.attentions)
        heads = self.attentions[0].shape[1]
        extra = ", ".join(f for f in self.keys_set() if f not in ("attentions", "last_hidden_state"))
        return (f"ModelOutput(batch={self.batch_size}, tokens={n}, attentions={layers} x [{self.batch_size}, {heads}, "
                f"{n}, {n}]{', ' + extra if extra else ''})")
