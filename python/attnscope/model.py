"""The model: ``attnscope.from_pretrained(path_or_id)`` and ``model(...)``, shaped like transformers'
``BertModel.from_pretrained(..., output_attentions=True)`` — over the C++ engine (no second engine)."""
import os
import queue
import threading

import numpy as np

from . import _core
from .errors import Error, ModelNotFoundError
from .output import ModelOutput
from .tokenizer import Tokenizer

__all__ = ["Model", "from_pretrained", "locate"]

# transformers' from_pretrained arguments that mean nothing here but are harmless in a copied line.
_ACCEPTED_HF_KWARGS = {"attn_implementation", "trust_remote_code", "low_cpu_mem_usage"}
_CAPTURES = ("output_hidden_states", "output_qkv", "output_scores", "output_contexts")


def _downloader(choice):
    """huggingface_hub when it is installed (choice 'auto'), the library's own downloader otherwise."""
    if choice not in ("auto", "huggingface_hub", "attnscope"):
        raise ValueError(f"downloader {choice!r}: expected 'auto', 'huggingface_hub' or 'attnscope'")
    if choice == "attnscope":
        return None
    from . import download

    if download.have_huggingface_hub():
        return download.hf_download
    if choice == "huggingface_hub":
        raise ImportError("downloader='huggingface_hub' but huggingface_hub is not installed")
    return None


def _fetcher(downloader, local_files_only):
    """What the library calls for an id missing from the cache: None = its own downloader."""
    if not local_files_only:
        return _downloader(downloader)

    def refuse(repo_id, revision):
        raise ModelNotFoundError(f"model '{repo_id}' (revision {revision}) is not in the Hugging Face cache "
                                 "and local_files_only=True")
    return refuse


def _spec(path_or_id, revision):
    if isinstance(path_or_id, os.PathLike):
        path_or_id = os.fspath(path_or_id)
    if not isinstance(path_or_id, str):
        raise TypeError(f"from_pretrained: expected a folder or a model id (str), not {type(path_or_id).__name__}")
    if revision is None:
        return path_or_id
    if not isinstance(revision, str) or not revision:
        raise ValueError(f"revision {revision!r}: expected a branch, tag or commit")
    if os.path.isdir(os.path.expanduser(path_or_id)):
        raise ValueError(f"revision {revision!r}: {path_or_id} is a folder, which has no revisions")
    return f"{path_or_id}@{revision}"


def _not_found(spec, error):
    """A missing folder or model id is a ModelNotFoundError (also a FileNotFoundError), with the library's message."""
    msg = str(error)
    if not os.path.exists(os.path.expanduser(spec)) and ("no such folder" in msg or "not in the Hugging Face cache" in msg):
        return ModelNotFoundError(msg)
    return None


def locate(path_or_id, revision=None, *, downloader="auto", local_files_only=False):
    """Where the model that `path_or_id` names is (a folder, or a hub id at `revision`), fetching it when
    it is not in the cache: (directory, name, resolved_by)."""
    spec = _spec(path_or_id, revision)
    try:
        return _core.Model.locate_model(spec, _fetcher(downloader, local_files_only))
    except ModelNotFoundError:
        raise
    except Error as e:
        raise (_not_found(spec, e) or e) from None


def _load(path_or_id, revision, weights, downloader, local_files_only):
    spec = _spec(path_or_id, revision)
    try:
        return _core.Model.load(spec, _fetcher(downloader, local_files_only), weights, 0)
    except ModelNotFoundError:
        raise
    except Error as e:
        raise (_not_found(spec, e) or e) from None


def from_pretrained(pretrained_model_name_or_path, *, revision=None, threads=0, weights="fp32", downloader="auto",
                    local_files_only=False, output_attentions=True, output_hidden_states=False, output_qkv=False,
                    output_scores=False, output_contexts=False, **kwargs):
    """A model folder or a Hugging Face model id ('bert-base-uncased', 'org/name'), optionally at a
    `revision`. `threads`: per call (0 = one per core). The output_* flags are the defaults of every call.
    `weights`: 'fp32' (exact, default), or the faster 'fp16', 'bf16', 'int8' storage."""
    for key in kwargs:
        if key not in _ACCEPTED_HF_KWARGS:
            raise TypeError(f"from_pretrained() got an unexpected keyword argument '{key}'")
    if output_attentions is not True:
        raise ValueError("output_attentions: attnscope always returns the attentions")
    core = _load(pretrained_model_name_or_path, revision, weights, downloader, local_files_only)
    defaults = dict(output_hidden_states=output_hidden_states, output_qkv=output_qkv, output_scores=output_scores,
                    output_contexts=output_contexts)
    return Model(core, threads=threads, defaults=defaults)


class Config:
    """The model's config.json as attnscope read it: attributes like transformers' ``model.config``."""

    def __init__(self, values):
        self.__dict__.update(values)

    def to_dict(self):
        return dict(self.__dict__)

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


def _threads(threads):
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads: expected an int, not {type(threads).__name__}")
    return int(threads)


def _ids_array(value, name, shape=None):
    """input_ids etc. as an int32 [B][n] array: lists, NumPy arrays or torch tensors, 1-D or 2-D."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{name}: not a rectangular array of ints ({e})") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected [batch, tokens] or [tokens], got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.bool_:
        raise TypeError(f"{name}: expected integers, got {arr.dtype}")
    if arr.size and (arr.min() < -2**31 or arr.max() >= 2**31):
        raise ValueError(f"{name}: values outside int32")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name}: shape {arr.shape} differs from input_ids' {shape}")
    return np.ascontiguousarray(arr, dtype=np.int32)


class Model:
    """A loaded encoder. ``model(text)``, ``model(text, pair)``, ``model([t1, t2])``, ``model(**inputs)``
    → ModelOutput; ``model.stream(text)`` yields each layer as it finishes. Any number of Python threads may
    call one model at once (each call has its own workspace; the GIL is released while it runs)."""

    def __init__(self, core, threads=0, defaults=None):
        self._core = core
        self.threads = _threads(threads)
        self.defaults = dict(defaults or {})
        self.tokenizer = Tokenizer(core.tokenizer)
        self.config = Config(core.config)

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        return from_pretrained(*args, **kwargs)

    @property
    def name(self):
        return self._core.name

    @property
    def directory(self):
        return self._core.directory

    @property
    def info(self):
        """schema.h's model_info: name, path, resolved_by, family, sizes, weight storage, parameters."""
        import json

        return json.loads(_core.model_info(self._core))

    @property
    def weights_info(self):
        """How the weights were read: files, format, dtype, zero-copy/converted/packed bytes."""
        return self._core.info

    @property
    def has_mlm_head(self):
        return self._core.has_mlm_head

    def __repr__(self):
        c = self.config
        return (f"attnscope.Model({self.name!r}, {c.model_type}, {c.num_hidden_layers} layers x "
                f"{c.num_attention_heads} heads, hidden {c.hidden_size})")

    # ---- inputs ----
    def _inputs(self, text, text_pair, input_ids, token_type_ids, attention_mask, truncation, max_length):
        if text is not None and input_ids is not None:
            raise ValueError("give either a text or input_ids, not both")
        if text is None and input_ids is None:
            raise ValueError("nothing to run: give a text, a list of texts, or input_ids")
        if text is not None:
            if isinstance(text, dict):
                raise TypeError("model(inputs): unpack the tokenizer's output with model(**inputs)")
            return self.tokenizer._model_inputs(text, text_pair, truncation, max_length)
        if text_pair is not None:
            raise ValueError("text_pair needs a text")
        ids = _ids_array(input_ids, "input_ids")
        batched = ids.shape[0] > 1  # a [1, n] tensor from return_tensors="pt" is one input, not a batch
        types = (np.zeros_like(ids) if token_type_ids is None
                 else _ids_array(token_type_ids, "token_type_ids", ids.shape))
        mask = np.ones_like(ids) if attention_mask is None else _ids_array(attention_mask, "attention_mask", ids.shape)
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise ValueError("attention_mask: expected only 0 and 1")
        t = self._core.tokenizer
        encodings = []
        for b in range(ids.shape[0]):
            keep = np.flatnonzero(mask[b])
            encodings.append(t.encoding_from_ids(ids[b, keep].tolist(), types[b, keep].tolist(), mask[b, keep].tolist()))
        return ids, types, mask, encodings, batched

    def _flags(self, overrides):
        flags = dict(self.defaults)
        for k, v in overrides.items():
            if v is not None:
                flags[k] = bool(v)
        return flags

    def _run(self, args, flags, threads, head_mask, ablation, callback=None):
        ids, types, mask, encodings, batched = args
        hm = None
        if head_mask is not None:
            hm = np.ascontiguousarray(np.asarray(head_mask, dtype=np.float32))
            want = (self.config.num_hidden_layers, self.config.num_attention_heads)
            if hm.shape != want:
                raise ValueError(f"head_mask: expected shape {want} (1 = keep, 0 = ablate), got {hm.shape}")
        blocks = self._core.forward(ids, types, mask, qkv=flags["output_qkv"], scores=flags["output_scores"],
                                    hidden_states=flags["output_hidden_states"], context=flags["output_contexts"],
                                    threads=self.threads if threads is None else _threads(threads), head_mask=hm,
                                    ablation=ablation, callback=callback)
        if blocks.pop("cancelled"):
            return None
        out = ModelOutput(self, blocks, ids.astype(np.int64), types.astype(np.int64), mask.astype(np.int64),
                          encodings, batched)
        return out

    def __call__(self, text=None, text_pair=None, *, input_ids=None, token_type_ids=None, attention_mask=None,
                 output_attentions=True, output_hidden_states=None, output_qkv=None, output_scores=None,
                 output_contexts=None, head_mask=None, ablation="zero", truncation=False, max_length=None,
                 threads=None, return_dict=True, offset_mapping=None, special_tokens_mask=None, length=None):
        """Runs the encoder. ``offset_mapping``/``special_tokens_mask`` are accepted (and unused) so that a
        tokenizer output with them unpacks straight into the call."""
        if output_attentions is not True:
            raise ValueError("output_attentions: attnscope always returns the attentions")
        args = self._inputs(text, text_pair, input_ids, token_type_ids, attention_mask, truncation, max_length)
        flags = self._flags(dict(output_hidden_states=output_hidden_states, output_qkv=output_qkv,
                                 output_scores=output_scores, output_contexts=output_contexts))
        out = self._run(args, flags, threads, head_mask, ablation)
        return out if return_dict else out.to_tuple()

    def stream(self, text=None, text_pair=None, *, input_ids=None, token_type_ids=None, attention_mask=None,
               truncation=False, max_length=None, threads=None, **outputs):
        """Yields (layer, attentions [B, H, n, n]) as each layer finishes — the forward runs on a worker thread
        with the GIL released, and each array is a view of the final output (no copy). The generator's
        return value (StopIteration.value) is the whole ModelOutput. Closing it early stops the forward."""
        for key in outputs:
            if key not in _CAPTURES:
                raise TypeError(f"stream() got an unexpected keyword argument '{key}'")
        args = self._inputs(text, text_pair, input_ids, token_type_ids, attention_mask, truncation, max_length)
        flags = self._flags(outputs)
        return _stream(self, args, flags, threads)


def _stream(model, args, flags, threads):
    layers = queue.Queue()
    stop = threading.Event()
    result = {}

    def on_layer(layer, attentions):
        layers.put((layer, attentions))
        return not stop.is_set()

    def work():
        try:
            result["out"] = model._run(args, flags, threads, None, "zero", callback=on_layer)
        except BaseException as e:  # raised again in the consumer's thread
            result["error"] = e
        finally:
            layers.put(None)

    worker = threading.Thread(target=work, name="attnscope-stream", daemon=True)
    worker.start()
    try:
        while True:
            item = layers.get()
            if item is None:
                break
            layer, attentions = item
            yield layer, attentions[:, layer]
        worker.join()
        if "error" in result:
            raise result["error"]
        return result.get("out")
    finally:
        stop.set()
        worker.join()
