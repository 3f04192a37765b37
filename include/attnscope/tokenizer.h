// Tokenizers with exact parity to the Hugging Face `tokenizers` pipelines of the BERT family:
//   WordPiece (BERT, ELECTRA, DistilBERT): BertNormalizer -> BertPreTokenizer -> WordPiece -> [CLS]/[SEP],
//     which is what transformers v5 `BertTokenizer` and every `BertTokenizerFast` run;
//   byte-level BPE (RoBERTa): ByteLevel pre-tokenizer -> BPE -> <s> A </s></s> B </s>.
// See docs/tokenizer.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace attnscope::tokenizer {

// A token of the added vocabulary (special tokens such as [CLS], and user-added tokens). Matched in the
// raw text before normalisation unless `normalized` is true, exactly like tokenizers' AddedVocabulary.
struct AddedToken {
    std::string content;
    int32_t id = 0;
    bool special = true;
    bool normalized = false;
    bool lstrip = false;
    bool rstrip = false;
    bool single_word = false;
};

struct TokenizerConfig {
    enum class Model { WordPiece, ByteLevelBpe };
    Model model = Model::WordPiece;
    // ByteLevelBpe: merges in rank order; ByteLevel's add_prefix_space and trim_offsets; BPE ignore_merges.
    std::vector<std::pair<std::string, std::string>> merges;
    bool add_prefix_space = false;
    bool trim_offsets = true;
    bool ignore_merges = false;
    // BertNormalizer
    bool clean_text = true;
    bool handle_chinese_chars = true;
    std::optional<bool> strip_accents;  // unset: follow `lowercase` (original BERT behaviour)
    bool lowercase = true;
    // Legacy BasicTokenizer option: whitespace-separated words in this list are kept verbatim
    // (not lower-cased, not split). transformers v5 ignores it; we honour it as v4 did.
    std::vector<std::string> never_split;
    // WordPiece
    std::string unk_token = "[UNK]";
    std::string continuing_subword_prefix = "##";
    size_t max_input_chars_per_word = 100;
    // Template
    std::string cls_token = "[CLS]";
    std::string sep_token = "[SEP]";
    std::string pad_token = "[PAD]";
    std::string mask_token = "[MASK]";
    // Longest input the model accepts, special tokens included (tokenizer_config.json model_max_length;
    // 0 = not known, Model::load then uses max_position_embeddings).
    size_t model_max_length = 512;
};

// One encoded input: the arrays `encode_plus` returns, plus what the tools need to label tokens.
struct Encoding {
    std::vector<int32_t> ids;             // input_ids
    std::vector<int32_t> type_ids;        // token_type_ids
    std::vector<int32_t> attention_mask;  // 1 = real token, 0 = padding (keys with 0 are masked)
    std::vector<std::string> tokens;
    // Offsets into the source text in Unicode code points (what Python's offset_mapping reports) and
    // in UTF-8 bytes. Special tokens get (0, 0).
    std::vector<std::pair<size_t, size_t>> offsets;
    std::vector<std::pair<size_t, size_t>> byte_offsets;
    std::vector<int8_t> sequence_ids;  // 0 = first text, 1 = pair text, -1 = special token
    std::vector<uint8_t> special_tokens_mask;

    size_t size() const { return ids.size(); }
    // Index of the first token of the pair text (BertViz's sentence_b_start), or nullopt for a single text.
    std::optional<size_t> sentence_b_start() const;
};

struct EncodeOptions {
    bool add_special_tokens = true;
    // Truncate with the 'longest_first' strategy to max_length (0 = model_max_length). Without it, an
    // input longer than the model allows is still encoded; Model::forward then refuses it.
    bool truncation = false;
    size_t max_length = 0;
};

// Raw tokens of a text before the template is applied, with their offsets.
struct TokenSpan {
    std::string token;
    int32_t id;
    size_t begin_cp, end_cp;      // code-point offsets into the text
    size_t begin_byte, end_byte;  // byte offsets into the text
};

class Tokenizer {
  public:
    // `source` names where the vocabulary came from ("tokenizer.json", "vocab.txt", ...).
    Tokenizer(std::unordered_map<std::string, int32_t> vocab, TokenizerConfig config,
              std::vector<AddedToken> added_tokens, std::string source = "memory");
    ~Tokenizer();
    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;

    // Reads a Hugging Face tokenizer folder: tokenizer.json when present (its vocab, normalizer flags and
    // added tokens), else vocab.txt + tokenizer_config.json + special_tokens_map.json.
    static Tokenizer from_directory(const std::filesystem::path& dir);

    // `tokenizer.tokenize(text)`: word pieces without [CLS]/[SEP].
    std::vector<std::string> tokenize(std::string_view text) const;
    std::vector<TokenSpan> tokenize_with_offsets(std::string_view text) const;
    // `convert_tokens_to_ids`: unknown tokens map to the [UNK] id.
    std::vector<int32_t> convert_tokens_to_ids(const std::vector<std::string>& tokens) const;
    // `encode_plus(text, text_pair)`: [CLS] A [SEP] (B [SEP]) — or <s> A </s> (</s> B </s>) for byte-level
    // BPE, all type ids 0 — with type ids, attention mask, offsets.
    Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                    const EncodeOptions& options = {}) const;

    int32_t token_to_id(std::string_view token) const;  // -1 when absent
    const std::string& id_to_token(int32_t id) const;   // "" when out of range
    size_t vocab_size() const;
    const TokenizerConfig& config() const;
    // The model's limit when tokenizer_config.json does not give one (0 there means unknown).
    void set_model_max_length(size_t length);
    // "tokenizer.json" or "vocab.txt": which file the vocabulary came from.
    const std::string& source() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace attnscope::tokenizer
