#include "tokenizer/byte_level_bpe.h"

#include <fmt/format.h>

#include <array>
#include <queue>

#include "attnscope/error.h"
#include "tokenizer/unicode.h"

namespace attnscope::tokenizer {
namespace {

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others (control
// characters, the space, ...) are shifted to U+0100 and up, in byte order.
const std::array<std::string, 256>& byte_chars() {
    static const std::array<std::string, 256> table = [] {
        std::array<std::string, 256> t;
        int shifted = 0;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + shifted++);
            unicode::append_utf8(t[static_cast<size_t>(b)], cp);
        }
        return t;
    }();
    return table;
}

bool is_letter(char32_t c) {
    return unicode::gpt2_class(c) == unicode::Gpt2Class::Letter;
}
bool is_number(char32_t c) {
    return unicode::gpt2_class(c) == unicode::Gpt2Class::Number;
}
bool is_space(char32_t c) {
    return unicode::gpt2_class(c) == unicode::Gpt2Class::Space;
}

struct Symbol {
    int32_t id;
    int prev, next;
    size_t begin, len;  // bytes
};

struct Merge {
    int pos;
    int32_t rank, id;
    bool operator<(const Merge& o) const {  // for a min-heap on (rank, pos)
        return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
};

}  // namespace

const std::string& ByteLevelBpe::byte_char(uint8_t b) {
    return byte_chars()[b];
}

ByteLevelBpe::ByteLevelBpe(const Vocab* vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                           bool ignore_merges, int32_t unk_id)
    : vocab_(vocab), ignore_merges_(ignore_merges), unk_id_(unk_id) {
    auto id_of = [&](const std::string& t) {
        auto it = vocab_->find(t);
        return it == vocab_->end() ? -1 : it->second;
    };
    for (int b = 0; b < 256; ++b) byte_id_[b] = id_of(byte_char(static_cast<uint8_t>(b)));
    for (size_t r = 0; r < merges.size(); ++r) {
        const auto& [a, b] = merges[r];
        const int32_t ia = id_of(a), ib = id_of(b), merged = id_of(a + b);
        if (ia < 0 || ib < 0 || merged < 0) {
            throw Error(
                fmt::format("tokenizer: merge {} '{} {}' uses a token that is not in the vocabulary", r + 1, a, b));
        }
        merges_.emplace(std::make_pair(ia, ib),
                        std::make_pair(static_cast<int32_t>(r), merged));  // the first rank wins
    }
    int32_t max_id = -1;
    for (const auto& [t, id] : *vocab_) max_id = std::max(max_id, id);
    id_to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
    for (const auto& [t, id] : *vocab_) id_to_token_[static_cast<size_t>(id)] = t;
}

std::vector<std::pair<size_t, size_t>> ByteLevelBpe::split(const char32_t* s, size_t n) {
    std::vector<std::pair<size_t, size_t>> out;
    size_t i = 0;
    auto run = [&](size_t from, auto pred) {
        size_t j = from;
        while (j < n && pred(s[j])) ++j;
        return j;
    };
    const auto other = [](char32_t c) { return !is_space(c) && !is_letter(c) && !is_number(c); };
    while (i < n) {
        size_t end = i;
        // 's|'t|'re|'ve|'m|'ll|'d
        if (s[i] == U'\'' && i + 1 < n) {
            const char32_t a = s[i + 1], b = i + 2 < n ? s[i + 2] : 0;
            if (a == U's' || a == U't' || a == U'm' || a == U'd') {
                end = i + 2;
            } else if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) {
                end = i + 3;
            }
        }
        if (end == i) {
            // ' ?X+' for X = letters, numbers, everything else but spaces: tried in that order, each with the
            // optional leading space first (the regex engine's leftmost-first alternation).
            for (int cls = 0; cls < 3 && end == i; ++cls) {
                auto in = [&](char32_t c) { return cls == 0 ? is_letter(c) : cls == 1 ? is_number(c) : other(c); };
                if (s[i] == U' ' && i + 1 < n && in(s[i + 1])) {
                    end = run(i + 1, in);
                } else if (in(s[i])) {
                    end = run(i, in);
                }
            }
        }
        if (end == i) {
            // \s+(?!\S): all the whitespace but the last one when a non-space follows; else \s+.
            const size_t j = run(i, is_space);
            end = (j < n && j - i > 1) ? j - 1 : j;
            if (end == i) end = i + 1;  // cannot happen (every character is in one class); never loop
        }
        out.emplace_back(i, end);
        i = end;
    }
    return out;
}

void ByteLevelBpe::encode(std::string_view bytes, std::vector<BpePiece>& out) const {
    if (bytes.empty()) return;
    if (ignore_merges_) {
        std::string word;
        for (unsigned char c : bytes) word += byte_char(c);
        if (auto it = vocab_->find(word); it != vocab_->end()) {
            out.push_back({it->second, word, 0, bytes.size()});
            return;
        }
    }
    std::vector<Symbol> sym;
    sym.reserve(bytes.size());
    for (size_t k = 0; k < bytes.size(); ++k) {
        int32_t id = byte_id_[static_cast<unsigned char>(bytes[k])];
        if (id < 0) id = unk_id_;
        if (id < 0) continue;  // no byte token and no unknown token: the byte is dropped, as tokenizers does
        const int index = static_cast<int>(sym.size());
        sym.push_back({id, index - 1, -1, k, 1});
        if (index > 0) sym[static_cast<size_t>(index - 1)].next = index;
    }
    std::priority_queue<Merge> queue;
    auto consider = [&](int pos) {
        const int next = sym[static_cast<size_t>(pos)].next;
        if (next < 0) return;
        auto it = merges_.find({sym[static_cast<size_t>(pos)].id, sym[static_cast<size_t>(next)].id});
        if (it != merges_.end()) queue.push({pos, it->second.first, it->second.second});
    };
    for (int p = 0; p + 1 < static_cast<int>(sym.size()); ++p) consider(p);
    while (!queue.empty()) {
        const Merge top = queue.top();
        queue.pop();
        Symbol& left = sym[static_cast<size_t>(top.pos)];
        if (left.len == 0 || left.next < 0) continue;
        Symbol& right = sym[static_cast<size_t>(left.next)];
        auto it = merges_.find({left.id, right.id});
        if (it == merges_.end() || it->second.second != top.id) continue;  // stale: the pair changed
        left.id = top.id;
        left.len += right.len;
        right.len = 0;
        left.next = right.next;
        if (left.next >= 0) sym[static_cast<size_t>(left.next)].prev = top.pos;
        if (left.prev >= 0) consider(left.prev);
        consider(top.pos);
    }
    for (int p = sym.empty() ? -1 : 0; p >= 0; p = sym[static_cast<size_t>(p)].next) {
        const Symbol& s = sym[static_cast<size_t>(p)];
        out.push_back({s.id, id_to_token_[static_cast<size_t>(s.id)], s.begin, s.begin + s.len});
    }
}

}  // namespace attnscope::tokenizer
