#include "tokenizer/normalizer.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace attnscope::tokenizer {

void clean_and_space_cjk(const TokenizerConfig& config, const char32_t* cps, uint32_t first_index, size_t count,
                         AlignedText& out) {
    for (size_t k = 0; k < count; ++k) {
        char32_t c = cps[k];
        uint32_t src = first_index + static_cast<uint32_t>(k);
        if (config.clean_text) {
            if (unicode::is_control(c)) continue;
            if (unicode::is_whitespace(c)) c = U' ';
        }
        if (config.handle_chinese_chars && unicode::is_chinese_char(c)) {
            out.push(U' ', src);
            out.push(c, src);
            out.push(U' ', src);
        } else {
            out.push(c, src);
        }
    }
}

namespace {

// Canonical ordering (UAX #15): within each run of non-starters, stable-sort by combining class.
// Decomposing code point by code point leaves marks from neighbouring characters unsorted; whole-string
// NFD, which the reference runs, sorts them.
void canonical_reorder(AlignedText& text) {
    size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        if (unicode::combining_class(text.chars[i]) == 0) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < n && unicode::combining_class(text.chars[j]) != 0) ++j;
        if (j - i > 1) {
            std::vector<std::pair<char32_t, uint32_t>> run;
            for (size_t k = i; k < j; ++k) run.emplace_back(text.chars[k], text.source[k]);
            std::stable_sort(run.begin(), run.end(), [](const auto& a, const auto& b) {
                return unicode::combining_class(a.first) < unicode::combining_class(b.first);
            });
            for (size_t k = i; k < j; ++k) {
                text.chars[k] = run[k - i].first;
                text.source[k] = run[k - i].second;
            }
        }
        i = j;
    }
}

}  // namespace

AlignedText strip_and_lowercase(const TokenizerConfig& config, const AlignedText& in) {
    bool strip = strips_accents(config);
    if (!strip && !config.lowercase) return in;
    AlignedText current = in;
    std::u32string buf;
    if (strip) {
        AlignedText next;
        next.chars.reserve(current.size());
        next.source.reserve(current.size());
        for (size_t i = 0; i < current.size(); ++i) {
            buf.clear();
            unicode::strip_accents(current.chars[i], buf);
            for (char32_t c : buf) next.push(c, current.source[i]);
        }
        canonical_reorder(next);
        current = std::move(next);
    }
    if (config.lowercase) {
        AlignedText next;
        next.chars.reserve(current.size());
        next.source.reserve(current.size());
        for (size_t i = 0; i < current.size(); ++i) {
            buf.clear();
            unicode::to_lower(current.chars[i], buf);
            for (char32_t c : buf) next.push(c, current.source[i]);
        }
        current = std::move(next);
    }
    return current;
}

}  // namespace attnscope::tokenizer
