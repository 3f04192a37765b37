#include <algorithm>

#include "attnscope/analysis.h"

namespace attnscope::analysis {

size_t TokenClasses::num_sep() const { return static_cast<size_t>(std::count(sep.begin(), sep.end(), 1)); }
size_t TokenClasses::num_special() const { return static_cast<size_t>(std::count(special.begin(), special.end(), 1)); }
bool TokenClasses::has_pair() const { return std::any_of(segment.begin(), segment.end(), [](int8_t s) { return s == 1; }); }

TokenClasses TokenClasses::from_encoding(const tokenizer::Encoding& e, const std::string& cls_token,
                                         const std::string& sep_token) {
    TokenClasses t;
    t.n = e.size();
    t.cls.assign(t.n, 0);
    t.sep.assign(t.n, 0);
    t.punct.assign(t.n, 0);
    t.special.assign(t.n, 0);
    t.segment.assign(t.n, 0);
    for (size_t i = 0; i < t.n; ++i) {
        const std::string& tok = i < e.tokens.size() ? e.tokens[i] : std::string();
        t.cls[i] = tok == cls_token;
        t.sep[i] = tok == sep_token;
        t.punct[i] = tok == "." || tok == ",";
        t.special[i] = t.cls[i] || t.sep[i];
        t.segment[i] = static_cast<int8_t>(i < e.type_ids.size() && e.type_ids[i] == 1 ? 1 : 0);
    }
    return t;
}

}  // namespace attnscope::analysis
