"""The tokenizer, shaped like transformers' ``BertTokenizerFast``: tokenize, convert_tokens_to_ids,
convert_ids_to_tokens, encode, encode_plus and ``tok(text)``, with pairs, truncation, padding, offsets and
batches. Every token, id and offset comes from the C++ library's tokenizer (exact `tokenizers` parity)."""
import numpy as np

from . import _core
from .errors import Error

__all__ = ["Tokenizer", "BatchEncoding"]

_TRUNCATION = {True: True, False: False, "longest_first": True, "do_not_truncate": False}
_PADDING = {True: "longest", False: None, "longest": "longest", "max_length": "max_length", "do_not_pad": None}


class BatchEncoding(dict):
    """What ``tok(...)`` returns: a dict of input_ids, token_type_ids, attention_mask (and offset_mapping,
    special_tokens_mask when asked), also readable as attributes, plus the library's Encodings."""

    def __init__(self, data, encodings, batched):
        super().__init__(data)
        self.encodings = encodings
        self.is_batched = batched

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def tokens(self, batch_index=0):
        return list(self.encodings[batch_index].tokens)

    def sequence_ids(self, batch_index=0):
        return [None if s < 0 else int(s) for s in self.encodings[batch_index].sequence_ids]

    def __len__(self):
        return super().__len__()


def _max_length(max_length):
    if max_length is None:
        return 0
    if isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)) or max_length <= 0:
        raise ValueError(f"max_length {max_length!r}: expected a positive int")
    return int(max_length)


def _is_text(x):
    return isinstance(x, (str, bytes))


def _checked_pair(text, text_pair):
    """(batched, text_pair): a text or a list of texts, with one pair text per text; an empty pair of one
    text is no pair, as in transformers ([CLS] A [SEP], not A [SEP] [SEP])."""
    if _is_text(text):
        return False, None if text_pair in ("", b"") else text_pair
    if not isinstance(text, (list, tuple)):
        raise TypeError(f"text must be str or a list of str, not {type(text).__name__}")
    if text_pair is not None and (_is_text(text_pair) or len(text_pair) != len(text)):
        raise ValueError("text_pair: give one pair text per text (a list of the same length)")
    return True, text_pair


class Tokenizer:
    """A model's tokenizer (``model.tokenizer``), or one read from a folder (``Tokenizer.from_pretrained``)."""

    def __init__(self, core):
        self._t = core

    @classmethod
    def from_pretrained(cls, path_or_id, revision=None, **kwargs):
        from .model import locate

        return cls(_core.Tokenizer.from_directory(locate(path_or_id, revision, **kwargs)[0]))

    # ---- vocabulary ----
    @property
    def vocab_size(self):
        return self._t.vocab_size

    def __len__(self):
        return self._t.vocab_size

    @property
    def model_max_length(self):
        return self._t.model_max_length

    def get_vocab(self):
        return {t: i for i, t in enumerate(self._t.convert_ids_to_tokens(range(self._t.vocab_size)))}

    def _token_id(self, token):
        i = self._t.token_to_id(token)
        return None if i < 0 else i

    cls_token = property(lambda self: self._t.cls_token)
    sep_token = property(lambda self: self._t.sep_token)
    pad_token = property(lambda self: self._t.pad_token)
    mask_token = property(lambda self: self._t.mask_token)
    unk_token = property(lambda self: self._t.unk_token)
    cls_token_id = property(lambda self: self._token_id(self._t.cls_token))
    sep_token_id = property(lambda self: self._token_id(self._t.sep_token))
    pad_token_id = property(lambda self: self._token_id(self._t.pad_token))
    mask_token_id = property(lambda self: self._token_id(self._t.mask_token))
    unk_token_id = property(lambda self: self._token_id(self._t.unk_token))
    do_lower_case = property(lambda self: self._t.do_lower_case)

    @property
    def all_special_tokens(self):
        return [self.cls_token, self.sep_token, self.pad_token, self.mask_token, self.unk_token]

    # ---- the notebook's steps ----
    def tokenize(self, text, pair=None, add_special_tokens=False):
        """Word pieces; with add_special_tokens the [CLS]/[SEP] template too (transformers' flag)."""
        if pair is None and not add_special_tokens:
            return self._t.tokenize(text)
        return list(self._t.encode(text, pair, add_special_tokens).tokens)

    def convert_tokens_to_ids(self, tokens):
        if isinstance(tokens, str):
            return self._t.convert_tokens_to_ids([tokens])[0]
        return self._t.convert_tokens_to_ids(list(tokens))

    def convert_ids_to_tokens(self, ids, skip_special_tokens=False):
        if isinstance(ids, (int, np.integer)):
            return self._t.convert_ids_to_tokens([int(ids)])[0]
        ids = _id_list(ids)
        tokens = self._t.convert_ids_to_tokens(ids)
        if skip_special_tokens:
            special = set(self.all_special_tokens)
            tokens = [t for t in tokens if t not in special]
        return tokens

    def encode(self, text, text_pair=None, add_special_tokens=True, truncation=False, max_length=None, **kwargs):
        return self.encode_plus(text, text_pair, add_special_tokens=add_special_tokens, truncation=truncation,
                                max_length=max_length, **kwargs)["input_ids"]

    def encode_plus(self, text, text_pair=None, **kwargs):
        if not _is_text(text):
            raise TypeError(f"encode_plus: text must be str, not {type(text).__name__} (use tok([...]) for a batch)")
        return self(text, text_pair, **kwargs)

    def batch_encode_plus(self, batch_text_or_text_pairs, **kwargs):
        texts, pairs = [], []
        for item in batch_text_or_text_pairs:
            if isinstance(item, (tuple, list)) and len(item) == 2:
                texts.append(item[0])
                pairs.append(item[1])
            else:
                texts.append(item)
        if pairs and len(pairs) != len(texts):
            raise ValueError("batch_encode_plus: mix of single texts and (text, pair) tuples")
        return self(texts, pairs or None, **kwargs)

    def _model_inputs(self, text, text_pair, truncation, max_length):
        """model(text)'s inputs: (input_ids, token_type_ids, attention_mask) as int32 [B, n] padded to the
        longest, the Encodings, batched. The same encodings as tok(text, padding=True, return_tensors="np"),
        packed straight from the library's: the general path's lists, BatchEncoding and re-checks of ids the
        library just made took ~0.1 ms a call — 8% of a MiniLM forward at 8 tokens (bench/python_api.py)."""
        if truncation not in _TRUNCATION:
            raise ValueError(f"truncation {truncation!r}: expected True, False, 'longest_first' or 'do_not_truncate'")
        limit, truncate = _max_length(max_length), _TRUNCATION[truncation]
        batched, text_pair = _checked_pair(text, text_pair)
        if not batched:
            encodings = [self._t.encode(text, text_pair, True, truncate, limit)]
            e = encodings[0]
            ids = np.array([e.ids], dtype=np.int32)
            return ids, np.array([e.type_ids], dtype=np.int32), np.ones_like(ids), encodings, False
        encodings = self._t.encode_batch(list(text), None if text_pair is None else list(text_pair), True, truncate,
                                         limit)
        if not encodings:
            raise ValueError("empty batch: no texts to encode")
        width = max(len(e) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_token_id or 0, dtype=np.int32)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for b, e in enumerate(encodings):
            k = len(e)
            ids[b, :k] = e.ids
            types[b, :k] = e.type_ids
            mask[b, :k] = 1
        return ids, types, mask, encodings, True

    def __call__(self, text, text_pair=None, add_special_tokens=True, padding=False, truncation=False,
                 max_length=None, return_tensors=None, return_token_type_ids=True, return_attention_mask=True,
                 return_offsets_mapping=False, return_special_tokens_mask=False, return_length=False):
        """``tok(text)``, ``tok(text, pair)``, ``tok([t1, t2], padding=True, return_tensors="np")``."""
        if truncation not in _TRUNCATION:
            raise ValueError(f"truncation {truncation!r}: expected True, False, 'longest_first' or 'do_not_truncate'")
        if padding not in _PADDING:
            raise ValueError(f"padding {padding!r}: expected True, False, 'longest', 'max_length' or 'do_not_pad'")
        if return_tensors not in (None, "np", "pt"):
            raise ValueError(f"return_tensors {return_tensors!r}: expected None, 'np' or 'pt'")
        limit = _max_length(max_length)
        truncate = _TRUNCATION[truncation]
        pad = _PADDING[padding]
        if pad == "max_length" and not limit:
            limit_pad = self.model_max_length
        else:
            limit_pad = limit
        batched, text_pair = _checked_pair(text, text_pair)
        if batched:
            encodings = self._t.encode_batch(list(text), None if text_pair is None else list(text_pair),
                                             add_special_tokens, truncate, limit)
        else:
            encodings = [self._t.encode(text, text_pair, add_special_tokens, truncate, limit)]
        if not encodings:
            raise ValueError("empty batch: no texts to encode")
        lengths = [len(e) for e in encodings]
        width = max(lengths) if pad == "longest" else max(max(lengths), limit_pad) if pad == "max_length" else None
        if return_tensors is not None and width is None and len(set(lengths)) > 1:
            raise ValueError("the texts have different lengths: pass padding=True to get one array "
                             f"(lengths {sorted(set(lengths))})")
        fields = {"input_ids": [list(e.ids) for e in encodings]}
        if return_token_type_ids:
            fields["token_type_ids"] = [list(e.type_ids) for e in encodings]
        if return_attention_mask:
            fields["attention_mask"] = [list(e.attention_mask) for e in encodings]
        if return_special_tokens_mask:
            fields["special_tokens_mask"] = [list(e.special_tokens_mask) for e in encodings]
        if return_offsets_mapping:
            fields["offset_mapping"] = [[tuple(o) for o in e.offsets] for e in encodings]
        if width is not None:
            pad_values = {"input_ids": self.pad_token_id or 0, "token_type_ids": 0, "attention_mask": 0,
                          "special_tokens_mask": 1, "offset_mapping": (0, 0)}
            for key, rows in fields.items():
                for row in rows:
                    row.extend([pad_values[key]] * (width - len(row)))
        if return_length:
            fields["length"] = lengths
        data = {k: _tensor(v, return_tensors) for k, v in fields.items()}
        if not batched and return_tensors is None:
            data = {k: v[0] for k, v in data.items()}
        return BatchEncoding(data, encodings, batched)


def _id_list(ids):
    arr = np.asarray(ids)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"ids: expected a list of int, got {arr.dtype} of shape {arr.shape}")
    return [int(i) for i in arr]


def _tensor(rows, kind):
    if kind is None:
        return rows
    arr = np.asarray(rows, dtype=np.int64)
    if kind == "pt":
        import torch

        return torch.from_numpy(arr)
    return arr
