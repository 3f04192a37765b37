"""Tokenizer parity against the real `tokenizers` library (the pipeline of transformers v5 BertTokenizer
and of every BertTokenizerFast) on 1,244 strings and 200 pairs, in three normaliser configurations:
identical ids and identical character offsets for every token, special tokens included."""
import json
import shutil

import pytest

from conftest import record
from conformance.tokenize_compare import mismatches as tokenize_mismatches, write_cases
from conformance.tokenizer_strings import all_strings, pairs

CONFIGS = {
    "minilm-tokenizer-json": None,  # all-MiniLM-L6-v2's own tokenizer.json (uncased, strips accents)
    "lowercase-keep-accents": {"do_lower_case": True, "strip_accents": False},
    "cased": {"do_lower_case": False},
}


def _reference(minilm_dir, flags):
    from tokenizers import AddedToken, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    if flags is None:
        tok = Tokenizer.from_file(str(minilm_dir / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok
    vocab = {}
    for i, line in enumerate((minilm_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")):
        if line or i == 0:
            vocab[line.rstrip()] = i
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=flags.get("strip_accents"),
                                                lowercase=flags["do_lower_case"])
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.add_special_tokens([AddedToken(t, normalized=False) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")])
    return tok


def _model_dir(minilm_dir, flags, tmp_path):
    if flags is None:
        return minilm_dir
    d = tmp_path / "tok"
    d.mkdir()
    shutil.copy(minilm_dir / "vocab.txt", d / "vocab.txt")
    shutil.copy(minilm_dir / "config.json", d / "config.json")
    (d / "tokenizer_config.json").write_text(json.dumps(dict(flags, tokenizer_class="BertTokenizer",
                                                             model_max_length=512)))
    return d


@pytest.mark.parametrize("config", list(CONFIGS), ids=list(CONFIGS))
def test_ids_and_offsets_match_tokenizers(config, attnscope, minilm_dir, tmp_path):
    flags = CONFIGS[config]
    ref = _reference(minilm_dir, flags)
    cases = [(s, None) for s in all_strings()] + pairs()
    lines = tmp_path / "in.jsonl"
    write_cases(lines, cases)
    mismatches = tokenize_mismatches(attnscope, _model_dir(minilm_dir, flags, tmp_path), lines, cases, ref,
                                     ("ids", "offsets", "tokens"))
    print(f"{config}: {len(cases)} inputs compared, {len(mismatches)} differ")
    record("tokenizer vs tokenizers 0.23", f"{config} mismatches", len(mismatches))
    assert not mismatches


def test_transformers_bert_tokenizer_is_the_tokenizers_pipeline(minilm_dir, tmp_path):
    """The reference choice itself: transformers v5 BertTokenizer gives the same ids as tokenizers."""
    from transformers import AutoTokenizer

    for config, flags in CONFIGS.items():
        (tmp_path / config).mkdir()
        d = _model_dir(minilm_dir, flags, tmp_path / config)
        hf = AutoTokenizer.from_pretrained(str(d))
        ref = _reference(minilm_dir, flags)
        for s in all_strings()[:300]:
            assert hf(s)["input_ids"] == ref.encode(s).ids, (config, s)
