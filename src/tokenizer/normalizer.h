// BertNormalizer with alignment tracking: every normalized character remembers which source code point
// it came from, so every token can report its offsets in the original text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/tokenizer.h"

namespace attnscope::tokenizer {

struct AlignedText {
    std::u32string chars;
    std::vector<uint32_t> source;  // source[i] = index of the original code point chars[i] came from

    void push(char32_t c, uint32_t src) {
        chars.push_back(c);
        source.push_back(src);
    }
    size_t size() const { return chars.size(); }
};

// clean_text and handle_chinese_chars: the context-free first half of BertNormalizer.
void clean_and_space_cjk(const TokenizerConfig& config, const char32_t* cps, uint32_t first_index, size_t count,
                         AlignedText& out);
// strip_accents (NFD, drop Mn, canonical order) and lowercase, in the reference's order.
AlignedText strip_and_lowercase(const TokenizerConfig& config, const AlignedText& in);

inline bool strips_accents(const TokenizerConfig& config) {
    return config.strip_accents.value_or(config.lowercase);
}

}  // namespace attnscope::tokenizer
