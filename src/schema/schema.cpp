#include "attnscope/schema.h"

#include <nlohmann/json.hpp>

#include "schema/json_values.h"

namespace attnscope::schema {

using nlohmann::json;

std::string model_info(const model::Model& model, const ModelLocation& where, bool with_path) {
    json info = model_info_json(model, where);
    if (!with_path) info.erase("path");
    return info.dump();
}

std::string encoding(const tokenizer::Encoding& e) {
    return encoding_json(e).dump();
}

std::string head_statistics(const analysis::HeadStatistics& stats,
                            const std::vector<analysis::PatternFeatures>& patterns) {
    return head_statistics_json(stats, patterns).dump();
}

std::string head_statistics(const analysis::InputStatistics& s) {
    return head_statistics(s.stats, s.patterns);
}

std::string head_norms(const analysis::AllHeadNorms& norms, Arrays arrays) {
    json heads = json::array();
    std::vector<float> value_norms;
    value_norms.reserve(norms.per_head.size() * norms.n);
    for (size_t i = 0; i < norms.per_head.size(); ++i) {
        const auto& r = norms.per_head[i];
        heads.push_back({{"layer", static_cast<int>(i) / norms.heads},
                         {"head", static_cast<int>(i) % norms.heads},
                         {"special_attention_share", r.special_attention_share},
                         {"special_norm_share", r.special_norm_share},
                         {"spearman", r.spearman}});
        value_norms.insert(value_norms.end(), r.value_norms.begin(), r.value_norms.end());
    }
    json out = {{"schema_version", kVersion},
                {"layers", norms.layers},
                {"heads", heads},
                {"n", norms.n},
                {"heads_per_layer", norms.heads}};
    put_array(out, "value_norms", value_norms.data(),
              {static_cast<size_t>(norms.layers), static_cast<size_t>(norms.heads), norms.n}, arrays);
    return out.dump();
}

std::string head_map(const analysis::HeadMap& map, bool include_distances) {
    json heads = json::array();
    const int count = map.layers * map.heads;
    for (int i = 0; i < count; ++i) {
        const size_t k = static_cast<size_t>(i);
        heads.push_back({{"layer", i / map.heads},
                         {"head", i % map.heads},
                         {"x", map.xy[2 * k]},
                         {"y", map.xy[2 * k + 1]},
                         {"colour", map.colours[k]}});
    }
    json out = {{"schema_version", kVersion}, {"heads", heads}, {"stress", map.stress}};
    if (include_distances) out["distances"] = map.distances;
    return out.dump();
}

std::string rollout(const std::vector<float>& rollout, int layers, size_t n, const std::vector<float>* flow,
                    int flow_layer, Arrays arrays) {
    json out = {{"schema_version", kVersion}, {"layers", layers}, {"n", n}};
    put_array(out, "rollout", rollout.data(), {static_cast<size_t>(layers), n, n}, arrays);
    if (flow) {
        out["flow_layer"] = flow_layer;
        put_array(out, "flow", flow->data(), {n, n}, arrays);
    }
    return out.dump();
}

std::string counterfactual(const analysis::Counterfactual& diff, int heads_per_layer) {
    json heads = json::array();
    const size_t H = static_cast<size_t>(heads_per_layer);
    for (size_t i = 0; i < diff.js_divergence.size(); ++i) {
        heads.push_back({{"layer", i / H}, {"head", i % H}, {"js_divergence", diff.js_divergence[i]}});
    }
    return json{{"schema_version", kVersion},
                {"change", diff.change},
                {"a", encoding_json(diff.a)},
                {"b", encoding_json(diff.b)},
                {"aligned_tokens", diff.alignment.size()},
                {"heads", heads}}
        .dump();
}

std::string ablation(const analysis::AblationResult& r) {
    auto predictions = [](const std::vector<analysis::MaskPredictions>& p) {
        json a = json::array();
        for (const auto& mp : p) {
            json top = json::array();
            for (const auto& t : mp.top)
                top.push_back({{"token", t.token}, {"id", t.id}, {"probability", t.probability}});
            a.push_back({{"position", mp.position}, {"top", top}});
        }
        return a;
    };
    json out = {{"schema_version", kVersion},
                {"ablation", r.mode},
                {"heads", r.heads},
                {"hidden_state_change", r.hidden_state_change}};
    if (!r.predictions.empty()) {
        out["predictions"] = predictions(r.predictions);
        out["ablated_predictions"] = predictions(r.ablated_predictions);
    }
    return out.dump();
}

std::string neuron(const Trace& t, const tokenizer::Encoding& e, int layer, int head, Arrays arrays) {
    const size_t n = t.seq_len, d = static_cast<size_t>(t.head_dim);
    json out = {{"schema_version", kVersion},
                {"tokens", e.tokens},
                {"layer", layer},
                {"head", head},
                {"head_dim", d},
                {"n", n},
                {"scale", 1.0 / std::sqrt(static_cast<double>(d))}};
    put_array(out, "queries", t.query(layer, head), {n, d}, arrays);
    put_array(out, "keys", t.key(layer, head), {n, d}, arrays);
    put_array(out, "scores", t.score(layer, head), {n, n}, arrays);
    put_array(out, "attention", t.attention(layer, head), {n, n}, arrays);
    return out.dump();
}

std::string base64_floats(const float* data, size_t count) {
    return base64(data, count * sizeof(float));
}

}  // namespace attnscope::schema
