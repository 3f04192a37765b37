"""pytorch_model.bin, read without Python and without running code: checkpoints written by the real
torch.save at test time — the zip format and the legacy pre-1.6 format, F32/F16/BF16 storages, strided
views, shards — must give exactly the tensors of the safetensors version; a pickle that refers to anything
but a plain state dict (os.system, eval, ...) is refused and nothing runs."""
import collections
import json
import os
import shutil

import numpy as np
import pytest

TEXT = "The output shows the attention values"


def _copy_without_weights(src, dst):
    dst.mkdir(parents=True)
    for f in os.listdir(src):
        if (src / f).is_file() and not f.endswith((".safetensors", ".bin", ".index.json")):
            shutil.copy(src / f, dst / f)
    return dst


def _state_dict(model_dir, dtype=None):
    import torch
    from safetensors.torch import load_file

    sd = load_file(str(model_dir / "model.safetensors"))
    if dtype is not None:
        sd = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items()}
    return collections.OrderedDict(sorted(sd.items()))


def _attentions(attnscope, model_dir, *extra):
    out = attnscope.json("run", TEXT, "--model", model_dir, "--format", "json", "-q", *extra)
    return np.array(out["attentions"], dtype=np.float32)


def _info(attnscope, model_dir):
    return attnscope.json("info", "--model", model_dir, "--format", "json", "-q")


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_bin_gives_the_same_attentions_as_safetensors(attnscope, minilm_dir, tmp_path, fmt, dtype):
    import torch
    from safetensors.torch import save_file

    torch_dtype = getattr(torch, dtype)
    sd = _state_dict(minilm_dir, None if dtype == "float32" else torch_dtype)
    st = _copy_without_weights(minilm_dir, tmp_path / "st")
    save_file(sd, str(st / "model.safetensors"))
    pt = _copy_without_weights(minilm_dir, tmp_path / "pt")
    torch.save(sd, str(pt / "pytorch_model.bin"), _use_new_zipfile_serialization=(fmt == "zip"))
    want, got = _attentions(attnscope, st), _attentions(attnscope, pt)
    print(f"{fmt} {dtype}: {int((want != got).sum())} of {want.size} attention values differ from the safetensors run")
    assert np.array_equal(want, got)
    info = _info(attnscope, pt)
    assert info["weights"]["format"] == f"pytorch_model.bin ({fmt} format)"


def test_strided_views_and_shared_storages(attnscope, minilm_dir, tmp_path):
    """Transposed and sliced views of one storage, as a training script can leave them, are gathered."""
    import torch
    from safetensors.torch import save_file

    sd = _state_dict(minilm_dir)
    st = _copy_without_weights(minilm_dir, tmp_path / "st")
    save_file(sd, str(st / "model.safetensors"))
    views = collections.OrderedDict(sd)
    for k, v in sd.items():
        if k.endswith("attention.self.query.weight"):
            views[k] = v.t().contiguous().t()          # a transposed (column-major) view
        elif k.endswith("intermediate.dense.bias"):
            big = torch.zeros(3 * v.numel())
            big[v.numel():2 * v.numel()] = v
            views[k] = big[v.numel():2 * v.numel()]    # a slice at an offset into a larger storage
    pair = torch.stack([sd["encoder.layer.0.output.dense.weight"], sd["encoder.layer.1.output.dense.weight"]])
    views["encoder.layer.0.output.dense.weight"] = pair[0]  # two tensors in one storage
    views["encoder.layer.1.output.dense.weight"] = pair[1]
    assert not views["encoder.layer.0.attention.self.query.weight"].is_contiguous()
    for fmt in ("zip", "legacy"):
        pt = _copy_without_weights(minilm_dir, tmp_path / f"pt-{fmt}")
        torch.save(views, str(pt / "pytorch_model.bin"), _use_new_zipfile_serialization=(fmt == "zip"))
        assert np.array_equal(_attentions(attnscope, st), _attentions(attnscope, pt)), fmt


def test_sharded_bin_with_bert_prefix_gamma_beta_and_mlm_head(attnscope, bert_base_dir, tmp_path):
    """The layout transformers 4.x wrote for big checkpoints: pytorch_model-0000k-of-0000n.bin shards and
    pytorch_model.bin.index.json; bert-base's 2018 key names ("bert.", LayerNorm.gamma/beta, cls.*)."""
    import torch

    sd = _state_dict(bert_base_dir)
    assert any(k.endswith("LayerNorm.gamma") for k in sd) and any(k.startswith("cls.predictions") for k in sd)
    out = _copy_without_weights(bert_base_dir, tmp_path / "sharded")
    keys = list(sd)
    shards = [keys[i::3] for i in range(3)]
    weight_map = {}
    for i, names in enumerate(shards):
        name = f"pytorch_model-{i + 1:05d}-of-{len(shards):05d}.bin"
        torch.save(collections.OrderedDict((k, sd[k]) for k in names), str(out / name))
        weight_map.update({k: name for k in names})
    total = sum(v.numel() * v.element_size() for v in sd.values())
    (out / "pytorch_model.bin.index.json").write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}))
    assert np.array_equal(_attentions(attnscope, bert_base_dir), _attentions(attnscope, out))
    info = _info(attnscope, out)
    print(info["weights"]["format"], info["weights"]["files"])
    assert info["weights"]["format"] == "pytorch_model.bin (zip format, sharded)"
    assert info["weights"]["mlm_head"] is True and info["weights"]["key_prefix"] == "bert."
    assert info["weights"]["layer_norm_names"] == "gamma/beta"
    masked = attnscope.json("fill-mask", "The [MASK] shows the attention values", "--model", out, "--format", "json", "-q")
    base = attnscope.json("fill-mask", "The [MASK] shows the attention values", "--model", bert_base_dir, "--format", "json", "-q")
    assert masked["predictions"] == base["predictions"]


class _Evil:
    def __init__(self, call):
        self.call = call

    def __reduce__(self):
        return self.call


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
@pytest.mark.parametrize("call", ["os.system", "builtins.eval", "subprocess.Popen"])
def test_a_pickle_that_calls_code_is_refused_and_nothing_runs(attnscope, minilm_dir, tmp_path, fmt, call):
    import builtins
    import subprocess

    import torch

    marker = tmp_path / "pwned"
    command = f"touch {marker}"
    fn = {"os.system": (os.system, (command,)), "builtins.eval": (builtins.eval, (f"__import__('os').system('{command}')",)),
          "subprocess.Popen": (subprocess.Popen, (["touch", str(marker)],))}[call]
    sd = _state_dict(minilm_dir)
    sd["embeddings.word_embeddings.weight"] = _Evil(fn)
    pt = _copy_without_weights(minilm_dir, tmp_path / "pt")
    torch.save(sd, str(pt / "pytorch_model.bin"), _use_new_zipfile_serialization=(fmt == "zip"))
    proc = attnscope("run", TEXT, "--model", pt, "-q", check=False)
    err = proc.stderr.decode()
    print(err.strip())
    assert proc.returncode == 1
    # Protocol 2 names builtins "__builtin__"; os.system is posix.system on Linux.
    names = {"os.system": ["posix.system"], "builtins.eval": ["__builtin__.eval", "builtins.eval"],
             "subprocess.Popen": ["subprocess.Popen", "commands.Popen"]}[call]  # protocol 2 maps subprocess to Python 2 names
    assert any(f"refusing to load: the pickle refers to {n}," in err for n in names)
    assert not marker.exists(), "the checkpoint's code ran"


def test_damaged_bin_files_get_clear_errors(attnscope, minilm_dir, tmp_path):
    import torch

    sd = _state_dict(minilm_dir)
    for fmt in ("zip", "legacy"):
        pt = _copy_without_weights(minilm_dir, tmp_path / f"pt-{fmt}")
        path = pt / "pytorch_model.bin"
        torch.save(sd, str(path), _use_new_zipfile_serialization=(fmt == "zip"))
        data = path.read_bytes()
        for cut in (len(data) // 2, len(data) - 100, 40):
            path.write_bytes(data[:cut])
            proc = attnscope("run", TEXT, "--model", pt, "-q", check=False)
            err = proc.stderr.decode().strip()
            print(f"{fmt} cut at {cut}: {err}")
            assert proc.returncode == 1 and err.startswith("attnscope: error: ") and "\n" not in err
            assert "pytorch_model.bin" in err
    # A pickle of something else than a state dict.
    pt = _copy_without_weights(minilm_dir, tmp_path / "list")
    torch.save([torch.zeros(3)], str(pt / "pytorch_model.bin"))
    err = attnscope("run", TEXT, "--model", pt, "-q", check=False).stderr.decode()
    assert "rather than a state dict" in err
