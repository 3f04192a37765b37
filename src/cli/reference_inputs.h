// A fixed set of varied inputs (a subset of the conformance inputs: scripts, punctuation, numbers, URLs,
// emoji, pairs, a long text) on which the fast weight modes report their error against fp32.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace attnscope::cli {

inline const std::vector<std::pair<std::string, std::string>>& reference_inputs() {
    static const std::vector<std::pair<std::string, std::string>> inputs = {
        {"The output shows the attention values", ""},
        {"Hello, my dog is cute", ""},
        {"The quick brown fox jumps over the lazy dog.", ""},
        {"Café naïve résumé über Ångström déjà vu São Paulo façade", ""},
        {"我爱自然语言处理。北京是中国的首都。", ""},
        {"Wait!!! What??? ...really... (yes) [no] {maybe} --- *** ///", ""},
        {"I love pizza 🍕🍕 and 😀 👍🏽", ""},
        {"3.14159 1,000,000 2026-11-27 12:30pm $5.99 50% 1e-12", ""},
        {"https://example.com/path?q=attention&lang=en#section and mailto:user@example.org", ""},
        {"The [MASK] shows the attention values", ""},
        {"Where is the Eiffel Tower?", "The Eiffel Tower is in Paris, France."},
        {"How many legs does a spider have?", "Spiders have eight legs."},
        {"Attention heads in the middle layers of BERT attend to the separator token, the classification "
         "token and punctuation far more than to content words, and several heads follow syntactic "
         "relations such as the direct objects of verbs, the determiners of nouns and the objects of "
         "prepositions with remarkable accuracy, while others mostly attend to the previous or the next "
         "token or broadly over the whole sentence.",
         ""},
    };
    return inputs;
}

}  // namespace attnscope::cli
