#include "tokenizer/wordpiece.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace attnscope::tokenizer {

WordPiece::WordPiece(const Vocab* vocab, int32_t unk_id, std::string prefix, size_t max_input_chars_per_word)
    : vocab_(vocab), unk_id_(unk_id), prefix_(std::move(prefix)), max_chars_(max_input_chars_per_word) {
    longest_entry_chars_ = 1;
    for (const auto& [token, id] : *vocab_) {
        longest_entry_chars_ = std::max(longest_entry_chars_, unicode::count_code_points(token));
    }
}

void WordPiece::split(std::u32string_view word, std::vector<WordPiecePiece>& out) const {
    const size_t n = word.size();
    if (n > max_chars_) {
        out.push_back({unk_id_, 0, n, true});
        return;
    }
    // UTF-8 of the word plus the byte position of every code point, so that a candidate piece is a
    // substring view.
    std::string utf8;
    std::vector<size_t> byte_at(n + 1);
    for (size_t i = 0; i < n; ++i) {
        byte_at[i] = utf8.size();
        unicode::append_utf8(utf8, word[i]);
    }
    byte_at[n] = utf8.size();

    const size_t first_piece = out.size();
    std::string candidate;
    size_t start = 0;
    while (start < n) {
        size_t end = std::min(n, start + longest_entry_chars_);
        int32_t found = -1;
        while (end > start) {
            std::string_view piece(utf8.data() + byte_at[start], byte_at[end] - byte_at[start]);
            Vocab::const_iterator it;
            if (start > 0) {
                candidate.assign(prefix_);
                candidate.append(piece);
                it = vocab_->find(std::string_view(candidate));
            } else {
                it = vocab_->find(piece);
            }
            if (it != vocab_->end()) {
                found = it->second;
                break;
            }
            --end;
        }
        if (found < 0) {
            out.resize(first_piece);
            out.push_back({unk_id_, 0, n, true});
            return;
        }
        out.push_back({found, start, end, false});
        start = end;
    }
}

}  // namespace attnscope::tokenizer
