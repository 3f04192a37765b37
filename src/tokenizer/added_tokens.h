// Splitting a text on the added vocabulary ([CLS], [SEP], [MASK] ... and user-added tokens), as
// tokenizers' AddedVocabulary does: leftmost-longest match, honouring lstrip / rstrip / single_word.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/tokenizer.h"

namespace attnscope::tokenizer {

struct AddedTokenMatch {
    size_t begin, end;  // code-point range in the searched text, whitespace taken by lstrip/rstrip included
    const AddedToken* token;
};

class AddedTokenMatcher {
  public:
    explicit AddedTokenMatcher(std::vector<const AddedToken*> tokens);
    bool empty() const { return tokens_.empty(); }
    // Non-overlapping matches in text order.
    std::vector<AddedTokenMatch> find_all(const std::u32string& text) const;

  private:
    std::vector<const AddedToken*> tokens_;
    std::vector<std::u32string> contents_;
};

}  // namespace attnscope::tokenizer
