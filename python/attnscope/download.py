"""Downloads through huggingface_hub when it is installed: the same cache, HF_HUB_OFFLINE, HF_TOKEN,
HF_ENDPOINT and revisions as transformers. Only the files attnscope reads are fetched, in the order the
library's own downloader (attnscope/hub.h) uses: config.json first (it fixes the commit), the tokenizer's
files where present, then the weights — safetensors before the pickle, single or sharded."""
import json
import os

from .errors import Error

TOKENIZER_FILES = ("tokenizer_config.json", "tokenizer.json", "vocab.txt", "special_tokens_map.json", "vocab.json",
                   "merges.txt")
WEIGHTS = (("model.safetensors", "model.safetensors.index.json"), ("pytorch_model.bin", "pytorch_model.bin.index.json"))


def have_huggingface_hub():
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        return False
    return True


def _missing_file_errors():
    import huggingface_hub.errors as errors

    return tuple(getattr(errors, n) for n in ("EntryNotFoundError", "RemoteEntryNotFoundError") if hasattr(errors, n))


def hf_download(repo_id, revision="main"):
    """The snapshot folder of `repo_id` at `revision` in the Hugging Face cache, fetched with huggingface_hub."""
    from huggingface_hub import hf_hub_download

    missing = _missing_file_errors()
    try:
        config = hf_hub_download(repo_id, "config.json", revision=revision)
    except Exception as e:  # noqa: BLE001 — huggingface_hub's own message says what went wrong
        raise Error(f"{repo_id} (revision {revision}): {type(e).__name__}: {str(e).splitlines()[0]}") from e
    snapshot = os.path.dirname(config)
    commit = os.path.basename(snapshot)  # every other file from the commit config.json came from
    for name in TOKENIZER_FILES:
        try:
            hf_hub_download(repo_id, name, revision=commit)
        except missing:
            pass
    for single, index in WEIGHTS:
        try:
            hf_hub_download(repo_id, single, revision=commit)
            return snapshot
        except missing:
            pass
        try:
            index_path = hf_hub_download(repo_id, index, revision=commit)
        except missing:
            continue
        with open(index_path, encoding="utf-8") as f:
            shards = sorted(set(json.load(f).get("weight_map", {}).values()))
        for shard in shards:
            hf_hub_download(repo_id, shard, revision=commit)
        return snapshot
    raise Error(f"{repo_id} has no model.safetensors or pytorch_model.bin (nor their .index.json) at revision {revision}")
