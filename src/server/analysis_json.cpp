#include "analysis_json.h"

#include "attnscope/analysis.h"

namespace attnscope::server {

nlohmann::json model_info_json(const model::Model& m, const ModelLocation& where) {
    const auto& c = m.config();
    return {{"name", where.name},
            {"resolved_by", where.resolved_by},
            {"layers", c.num_hidden_layers},
            {"heads", c.num_attention_heads},
            {"hidden_size", c.hidden_size},
            {"head_dim", c.head_dim()},
            {"vocab_size", c.vocab_size},
            {"max_length", m.tokenizer().config().model_max_length},
            {"has_mlm_head", m.has_mlm_head()},
            {"weight_storage", m.info().weight_storage}};
}

nlohmann::json head_stats_json(const Trace& trace, const tokenizer::Encoding& e, const tokenizer::TokenizerConfig& tc) {
    const auto tokens = analysis::TokenClasses::from_encoding(e, tc.cls_token, tc.sep_token);
    const auto stats = analysis::head_statistics(trace, tokens);
    const auto patterns = analysis::classify_heads(trace, tokens);
    nlohmann::json heads = nlohmann::json::array();
    for (int l = 0; l < trace.num_layers; ++l) {
        for (int h = 0; h < trace.num_heads; ++h) {
            const size_t i = static_cast<size_t>(l * trace.num_heads + h);
            nlohmann::json head = {{"layer", l}, {"head", h}};
            for (int s = 0; s < analysis::kNumStats; ++s) head[analysis::stat_info(s).key] = stats.values[i][static_cast<size_t>(s)];
            head["pattern"] = analysis::pattern_name(patterns[i].label);
            head["pattern_features"] = {{"vertical", patterns[i].vertical}, {"diagonal", patterns[i].diagonal},
                                        {"block", patterns[i].block}};
            head["map_colour"] = analysis::head_map_colour(stats.values[i]);
            heads.push_back(std::move(head));
        }
    }
    nlohmann::json info = nlohmann::json::array();
    for (int s = 0; s < analysis::kNumStats; ++s) {
        info.push_back({{"key", analysis::stat_info(s).key}, {"label", analysis::stat_info(s).label},
                        {"unit", analysis::stat_info(s).unit}});
    }
    return {{"heads", heads}, {"statistics", info}, {"uniform_entropy", stats.uniform_entropy}};
}

}  // namespace attnscope::server
