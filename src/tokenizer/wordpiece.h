// WordPiece: greedy longest-match-first over the code points of one pre-tokenized word.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnscope::tokenizer {

// Heterogeneous lookup so that a std::string_view probes the vocabulary without allocating.
struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using Vocab = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct WordPiecePiece {
    int32_t id;
    size_t begin, end;  // code-point range within the word; the whole word for [UNK]
    bool unknown;
};

class WordPiece {
  public:
    WordPiece(const Vocab* vocab, int32_t unk_id, std::string prefix, size_t max_input_chars_per_word);
    // Appends the pieces of `word` (valid, non-empty UTF-8 of `num_chars` code points) to `out`.
    // A word longer than max_input_chars_per_word, or one with an unmatched tail, becomes one [UNK].
    void split(std::u32string_view word, std::vector<WordPiecePiece>& out) const;

  private:
    const Vocab* vocab_;
    int32_t unk_id_;
    std::string prefix_;
    size_t max_chars_;
    size_t longest_entry_chars_;  // bounds the match search: no vocabulary entry is longer
};

}  // namespace attnscope::tokenizer
