#include "attnscope/model_analyses.h"

#include <fmt/format.h>

#include <algorithm>

#include "attnscope/error.h"

namespace attnscope::analysis {

TokenClasses token_classes(const model::Model& model, const tokenizer::Encoding& e) {
    const auto& tc = model.tokenizer().config();
    return TokenClasses::from_encoding(e, tc.cls_token, tc.sep_token);
}

InputStatistics input_statistics(const Trace& trace, const TokenClasses& tokens) {
    return {head_statistics(trace, tokens), classify_heads(trace, tokens)};
}

AllHeadNorms all_head_norms(const model::Model& model, const Trace& t, const TokenClasses& tokens) {
    if (t.values.empty()) throw Error("norms need the value vectors: run the forward with capture.qkv");
    AllHeadNorms out{t.num_layers, t.num_heads, t.seq_len, {}};
    const size_t d = static_cast<size_t>(t.head_dim), D = static_cast<size_t>(t.hidden_size);
    out.per_head.reserve(static_cast<size_t>(t.num_layers) * static_cast<size_t>(t.num_heads));
    for (int l = 0; l < t.num_layers; ++l) {
        for (int h = 0; h < t.num_heads; ++h) {
            const auto wo = model.output_projection(l, h);
            out.per_head.push_back(head_norms(t.attention(l, h), t.value(l, h), t.seq_len, d, wo.data(), D, tokens));
        }
    }
    return out;
}

HeadMap head_map(const Trace& trace, const HeadStatistics& stats, int threads) {
    HeadMap map{trace.num_layers, trace.num_heads, {}, 0, {}, {}};
    add_head_distances(trace, map.distances, threads);
    map.xy = metric_mds(map.distances, static_cast<size_t>(trace.num_layers) * static_cast<size_t>(trace.num_heads),
                        &map.stress);
    for (const auto& v : stats.values) map.colours.push_back(head_map_colour(v));
    return map;
}

tokenizer::Encoding change_token(const tokenizer::Tokenizer& tok, const tokenizer::Encoding& a, TokenChange change,
                                 size_t i, const std::string& token, std::string* description) {
    if (a.size() < 3 || i < 1 || i > a.size() - 2) {
        throw Error(fmt::format("position {}: expected 1..{} (a token of the text, not [CLS] or the last [SEP])", i,
                                a.size() < 3 ? 0 : a.size() - 2));
    }
    if (a.special_tokens_mask[i]) throw Error(fmt::format("position {} is a special token ('{}')", i, a.tokens[i]));
    tokenizer::Encoding b = a;
    std::string what;
    switch (change) {
        case TokenChange::Mask: {
            const std::string& mask = tok.config().mask_token;
            const int32_t id = tok.token_to_id(mask);
            if (id < 0) throw Error(fmt::format("this vocabulary has no mask token '{}'", mask));
            what = fmt::format("token {} '{}' masked", i, a.tokens[i]);
            b.ids[i] = id;
            b.tokens[i] = mask;
            break;
        }
        case TokenChange::Replace: {
            const int32_t id = tok.token_to_id(token);
            if (id < 0) throw Error(fmt::format("'{}' is not a single token of the vocabulary", token));
            what = fmt::format("token {} '{}' replaced by '{}'", i, a.tokens[i], token);
            b.ids[i] = id;
            b.tokens[i] = token;
            break;
        }
        case TokenChange::Delete: {
            what = fmt::format("token {} '{}' deleted", i, a.tokens[i]);
            const auto at = static_cast<long>(i);
            b.ids.erase(b.ids.begin() + at);
            b.tokens.erase(b.tokens.begin() + at);
            b.type_ids.erase(b.type_ids.begin() + at);
            b.attention_mask.erase(b.attention_mask.begin() + at);
            b.offsets.erase(b.offsets.begin() + at);
            b.byte_offsets.erase(b.byte_offsets.begin() + at);
            b.sequence_ids.erase(b.sequence_ids.begin() + at);
            b.special_tokens_mask.erase(b.special_tokens_mask.begin() + at);
            break;
        }
    }
    if (description) *description = std::move(what);
    return b;
}

Counterfactual counterfactual(const model::Model& model, const tokenizer::Encoding& a, const tokenizer::Encoding& b,
                              std::string change, int threads) {
    ForwardOptions fo;
    fo.threads = threads;
    const auto traces = model.forward_batch({a, b}, fo);
    Counterfactual out{std::move(change), a, b, align_tokens(a.tokens, b.tokens), {}};
    out.js_divergence = head_change(traces[0], traces[1], out.alignment);
    return out;
}

HeadAblation parse_ablation_mode(const std::string& name) {
    if (name == "zero") return HeadAblation::Zero;
    if (name == "uniform") return HeadAblation::Uniform;
    if (name == "mean") return HeadAblation::Mean;
    throw Error(fmt::format("ablation '{}': expected zero, uniform or mean", name));
}

const char* ablation_mode_name(HeadAblation mode) {
    switch (mode) {
        case HeadAblation::Zero:
            return "zero";
        case HeadAblation::Uniform:
            return "uniform";
        case HeadAblation::Mean:
            return "mean";
    }
    return "zero";
}

AblationResult ablate(const model::Model& model, const tokenizer::Encoding& e, const std::string& heads,
                      HeadAblation mode, size_t top_k, int threads) {
    const auto& c = model.config();
    ForwardOptions base;
    base.threads = threads;
    ForwardOptions fo = base;
    fo.head_mask = parse_head_list(heads, c.num_hidden_layers, c.num_attention_heads);
    fo.ablation = mode;
    if (mode == HeadAblation::Mean) {
        ForwardOptions capture = base;
        capture.capture.context = true;
        fo.mean_context = mean_head_outputs({model.forward(e, capture)});
    }
    AblationResult out{ablation_mode_name(mode), heads, {}, {}, {}};
    out.hidden_state_change = hidden_state_change(model.forward(e, base), model.forward(e, fo));
    const auto& tok = model.tokenizer();
    const int32_t mask_id = tok.token_to_id(tok.config().mask_token);
    const bool has_mask = mask_id >= 0 && std::find(e.ids.begin(), e.ids.end(), mask_id) != e.ids.end();
    if (model.has_mlm_head() && has_mask) {
        out.predictions = fill_mask(model, e, top_k, base);
        out.ablated_predictions = fill_mask(model, e, top_k, fo);
    }
    return out;
}

}  // namespace attnscope::analysis
