"""The BERT family beyond bert-base: bert-large's shapes, ELECTRA discriminators (base, and small with its
embedding projection), DistilBERT and RoBERTa — each a synthetic checkpoint with the family's real config
shapes and key names, written by transformers itself, compared with transformers (attention within 1e-5, as
for BERT); and RoBERTa's byte-level BPE tokenizer against `tokenizers` on the parity strings."""
import json
import shutil

import numpy as np
import pytest

from conftest import CACHE, record
from conformance.tokenize_compare import mismatches as tokenize_mismatches, write_cases
from conformance.tokenizer_strings import all_strings, pairs

SENTENCES = [("The output shows the attention values", None),
             ("Tokenization handles unbelievably long words.", None),
             ("Where did the cat go?", "It went home, they say.")]

# The published configs of the checkpoints users load, as config.json has them.
FAMILIES = {
    "electra-base-discriminator": ("electra", "ElectraForPreTraining", dict(
        vocab_size=30522, embedding_size=768, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, hidden_act="gelu", max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12)),
    "electra-small-discriminator": ("electra", "ElectraForPreTraining", dict(
        vocab_size=30522, embedding_size=128, hidden_size=256, num_hidden_layers=12, num_attention_heads=4,
        intermediate_size=1024, hidden_act="gelu", max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12)),
    "distilbert-base-uncased": ("distilbert", "DistilBertForMaskedLM", dict(
        vocab_size=30522, dim=768, n_layers=6, n_heads=12, hidden_dim=3072, activation="gelu",
        max_position_embeddings=512, sinusoidal_pos_embds=False)),
    # bert-large-uncased's layer shapes (hidden 1024 = 4 KB rows, which the engine pads: kernels::
    # activation_stride), with 2 of its 24 layers to keep the checkpoint at 230 MB instead of 1.3 GB.
    "bert-large-uncased (2 layers)": ("bert", "BertForMaskedLM", dict(
        vocab_size=30522, hidden_size=1024, num_hidden_layers=2, num_attention_heads=16, intermediate_size=4096,
        hidden_act="gelu", max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12)),
    "roberta-base": ("roberta", "RobertaForMaskedLM", dict(
        vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        hidden_act="gelu", max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1,
        bos_token_id=0, eos_token_id=2)),
}


def _roberta_tokenizer(out_dir):
    """A byte-level BPE trained at test time (roberta-base's vocabulary cannot be downloaded here), saved the
    way RobertaTokenizerFast saves it: tokenizer.json, vocab.json, merges.txt, tokenizer_config.json."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import RobertaTokenizerFast

    # A fixed training text (the tokenizer parity strings), so that the checkpoint does not change whenever
    # the docs do.
    corpus = all_strings()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True, add_prefix_space=False)
    fast = RobertaTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                model_max_length=512)
    fast.save_pretrained(str(out_dir))
    tok.model.save(str(out_dir))  # vocab.json + merges.txt


def _make(name):
    import torch
    import transformers

    family, arch, cfg = FAMILIES[name]
    out = CACHE / f"family-{name.split()[0]}-v2"
    if (out / "config.json").exists():
        return out
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    torch.manual_seed(0)
    config = transformers.AutoConfig.for_model(family, **cfg)
    model = getattr(transformers, arch)(config).eval()
    # Sharper attention than a fresh initialisation, like trained heads.
    with torch.no_grad():
        for n, p in model.named_parameters():
            if any(k in n for k in ("query.weight", "key.weight", "q_lin.weight", "k_lin.weight")):
                p.mul_(2.5)
    model.save_pretrained(str(tmp))
    if family == "roberta":
        _roberta_tokenizer(tmp)
    else:
        from conftest import MINILM

        for f in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            if (MINILM / f).exists():
                shutil.copy(MINILM / f, tmp / f)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


@pytest.fixture(scope="module", params=list(FAMILIES))
def family_dir(request):
    return request.param, _make(request.param)


def _hf(model_dir, text, pair):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    enc = tok(text, pair, return_tensors="pt")
    with torch.no_grad():
        out = model(**enc, output_attentions=True)
    return enc["input_ids"][0].tolist(), np.stack([a[0].numpy() for a in out.attentions])


def test_attentions_match_transformers(attnscope, family_dir):
    name, model_dir = family_dir
    worst = 0.0
    for text, pair in SENTENCES:
        args = ["run", text, "--model", model_dir, "--format", "json", "-q"] + (["--pair", pair] if pair else [])
        out = attnscope.json(*args)
        ids, att = _hf(model_dir, text, pair)
        assert out["encoding"]["input_ids"] == ids, (name, out["encoding"]["tokens"])
        diff = float(np.abs(np.array(out["attentions"], np.float32) - att).max())
        worst = max(worst, diff)
    print(f"{name}: attention max |attnscope - transformers| = {worst:.2e}")
    record(f"family {name} vs transformers", "attention max abs diff", worst)
    assert worst < 1e-5


def test_info_names_the_family(attnscope, family_dir):
    name, model_dir = family_dir
    info = attnscope.json("info", "--model", model_dir, "--format", "json", "-q")
    assert info["family"] == FAMILIES[name][0]
    assert info["weights"]["key_prefix"] == FAMILIES[name][0] + "."


def test_roberta_bpe_tokenizer_matches_tokenizers(attnscope, tmp_path):
    from tokenizers import Tokenizer

    model_dir = _make("roberta-base")
    ref = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    ref.no_truncation()
    ref.no_padding()
    cases = [(s, None) for s in all_strings()] + pairs()
    lines = tmp_path / "in.jsonl"
    write_cases(lines, cases)
    # Both ways a RoBERTa folder can carry its tokenizer: tokenizer.json, or vocab.json + merges.txt.
    slow_dir = tmp_path / "vocab-json"
    slow_dir.mkdir()
    for f in ("config.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"):
        if (model_dir / f).exists():
            shutil.copy(model_dir / f, slow_dir / f)
    for label, d in (("tokenizer.json", model_dir), ("vocab.json+merges.txt", slow_dir)):
        mismatches = tokenize_mismatches(attnscope, d, lines, cases, ref, ("ids", "offsets", "type_ids"))
        print(f"RoBERTa BPE ({label}): {len(cases)} inputs compared, {len(mismatches)} differ")
        record("tokenizer vs tokenizers 0.23", f"roberta-bpe {label} mismatches", len(mismatches))
        assert not mismatches


@pytest.mark.parametrize("model_type", ["xlm-roberta", "albert", "gpt2"])
def test_unsupported_architectures_name_what_is_supported(attnscope, minilm_dir, tmp_path, model_type):
    d = tmp_path / model_type
    shutil.copytree(minilm_dir, d)
    cfg = json.loads((d / "config.json").read_text())
    cfg["model_type"] = model_type
    (d / "config.json").write_text(json.dumps(cfg))
    proc = attnscope("run", "--model", d, "-q", check=False)
    err = proc.stderr.decode().strip()
    print(err)
    assert proc.returncode == 1 and f"model_type '{model_type}' is not supported" in err
    assert "bert" in err and "electra" in err and "distilbert" in err and "roberta" in err
