#include <algorithm>

#include "attnscope/analysis.h"

namespace attnscope::analysis {

size_t TokenClasses::num_sep() const {
    return static_cast<size_t>(std::count(sep.begin(), sep.end(), 1));
}
size_t TokenClasses::num_special() const {
    return static_cast<size_t>(std::count(special.begin(), special.end(), 1));
}
bool TokenClasses::has_pair() const {
    return std::any_of(segment.begin(), segment.end(), [](int8_t s) { return s == 1; });
}

TokenClasses TokenClasses::from_encoding(const tokenizer::Encoding& e, const std::string& cls_token,
                                         const std::string& sep_token) {
    TokenClasses t;
    t.n = e.size();
    t.cls.assign(t.n, 0);
    t.sep.assign(t.n, 0);
    t.punct.assign(t.n, 0);
    t.special.assign(t.n, 0);
    t.segment.assign(t.n, 0);
    // RoBERTa and DistilBERT give every token type 0: their pair text starts where BertViz's
    // sentence_b_start says (RoBERTa's "<s> A </s></s> B </s>" puts both separators in A).
    const bool typed = std::any_of(e.type_ids.begin(), e.type_ids.end(), [](int32_t v) { return v == 1; });
    const size_t b_start = typed ? t.n : e.sentence_b_start().value_or(t.n);
    for (size_t i = 0; i < t.n; ++i) {
        const std::string& tok = i < e.tokens.size() ? e.tokens[i] : std::string();
        t.cls[i] = tok == cls_token;
        t.sep[i] = tok == sep_token;
        // Byte-level BPE writes a space before a word as "Ġ" (U+0120): " ." is the token "Ġ.".
        t.punct[i] = tok == "." || tok == "," || tok == "\u0120." || tok == "\u0120,";
        t.special[i] = t.cls[i] || t.sep[i];
        const bool in_b = typed ? (i < e.type_ids.size() && e.type_ids[i] == 1) : i >= b_start;
        t.segment[i] = static_cast<int8_t>(in_b ? 1 : 0);
    }
    return t;
}

}  // namespace attnscope::analysis
