// Tokenizer cases from transformers' own tests (tests/models/bert/test_tokenization_bert.py) and from
// hf-parity.md §6, on the toy vocabularies those tests use.
#include <gtest/gtest.h>

#include "attnscope/error.h"
#include "attnscope/tokenizer.h"

using attnscope::tokenizer::Tokenizer;
using attnscope::tokenizer::TokenizerConfig;

namespace {

Tokenizer make(const std::vector<std::string>& vocab_list, TokenizerConfig cfg = {}) {
    std::unordered_map<std::string, int32_t> vocab;
    for (size_t i = 0; i < vocab_list.size(); ++i) vocab[vocab_list[i]] = static_cast<int32_t>(i);
    for (const char* s : {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"}) {
        if (!vocab.count(s)) vocab[s] = static_cast<int32_t>(vocab.size());
    }
    return Tokenizer(vocab, cfg, {});
}

const std::vector<std::string> kFullTokenizerVocab = {"[UNK]", "[CLS]",  "[SEP]", "[PAD]", "[MASK]",
                                                      "want",  "##want", "##ed",  "wa",    "un",
                                                      "runn",  "##ing",  ",",     "low",   "lowest"};

// A vocabulary containing every word the BasicTokenizer cases produce, so WordPiece passes them through.
Tokenizer basic(const std::vector<std::string>& words, TokenizerConfig cfg) {
    return make(words, cfg);
}

}  // namespace

TEST(Tokenizer, FullTokenizerCase) {
    Tokenizer tok = make(kFullTokenizerVocab);
    auto tokens = tok.tokenize("UNwant\u00E9d,running");
    EXPECT_EQ(tokens, (std::vector<std::string>{"un", "##want", "##ed", ",", "runn", "##ing"}));
    EXPECT_EQ(tok.convert_tokens_to_ids(tokens), (std::vector<int32_t>{9, 6, 7, 12, 10, 11}));
}

TEST(Tokenizer, WordPieceGreedyAndUnknown) {
    Tokenizer tok = make({"[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing"});
    EXPECT_EQ(tok.tokenize(""), std::vector<std::string>{});
    EXPECT_EQ(tok.tokenize("unwanted running"), (std::vector<std::string>{"un", "##want", "##ed", "runn", "##ing"}));
    EXPECT_EQ(tok.tokenize("unwantedX running"), (std::vector<std::string>{"[UNK]", "runn", "##ing"}));
}

TEST(Tokenizer, BasicLower) {
    TokenizerConfig cfg;
    Tokenizer tok = basic({"hello", "!", "how", "are", "you", "?"}, cfg);
    EXPECT_EQ(tok.tokenize(" \tHeLLo!how  \n Are yoU?  "),
              (std::vector<std::string>{"hello", "!", "how", "are", "you", "?"}));
    EXPECT_EQ(tok.tokenize("H\u00E9llo"), (std::vector<std::string>{"hello"}));
}

TEST(Tokenizer, BasicLowerKeepAccents) {
    TokenizerConfig cfg;
    cfg.strip_accents = false;
    Tokenizer tok = basic({"h\u00E4llo", "!", "how", "are", "you", "?", "h\u00E9llo"}, cfg);
    EXPECT_EQ(tok.tokenize(" \tH\u00E4LLo!how  \n Are yoU?  "),
              (std::vector<std::string>{"h\u00E4llo", "!", "how", "are", "you", "?"}));
    EXPECT_EQ(tok.tokenize("H\u00E9llo"), (std::vector<std::string>{"h\u00E9llo"}));
}

TEST(Tokenizer, BasicNoLowerStripAccents) {
    TokenizerConfig cfg;
    cfg.lowercase = false;
    cfg.strip_accents = true;
    Tokenizer tok = basic({"HaLLo", "!", "how", "Are", "yoU", "?"}, cfg);
    EXPECT_EQ(tok.tokenize(" \tH\u00E4LLo!how  \n Are yoU?  "),
              (std::vector<std::string>{"HaLLo", "!", "how", "Are", "yoU", "?"}));
}

TEST(Tokenizer, BasicNoLower) {
    TokenizerConfig cfg;
    cfg.lowercase = false;
    Tokenizer tok = basic({"HeLLo", "!", "how", "Are", "yoU", "?"}, cfg);
    EXPECT_EQ(tok.tokenize(" \tHeLLo!how  \n Are yoU?  "),
              (std::vector<std::string>{"HeLLo", "!", "how", "Are", "yoU", "?"}));
}

TEST(Tokenizer, NeverSplitKeepsWordVerbatim) {
    TokenizerConfig cfg;
    cfg.lowercase = false;
    cfg.never_split = {"[UNK]"};
    Tokenizer tok = basic({"HeLLo", "!", "how", "Are", "yoU", "?"}, cfg);
    EXPECT_EQ(tok.tokenize(" \tHeLLo!how  \n Are yoU? [UNK]"),
              (std::vector<std::string>{"HeLLo", "!", "how", "Are", "yoU", "?", "[UNK]"}));
    TokenizerConfig lower;
    lower.never_split = {"KeepMe!"};
    Tokenizer t2 = basic({"keep", "##me", "!", "hi"}, lower);
    EXPECT_EQ(t2.tokenize("hi KeepMe! KeepMe"), (std::vector<std::string>{"hi", "KeepMe!", "keep", "##me"}));
}

TEST(Tokenizer, PunctuationSplitting) {
    Tokenizer tok = basic({"a", "'", "ll", "!", "to", "?", "d", "of", ",", "can", "t", "."}, {});
    EXPECT_EQ(
        tok.tokenize("a\n'll !!to?'d of, can't."),
        (std::vector<std::string>{"a", "'", "ll", "!", "!", "to", "?", "'", "d", "of", ",", "can", "'", "t", "."}));
}

TEST(Tokenizer, ChineseCharacters) {
    Tokenizer tok = basic({"ah", "\u535A", "\u63A8", "zz"}, {});
    EXPECT_EQ(tok.tokenize("ah\u535A\u63A8zz"), (std::vector<std::string>{"ah", "\u535A", "\u63A8", "zz"}));
    TokenizerConfig off;
    off.handle_chinese_chars = false;
    Tokenizer t2 = basic({"\u7684", "##\u4EBA", "##\u6709"}, off);
    EXPECT_EQ(t2.tokenize("\u7684\u4EBA\u6709"), (std::vector<std::string>{"\u7684", "##\u4EBA", "##\u6709"}));
}

TEST(Tokenizer, SoftHyphenIsRemoved) {
    Tokenizer tok = basic({"a"}, {});
    EXPECT_EQ(tok.tokenize("\xC2\xAD"), std::vector<std::string>{});
}

TEST(Tokenizer, OffsetsMatchFastTokenizer) {
    // hf-parity.md §6: "A, naïve [MASK] AllenNLP sentence." with an uncased vocabulary.
    Tokenizer tok = make(
        {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "a", ",", "naive", "allen", "##nl", "##p", "sentence", "."});
    auto enc = tok.encode("A, na\u00EFve [MASK] AllenNLP sentence.");
    EXPECT_EQ(enc.tokens, (std::vector<std::string>{"[CLS]", "a", ",", "naive", "[MASK]", "allen", "##nl", "##p",
                                                    "sentence", ".", "[SEP]"}));
    std::vector<std::pair<size_t, size_t>> expected = {{0, 0},   {0, 1},   {1, 2},   {3, 8},   {9, 15}, {16, 21},
                                                       {21, 23}, {23, 24}, {25, 33}, {33, 34}, {0, 0}};
    EXPECT_EQ(enc.offsets, expected);
    // Byte offsets count the two-byte ï.
    EXPECT_EQ(enc.byte_offsets[3], (std::pair<size_t, size_t>{3, 9}));
}

TEST(Tokenizer, PairTemplateAndTypeIds) {
    Tokenizer tok = make({"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "a", "b", "c"});
    auto enc = tok.encode("a b", std::string_view("c"));
    EXPECT_EQ(enc.tokens, (std::vector<std::string>{"[CLS]", "a", "b", "[SEP]", "c", "[SEP]"}));
    EXPECT_EQ(enc.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 1, 1}));
    EXPECT_EQ(enc.attention_mask, (std::vector<int32_t>{1, 1, 1, 1, 1, 1}));
    EXPECT_EQ(enc.sentence_b_start(), std::optional<size_t>(4));
}

TEST(Tokenizer, TruncationLongestFirstForPairs) {
    std::vector<std::string> v = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "a"};
    Tokenizer tok = make(v);
    std::string a300;
    for (int i = 0; i < 300; ++i) a300 += "a ";
    attnscope::tokenizer::EncodeOptions eo;
    eo.truncation = true;
    eo.max_length = 512;
    auto enc = tok.encode(a300, std::string_view(a300), eo);
    // Budget 509: both must shrink, floor to the first, ceil to the second (tokenizers' rule).
    size_t first = 0, second = 0;
    for (auto s : enc.sequence_ids) {
        first += s == 0;
        second += s == 1;
    }
    EXPECT_EQ(first, 254u);
    EXPECT_EQ(second, 255u);
    EXPECT_EQ(enc.size(), 512u);
    // Only the longer one shrinks when the shorter fits in half.
    std::string a10, a600;
    for (int i = 0; i < 10; ++i) a10 += "a ";
    for (int i = 0; i < 600; ++i) a600 += "a ";
    enc = tok.encode(a10, std::string_view(a600), eo);
    first = second = 0;
    for (auto s : enc.sequence_ids) {
        first += s == 0;
        second += s == 1;
    }
    EXPECT_EQ(first, 10u);
    EXPECT_EQ(second, 499u);
}

TEST(Tokenizer, WordsOverHundredCharactersAreUnknown) {
    Tokenizer tok = make({"[UNK]", "[CLS]", "[SEP]", "a", "##a"});
    EXPECT_EQ(tok.tokenize(std::string(100, 'a')).size(), 100u);
    EXPECT_EQ(tok.tokenize(std::string(101, 'a')), std::vector<std::string>{"[UNK]"});
}

TEST(Tokenizer, SpecialTokensAreMatchedInRawText) {
    Tokenizer tok = make({"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "the", "[", "mask", "]"});
    EXPECT_EQ(tok.tokenize("The [MASK] [mask]"), (std::vector<std::string>{"the", "[MASK]", "[", "mask", "]"}));
}

TEST(Tokenizer, InvalidUtf8IsAnError) {
    Tokenizer tok = make({"[UNK]", "[CLS]", "[SEP]"});
    try {
        tok.tokenize("ok \xFF bad");
        FAIL() << "expected an error";
    } catch (const attnscope::Error& e) {
        EXPECT_STREQ(e.what(), "text is not valid UTF-8: invalid byte 0xFF at byte offset 3");
    }
    EXPECT_THROW(tok.tokenize("\xED\xA0\x80"), attnscope::Error);  // an encoded surrogate
    EXPECT_THROW(tok.tokenize("\xC0\xAF"), attnscope::Error);      // an overlong form
}

TEST(Tokenizer, MissingSpecialTokenInVocabIsAnError) {
    std::unordered_map<std::string, int32_t> vocab{{"a", 0}};
    EXPECT_THROW(Tokenizer(vocab, {}, {}), attnscope::Error);
}
