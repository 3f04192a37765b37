// The corpus results object (docs/analyses.md#corpus-mode): what PREFIX.json's "results" holds.
#include <array>

#include "attnscope/corpus.h"
#include "schema/json_values.h"

namespace attnscope::schema {

nlohmann::json corpus_json(const analysis::CorpusStats& c) {
    using nlohmann::json;
    json r;
    const int L = c.layers(), H = c.heads();
    r["docs"] = c.docs();
    r["tokens"] = c.tokens();
    r["uniform_entropy"] = c.uniform_entropy();
    r["skipped_lines"] = c.skipped.size();
    r["weighting"] = {{"document", "mean over inputs of each input's value (Clark et al. 2019)"},
                      {"token", "inputs weighted by the rows each value averages (transformers bertology script)"}};
    std::vector<double> layout;
    double stress = 0;
    if (c.head_map_docs() > 0) layout = analysis::metric_mds(c.head_distances(), static_cast<size_t>(L * H), &stress);
    r["heads"] = json::array();
    for (int l = 0; l < L; ++l) {
        for (int h = 0; h < H; ++h) {
            const int i = l * H + h;
            json head = {{"layer", l}, {"head", h}};
            json doc, tok;
            std::array<double, analysis::kNumStats> values{};
            for (int s = 0; s < analysis::kNumStats; ++s) {
                doc[analysis::stat_info(s).key] = c.document_weighted(i, s);
                tok[analysis::stat_info(s).key] = c.token_weighted(i, s);
                values[static_cast<size_t>(s)] = c.document_weighted(i, s);
            }
            head["document_weighted"] = doc;
            head["token_weighted"] = tok;
            json patterns;
            for (int p = 0; p < analysis::kNumPatterns; ++p) {
                patterns[analysis::pattern_name(static_cast<analysis::Pattern>(p))] =
                    c.pattern_count(i, static_cast<analysis::Pattern>(p));
            }
            head["patterns"] = patterns;
            head["pattern"] = analysis::pattern_name(c.majority_pattern(i));
            head["pattern_features"] = {{"vertical", c.pattern_feature(i, 0)},
                                        {"diagonal", c.pattern_feature(i, 1)},
                                        {"block", c.pattern_feature(i, 2)}};
            head["map_colour"] = analysis::head_map_colour(values);
            if (!layout.empty())
                head["map_xy"] = {layout[static_cast<size_t>(i) * 2], layout[static_cast<size_t>(i) * 2 + 1]};
            if (c.has_importance()) head["importance"] = c.importance(i);
            r["heads"].push_back(head);
        }
    }
    r["layers"] = json::array();
    for (int l = 0; l < L; ++l) {
        json counts;
        for (int p = 0; p < analysis::kNumPatterns; ++p) {
            uint64_t total = 0;
            for (int h = 0; h < H; ++h) total += c.pattern_count(l * H + h, static_cast<analysis::Pattern>(p));
            counts[analysis::pattern_name(static_cast<analysis::Pattern>(p))] = total;
        }
        r["layers"].push_back({{"layer", l}, {"patterns", counts}});
    }
    if (!layout.empty()) {
        r["head_map"] = {{"docs", c.head_map_docs()},
                         {"stress", stress},
                         {"distance", "Σ over inputs and rows of JS(Ã_a, Ã_b), Ã = 0.999·A + 0.001/n"}};
    }
    return r;
}

std::string corpus(const analysis::CorpusStats& stats) {
    return corpus_json(stats).dump();
}

}  // namespace attnscope::schema
