#include "tokenizer/added_tokens.h"

#include <utf8proc.h>

#include "tokenizer/unicode.h"

namespace attnscope::tokenizer {
namespace {

std::u32string decode(const std::string& s) {
    std::u32string out;
    for (const auto& cp : unicode::decode_utf8(s)) out.push_back(cp.cp);
    return out;
}

bool is_word_char(char32_t c) {
    if (c == U'_') return true;
    auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
           (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<const AddedToken*> tokens) {
    for (const AddedToken* t : tokens) {
        if (t->content.empty()) continue;
        tokens_.push_back(t);
        contents_.push_back(decode(t->content));
    }
}

std::vector<AddedTokenMatch> AddedTokenMatcher::find_all(const std::u32string& text) const {
    std::vector<AddedTokenMatch> matches;
    if (tokens_.empty()) return matches;
    const size_t n = text.size();
    size_t pos = 0;
    size_t consumed_until = 0;  // matches may not overlap (an lstrip cannot reach into the previous match)
    while (pos < n) {
        size_t best = SIZE_MAX;
        size_t best_len = 0;
        for (size_t t = 0; t < contents_.size(); ++t) {
            const std::u32string& c = contents_[t];
            if (c.size() > best_len && text.compare(pos, c.size(), c) == 0) {
                const AddedToken* tok = tokens_[t];
                if (tok->single_word) {
                    bool left_ok = pos == 0 || !is_word_char(text[pos - 1]);
                    bool right_ok = pos + c.size() == n || !is_word_char(text[pos + c.size()]);
                    if (!left_ok || !right_ok) continue;
                }
                best = t;
                best_len = c.size();
            }
        }
        if (best == SIZE_MAX) {
            ++pos;
            continue;
        }
        const AddedToken* tok = tokens_[best];
        size_t begin = pos, end = pos + best_len;
        if (tok->lstrip) {
            while (begin > consumed_until && unicode::is_whitespace(text[begin - 1])) --begin;
        }
        if (tok->rstrip) {
            while (end < n && unicode::is_whitespace(text[end])) ++end;
        }
        matches.push_back({begin, end, tok});
        consumed_until = end;
        pos = end;
    }
    return matches;
}

}  // namespace attnscope::tokenizer
