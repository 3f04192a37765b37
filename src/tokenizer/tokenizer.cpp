#include "attnscope/tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "attnscope/error.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/byte_level_bpe.h"
#include "tokenizer/limits.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/unicode.h"
#include "tokenizer/wordpiece.h"

namespace attnscope::tokenizer {

std::optional<size_t> Encoding::sentence_b_start() const {
    for (size_t i = 0; i < sequence_ids.size(); ++i) {
        if (sequence_ids[i] == 1) return i;
    }
    return std::nullopt;
}

struct Tokenizer::Impl {
    Vocab vocab;
    std::vector<std::string> id_to_token;
    TokenizerConfig config;
    std::vector<AddedToken> added;
    std::string source;
    int32_t unk_id = -1, cls_id = -1, sep_id = -1;
    std::unique_ptr<WordPiece> wordpiece;
    std::unique_ptr<ByteLevelBpe> bpe;
    std::unique_ptr<AddedTokenMatcher> raw_matcher, normalized_matcher;
    std::unordered_set<std::u32string> never_split;

    int32_t require_id(const std::string& token, const char* role) const {
        auto it = vocab.find(token);
        if (it == vocab.end()) {
            throw Error(fmt::format("tokenizer: the {} token '{}' is not in the vocabulary ({} entries)", role, token,
                                    vocab.size()));
        }
        return it->second;
    }

    // State of one tokenize() call.
    struct Run {
        const std::vector<unicode::CodePoint>* cps;
        size_t text_bytes;
        std::vector<TokenSpan>* out;
    };

    void emit(Run& run, std::string token, int32_t id, uint32_t first_src, uint32_t last_src) const {
        const auto& cps = *run.cps;
        size_t end_cp = static_cast<size_t>(last_src) + 1;
        size_t end_byte = end_cp < cps.size() ? cps[end_cp].byte_offset : run.text_bytes;
        run.out->push_back({std::move(token), id, first_src, end_cp, cps[first_src].byte_offset, end_byte});
    }

    void wordpiece_word(Run& run, const AlignedText& norm, size_t b, size_t e,
                        std::vector<WordPiecePiece>& pieces) const {
        pieces.clear();
        std::u32string_view word(norm.chars.data() + b, e - b);
        wordpiece->split(word, pieces);
        for (const auto& p : pieces) {
            std::string token;
            if (p.unknown) {
                token = config.unk_token;
            } else {
                if (p.begin > 0) token = config.continuing_subword_prefix;
                for (size_t k = p.begin; k < p.end; ++k) unicode::append_utf8(token, word[k]);
            }
            emit(run, std::move(token), p.id, norm.source[b + p.begin], norm.source[b + p.end - 1]);
        }
    }

    // BertPreTokenizer on norm[b, e): split on whitespace (dropped) and punctuation (kept, isolated).
    void pre_tokenize(Run& run, const AlignedText& norm, size_t b, size_t e) const {
        std::vector<WordPiecePiece> pieces;
        size_t word_start = b;
        for (size_t i = b; i < e; ++i) {
            char32_t c = norm.chars[i];
            bool ws = unicode::is_whitespace(c);
            bool punct = !ws && unicode::is_punctuation(c);
            if (ws || punct) {
                if (i > word_start) wordpiece_word(run, norm, word_start, i, pieces);
                if (punct) wordpiece_word(run, norm, i, i + 1, pieces);
                word_start = i + 1;
            }
        }
        if (e > word_start) wordpiece_word(run, norm, word_start, e, pieces);
    }

    void emit_added(Run& run, const AddedToken& tok, uint32_t first_src, uint32_t last_src) const {
        emit(run, tok.content, tok.id, first_src, last_src);
    }

    // Normalise a cleaned stretch, split out normalised added tokens, pre-tokenise the rest.
    void normalized_part(Run& run, const AlignedText& cleaned) const {
        if (cleaned.size() == 0) return;
        AlignedText norm = strip_and_lowercase(config, cleaned);
        size_t pos = 0;
        if (!normalized_matcher->empty()) {
            for (const auto& m : normalized_matcher->find_all(norm.chars)) {
                pre_tokenize(run, norm, pos, m.begin);
                emit_added(run, *m.token, norm.source[m.begin], norm.source[m.end - 1]);
                pos = m.end;
            }
        }
        pre_tokenize(run, norm, pos, norm.size());
    }

    // ByteLevel pre-tokenizer + BPE on raw[b, e) (RoBERTa has no normaliser). Offsets are trimmed of the
    // spaces a token carries (ByteLevel trim_offsets), as the post-processor does.
    void bpe_segment(Run& run, const std::u32string& raw, size_t b, size_t e) const {
        const auto& cps = *run.cps;
        std::u32string text(raw.data() + b, e - b);
        const bool prefix = config.add_prefix_space && text[0] != U' ';
        if (prefix) text.insert(text.begin(), U' ');
        auto byte_at = [&](size_t cp) { return cp < cps.size() ? cps[cp].byte_offset : run.text_bytes; };
        std::vector<BpePiece> pieces;
        for (const auto& [pb, pe] : ByteLevelBpe::split(text.data(), text.size())) {
            // The piece's bytes; a prepended space stands for the first character of the segment.
            std::string bytes;
            std::vector<size_t> origin;  // original byte offset of each byte of `bytes`, and one past the end
            for (size_t k = pb; k < pe; ++k) {
                if (prefix && k == 0) {
                    bytes += ' ';
                    origin.push_back(byte_at(b));
                    continue;
                }
                const size_t cp = b + k - (prefix ? 1 : 0);
                const size_t from = byte_at(cp), to = byte_at(cp + 1);
                for (size_t x = from; x < to; ++x) origin.push_back(x);
                unicode::append_utf8(bytes, raw[cp]);
            }
            origin.push_back(pe - (prefix ? 1 : 0) + b <= e ? byte_at(b + pe - (prefix ? 1 : 0)) : run.text_bytes);
            pieces.clear();
            bpe->encode(bytes, pieces);
            for (auto& p : pieces) {
                size_t begin = origin[p.begin_byte],
                       end = p.end_byte < origin.size() ? origin[p.end_byte] : origin.back();
                if (prefix && pb == 0 && p.begin_byte == 0 && p.end_byte == 1) end = begin;  // the virtual space alone
                run.out->push_back({std::move(p.token), p.id, 0, 0, begin, end});
            }
        }
    }

    // ByteLevel's process_offsets (trim_offsets): a token's leading and trailing 'Ġ' (spaces) are left
    // out of its offsets — except the leading one of the first token when add_prefix_space put it there;
    // then byte offsets become code-point offsets (a token that splits a character covers all of it).
    void finish_bpe_offsets(const std::vector<unicode::CodePoint>& cps, size_t text_bytes,
                            std::vector<TokenSpan>& out) const {
        const std::string& space = ByteLevelBpe::byte_char(' ');
        for (size_t i = 0; i < out.size(); ++i) {
            TokenSpan& t = out[i];
            if (config.trim_offsets) {
                // 'Ġ' is two bytes of UTF-8 in the token and one space byte in the text.
                const size_t w = space.size();
                size_t lead = 0, trail = 0;
                while ((lead + 1) * w <= t.token.size() && t.token.compare(lead * w, w, space) == 0) ++lead;
                while ((trail + 1) * w <= t.token.size() &&
                       t.token.compare(t.token.size() - (trail + 1) * w, w, space) == 0)
                    ++trail;
                if (lead > 0 && config.add_prefix_space && (i == 0 || t.begin_byte == 0)) lead = 0;
                // Measured against tokenizers: the start moves first and the end never passes it ('Ġ' alone
                // at bytes 5..6 becomes 6..6).
                t.begin_byte = std::min(t.begin_byte + lead, t.end_byte);
                t.end_byte = std::max(t.end_byte >= trail ? t.end_byte - trail : 0, t.begin_byte);
            }
            t.begin_cp = cp_index(cps, t.begin_byte, text_bytes, false);
            t.end_cp = cp_index(cps, t.end_byte, text_bytes, true);
        }
    }

    // The code point holding byte `b` (begin), or one past the code point holding byte b - 1 (end).
    static size_t cp_index(const std::vector<unicode::CodePoint>& cps, size_t b, size_t text_bytes, bool end) {
        if (b >= text_bytes) return cps.size();
        size_t lo = 0, hi = cps.size();
        const size_t target = end ? b - 1 : b;
        while (hi - lo > 1) {
            const size_t mid = (lo + hi) / 2;
            (cps[mid].byte_offset <= target ? lo : hi) = mid;
        }
        if (end) return b == 0 ? 0 : lo + 1;
        return lo;
    }

    void segment(Run& run, const std::u32string& raw, size_t b, size_t e) const {
        if (e <= b) return;
        if (bpe) {
            bpe_segment(run, raw, b, e);
            return;
        }
        AlignedText cleaned;
        cleaned.chars.reserve(e - b);
        cleaned.source.reserve(e - b);
        clean_and_space_cjk(config, raw.data() + b, static_cast<uint32_t>(b), e - b, cleaned);
        if (never_split.empty()) {
            normalized_part(run, cleaned);
            return;
        }
        // Legacy never_split: a whitespace-separated word listed there is kept verbatim.
        AlignedText pending;
        size_t i = 0;
        const size_t n = cleaned.size();
        while (i < n) {
            if (unicode::is_python_whitespace(cleaned.chars[i])) {
                pending.push(cleaned.chars[i], cleaned.source[i]);
                ++i;
                continue;
            }
            size_t j = i;
            while (j < n && !unicode::is_python_whitespace(cleaned.chars[j])) ++j;
            std::u32string_view word(cleaned.chars.data() + i, j - i);
            if (never_split.count(std::u32string(word))) {
                normalized_part(run, pending);
                pending = AlignedText{};
                std::string token = unicode::to_utf8(std::u32string(word));
                auto it = vocab.find(token);
                emit(run, token, it == vocab.end() ? unk_id : it->second, cleaned.source[i], cleaned.source[j - 1]);
            } else {
                for (size_t k = i; k < j; ++k) pending.push(cleaned.chars[k], cleaned.source[k]);
            }
            i = j;
        }
        normalized_part(run, pending);
    }
};

Tokenizer::Tokenizer(std::unordered_map<std::string, int32_t> vocab, TokenizerConfig config,
                     std::vector<AddedToken> added_tokens, std::string source)
    : impl_(std::make_unique<Impl>()) {
    Impl& im = *impl_;
    im.source = std::move(source);
    im.config = std::move(config);
    int32_t max_id = -1;
    for (auto& [token, id] : vocab) {
        if (id < 0 || id > kMaxTokenId) {
            throw Error(fmt::format("tokenizer: token '{}' has id {}, outside 0..{}", token, id, kMaxTokenId));
        }
        max_id = std::max(max_id, id);
        im.vocab.emplace(token, id);
    }
    im.added = std::move(added_tokens);
    for (const auto& a : im.added) {
        if (a.id < 0 || a.id > kMaxTokenId) {
            throw Error(
                fmt::format("tokenizer: added token '{}' has id {}, outside 0..{}", a.content, a.id, kMaxTokenId));
        }
        im.vocab.emplace(a.content, a.id);  // added tokens outside the model vocab still resolve
        max_id = std::max(max_id, a.id);
    }
    im.id_to_token.assign(static_cast<size_t>(max_id + 1), std::string());
    for (const auto& [token, id] : im.vocab) {
        // Several tokens on one id (possible in a hand-edited tokenizer.json): pick one deterministically.
        auto& slot = im.id_to_token[static_cast<size_t>(id)];
        if (slot.empty() || token < slot) slot = token;
    }
    im.unk_id = im.require_id(im.config.unk_token, "unknown");
    im.cls_id = im.require_id(im.config.cls_token, "[CLS]");
    im.sep_id = im.require_id(im.config.sep_token, "[SEP]");
    // The special tokens of the template are always matched in raw text, even if a tokenizer.json does
    // not list them as added tokens (vocab.txt-only folders).
    for (const std::string* s : {&im.config.unk_token, &im.config.cls_token, &im.config.sep_token, &im.config.pad_token,
                                 &im.config.mask_token}) {
        bool listed =
            std::any_of(im.added.begin(), im.added.end(), [&](const AddedToken& a) { return a.content == *s; });
        auto it = im.vocab.find(*s);
        if (!listed && it != im.vocab.end()) im.added.push_back({*s, it->second, true, false, false, false, false});
    }
    std::vector<const AddedToken*> raw, normalized;
    for (const auto& a : im.added) (a.normalized ? normalized : raw).push_back(&a);
    im.raw_matcher = std::make_unique<AddedTokenMatcher>(raw);
    im.normalized_matcher = std::make_unique<AddedTokenMatcher>(normalized);
    for (const auto& w : im.config.never_split) {
        std::u32string u;
        for (const auto& cp : unicode::decode_utf8(w)) u.push_back(cp.cp);
        if (!u.empty()) im.never_split.insert(u);
    }
    if (im.config.model == TokenizerConfig::Model::ByteLevelBpe) {
        im.bpe = std::make_unique<ByteLevelBpe>(&im.vocab, im.config.merges, im.config.ignore_merges, im.unk_id);
        std::vector<std::pair<std::string, std::string>>().swap(im.config.merges);  // held by the model now
    } else {
        im.wordpiece = std::make_unique<WordPiece>(&im.vocab, im.unk_id, im.config.continuing_subword_prefix,
                                                   im.config.max_input_chars_per_word);
    }
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

std::vector<TokenSpan> Tokenizer::tokenize_with_offsets(std::string_view text) const {
    auto cps = unicode::decode_utf8(text);
    std::u32string raw;
    raw.reserve(cps.size());
    for (const auto& cp : cps) raw.push_back(cp.cp);
    std::vector<TokenSpan> out;
    Impl::Run run{&cps, text.size(), &out};
    size_t pos = 0;
    for (const auto& m : impl_->raw_matcher->find_all(raw)) {
        impl_->segment(run, raw, pos, m.begin);
        impl_->emit_added(run, *m.token, static_cast<uint32_t>(m.begin), static_cast<uint32_t>(m.end - 1));
        pos = m.end;
    }
    impl_->segment(run, raw, pos, raw.size());
    if (impl_->bpe) impl_->finish_bpe_offsets(cps, text.size(), out);
    return out;
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
    std::vector<std::string> tokens;
    for (auto& span : tokenize_with_offsets(text)) tokens.push_back(std::move(span.token));
    return tokens;
}

std::vector<int32_t> Tokenizer::convert_tokens_to_ids(const std::vector<std::string>& tokens) const {
    std::vector<int32_t> ids;
    ids.reserve(tokens.size());
    for (const auto& t : tokens) {
        auto it = impl_->vocab.find(t);
        ids.push_back(it == impl_->vocab.end() ? impl_->unk_id : it->second);
    }
    return ids;
}

namespace {

// tokenizers' TruncationStrategy::LongestFirst for a pair: the shorter keeps what it can, and when both
// must shrink the budget is split floor/ceil with the extra token going to the second sequence.
void truncate_longest_first(size_t budget, std::vector<TokenSpan>& a, std::vector<TokenSpan>* b) {
    if (!b) {
        if (a.size() > budget) a.resize(budget);
        return;
    }
    if (a.size() + b->size() <= budget) return;
    size_t n1 = a.size(), n2 = b->size();
    bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    if (n1 > budget) {
        n2 = n1;
    } else {
        n2 = std::max(n1, budget - n1);
    }
    if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
    }
    if (swap) std::swap(n1, n2);
    if (a.size() > n1) a.resize(n1);
    if (b->size() > n2) b->resize(n2);
}

}  // namespace

Encoding Tokenizer::encode(std::string_view text, std::optional<std::string_view> pair,
                           const EncodeOptions& options) const {
    std::vector<TokenSpan> a = tokenize_with_offsets(text);
    std::vector<TokenSpan> b;
    if (pair) b = tokenize_with_offsets(*pair);
    const bool roberta = impl_->bpe != nullptr;  // <s> A </s> </s> B </s>
    const size_t specials = options.add_special_tokens ? (pair ? (roberta ? 4 : 3) : 2) : 0;
    if (options.truncation) {
        size_t max_length = options.max_length ? options.max_length : impl_->config.model_max_length;
        if (max_length < specials) {
            throw Error(fmt::format("truncation: max_length {} leaves no room for the {} special tokens", max_length,
                                    specials));
        }
        truncate_longest_first(max_length - specials, a, pair ? &b : nullptr);
    }

    Encoding enc;
    auto push_special = [&](int32_t id, const std::string& token, int32_t type) {
        enc.ids.push_back(id);
        enc.type_ids.push_back(type);
        enc.attention_mask.push_back(1);
        enc.tokens.push_back(token);
        enc.offsets.emplace_back(0, 0);
        enc.byte_offsets.emplace_back(0, 0);
        enc.sequence_ids.push_back(-1);
        enc.special_tokens_mask.push_back(1);
    };
    auto push_spans = [&](const std::vector<TokenSpan>& spans, int32_t type) {
        for (const auto& s : spans) {
            enc.ids.push_back(s.id);
            enc.type_ids.push_back(type);
            enc.attention_mask.push_back(1);
            enc.tokens.push_back(s.token);
            enc.offsets.emplace_back(s.begin_cp, s.end_cp);
            enc.byte_offsets.emplace_back(s.begin_byte, s.end_byte);
            enc.sequence_ids.push_back(static_cast<int8_t>(type));
            enc.special_tokens_mask.push_back(0);
        }
    };
    const auto& cfg = impl_->config;
    if (options.add_special_tokens) push_special(impl_->cls_id, cfg.cls_token, 0);
    push_spans(a, 0);
    if (options.add_special_tokens) push_special(impl_->sep_id, cfg.sep_token, 0);
    if (pair) {
        // RoBERTa has no token types: everything is type 0 (RobertaProcessing); the sequence ids still
        // tell A from B.
        if (roberta && options.add_special_tokens) push_special(impl_->sep_id, cfg.sep_token, 0);
        push_spans(b, roberta ? 0 : 1);
        if (options.add_special_tokens) push_special(impl_->sep_id, cfg.sep_token, roberta ? 0 : 1);
        if (roberta) {
            for (size_t i = enc.size() - b.size() - (options.add_special_tokens ? 1 : 0); i < enc.size(); ++i) {
                if (enc.sequence_ids[i] == 0) enc.sequence_ids[i] = 1;
            }
        }
    }
    return enc;
}

int32_t Tokenizer::token_to_id(std::string_view token) const {
    auto it = impl_->vocab.find(token);
    return it == impl_->vocab.end() ? -1 : it->second;
}

const std::string& Tokenizer::id_to_token(int32_t id) const {
    static const std::string empty;
    if (id < 0 || static_cast<size_t>(id) >= impl_->id_to_token.size()) return empty;
    return impl_->id_to_token[static_cast<size_t>(id)];
}

size_t Tokenizer::vocab_size() const {
    return impl_->vocab.size();
}
const TokenizerConfig& Tokenizer::config() const {
    return impl_->config;
}
void Tokenizer::set_model_max_length(size_t length) {
    impl_->config.model_max_length = length;
}
const std::string& Tokenizer::source() const {
    return impl_->source;
}

}  // namespace attnscope::tokenizer
