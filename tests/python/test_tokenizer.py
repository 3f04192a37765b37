"""The tokenizer against transformers' BertTokenizerFast on the conformance suite's parity strings (1,244
strings and 200 pairs): identical tokens, ids, token type ids, attention masks and offsets; truncation,
max_length, pairs and padded batches the same as transformers' own call."""
import numpy as np
import pytest

from conftest import record
from conformance.tokenizer_strings import all_strings, pairs


@pytest.fixture(scope="module")
def hf_tok(minilm_dir):
    from transformers import BertTokenizerFast

    return BertTokenizerFast.from_pretrained(str(minilm_dir))


def _fields(enc):
    return (list(enc["input_ids"]), list(enc["token_type_ids"]), list(enc["attention_mask"]),
            [tuple(o) for o in enc["offset_mapping"]])


def test_parity_strings_identical_to_bert_tokenizer_fast(minilm, hf_tok):
    tok = minilm.tokenizer
    cases = [(s, None) for s in all_strings()] + pairs()
    differ = []
    for text, pair in cases:
        ours = tok.encode_plus(text, pair, return_offsets_mapping=True)
        ref = hf_tok(text, pair, return_offsets_mapping=True)
        if _fields(ours) != _fields(ref) or tok.convert_ids_to_tokens(ours["input_ids"]) != ref.tokens():
            differ.append((text, pair))
    print(f"{len(cases)} inputs compared with BertTokenizerFast, {len(differ)} differ")
    record("python tokenizer vs BertTokenizerFast", "mismatches", len(differ))
    assert not differ[:5]


def test_notebook_steps_match(minilm, hf_tok):
    text = "The output shows the attention values"
    tok = minilm.tokenizer
    tokens = tok.tokenize(text)
    assert tokens == hf_tok.tokenize(text)
    assert tok.convert_tokens_to_ids(tokens) == hf_tok.convert_tokens_to_ids(tokens)
    assert tok.convert_tokens_to_ids("attention") == hf_tok.convert_tokens_to_ids("attention")
    assert tok.convert_ids_to_tokens(tok.encode(text)) == hf_tok.convert_ids_to_tokens(hf_tok.encode(text))
    assert tok.encode(text) == hf_tok.encode(text)
    assert tok.convert_tokens_to_ids(["not-a-token-at-all"]) == [hf_tok.unk_token_id]
    assert (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id, tok.mask_token_id) == (
        hf_tok.cls_token_id, hf_tok.sep_token_id, hf_tok.pad_token_id, hf_tok.mask_token_id)
    assert tok.vocab_size == hf_tok.vocab_size and tok.model_max_length == hf_tok.model_max_length


@pytest.mark.parametrize("max_length", [5, 9, 16])
def test_truncation_longest_first_matches(minilm, hf_tok, max_length):
    text, pair = "a rather long first sentence with many words in it", "and a short pair"
    for p in (None, pair):
        ours = minilm.tokenizer(text, p, truncation=True, max_length=max_length, return_offsets_mapping=True)
        ref = hf_tok(text, p, truncation=True, max_length=max_length, return_offsets_mapping=True)
        assert _fields(ours) == _fields(ref)


def test_padded_batch_matches(minilm, hf_tok):
    texts = ["short", "a somewhat longer text, with punctuation.", "中文 and emoji 🙂"]
    pair_texts = ["x", "y z", "w"]
    for p in (None, pair_texts):
        ours = minilm.tokenizer(texts, p, padding=True, return_tensors="np", return_special_tokens_mask=True)
        ref = hf_tok(texts, p, padding=True, return_tensors="np", return_special_tokens_mask=True)
        for key in ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask"):
            np.testing.assert_array_equal(ours[key], ref[key], err_msg=key)
    ours = minilm.tokenizer(texts, padding="max_length", max_length=20)
    ref = hf_tok(texts, padding="max_length", max_length=20)
    assert ours["input_ids"] == ref["input_ids"] and ours["attention_mask"] == ref["attention_mask"]


def test_return_tensors_pt(minilm, hf_tok):
    ours = minilm.tokenizer("Hello, my dog is cute", return_tensors="pt")
    ref = hf_tok("Hello, my dog is cute", return_tensors="pt")
    assert ours["input_ids"].dtype == ref["input_ids"].dtype
    assert ours["input_ids"].tolist() == ref["input_ids"].tolist()


def test_batch_without_padding_refuses_tensors(minilm):
    with pytest.raises(ValueError, match="padding=True"):
        minilm.tokenizer(["a", "a b c d"], return_tensors="np")
