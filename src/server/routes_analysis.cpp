// The analysis routes: each parses its own fields, runs the forward under a run slot and answers with the
// library's schema object (plus the encoding it was computed on, for the page to label its axes).
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "attnscope/model_analyses.h"
#include "attnscope/schema.h"
#include "request.h"
#include "routes.h"
#include "schema_json.h"

namespace attnscope::server::routes {

namespace {

constexpr auto kBase64 = schema::Arrays::Base64;

Trace run(Server::Impl& s, const tokenizer::Encoding& enc, const ForwardOptions& fo = {}) {
    RunSlot slot(s.runs);
    return s.model->forward(enc, fo);
}

json with_encoding(json answer, const tokenizer::Encoding& enc) {
    answer["encoding"] = encoding_json(enc);
    return answer;
}

}  // namespace

json analyze(Server::Impl& s, const json& body) {
    const model::Model& m = *s.model;
    const auto enc = encode_request(m, body);
    const Trace t = run(s, enc);
    return json{{"schema_version", schema::kVersion},
                {"model", model_info_json(m, s.location)},
                {"encoding", encoding_json(enc)},
                {"shape", {t.num_layers, t.num_heads, t.seq_len, t.seq_len}},
                {"attentions_b64", schema::base64_floats(t.attentions.data(), t.attentions.size())},
                {"stats", statistics_json(m, t, enc)}};
}

// What a neuron view needs for one head: per token its query and key vectors, and the scores and
// probabilities they give — all from the forward pass, none recomputed by the page.
json neuron(Server::Impl& s, const json& body) {
    const model::Model& m = *s.model;
    const auto enc = encode_request(m, body);
    const int layer = int_field(body, "layer", 0, m.config().num_hidden_layers - 1);
    const int head = int_field(body, "head", 0, m.config().num_attention_heads - 1);
    ForwardOptions fo;
    fo.capture.qkv = true;
    fo.capture.scores = true;
    return schema_json(schema::neuron(run(s, enc, fo), enc, layer, head, kBase64));
}

json rollout(Server::Impl& s, const json& body) {
    const auto enc = encode_request(*s.model, body);
    const Trace t = run(s, enc);
    const auto r = analysis::attention_rollout(t);
    if (!bool_field(body, "flow", false))
        return with_encoding(schema_json(schema::rollout(r, t.num_layers, t.seq_len, nullptr, 0, kBase64)), enc);
    const int layer = int_field(body, "flow_layer", 1, t.num_layers, t.num_layers);
    std::vector<float> flow;
    try {
        flow = analysis::attention_flow(t, layer);
    } catch (const Error& e) {
        throw HttpError(422, e.what());  // a well-formed request the flow cannot take (too many tokens)
    }
    return with_encoding(schema_json(schema::rollout(r, t.num_layers, t.seq_len, &flow, layer, kBase64)), enc);
}

// Kobayashi et al. 2020: per head the value-vector norms ‖f(x_j)‖ and the share of attention that special
// tokens get by weight alone and by weight × norm.
json norms(Server::Impl& s, const json& body) {
    const model::Model& m = *s.model;
    const auto enc = encode_request(m, body);
    ForwardOptions fo;
    fo.capture.qkv = true;
    const auto all = analysis::all_head_norms(m, run(s, enc, fo), analysis::token_classes(m, enc));
    return with_encoding(schema_json(schema::head_norms(all, kBase64)), enc);
}

json head_map(Server::Impl& s, const json& body) {
    const model::Model& m = *s.model;
    const auto enc = encode_request(m, body);
    const Trace t = run(s, enc);
    const auto stats = analysis::head_statistics(t, analysis::token_classes(m, enc));
    return schema_json(schema::head_map(analysis::head_map(t, stats), /*include_distances=*/false));
}

// The second input: another text, or one token of the first masked, replaced (by `token`) or deleted.
json diff(Server::Impl& s, const json& body) {
    const model::Model& m = *s.model;
    const auto a = encode_request(m, body);
    static constexpr const char* kChanges[] = {"with", "mask", "replace", "delete"};
    const auto changes =
        std::count_if(std::begin(kChanges), std::end(kChanges), [&](const char* k) { return body.contains(k); });
    if (changes != 1) throw HttpError(400, "give exactly one of: with, mask, replace (with token), delete");
    if (body.contains("token") != body.contains("replace"))
        throw HttpError(400, "'token' goes with 'replace', and only with it");
    tokenizer::Encoding b;
    std::string what = "the second text";
    if (body.contains("with")) {
        b = encode_request(m, body, "with");
    } else {
        const auto [key, change] = body.contains("mask")      ? std::pair{"mask", analysis::TokenChange::Mask}
                                   : body.contains("replace") ? std::pair{"replace", analysis::TokenChange::Replace}
                                                              : std::pair{"delete", analysis::TokenChange::Delete};
        const int position = int_field(body, key, 1, static_cast<int>(a.size()) - 2);
        b = analysis::change_token(m.tokenizer(), a, change, static_cast<size_t>(position),
                                   string_field(body, "token", ""), &what);
    }
    RunSlot slot(s.runs);
    return schema_json(schema::counterfactual(analysis::counterfactual(m, a, b, what), m.config().num_attention_heads));
}

json ablate(Server::Impl& s, const json& body) {
    const model::Model& m = *s.model;
    const auto enc = encode_request(m, body);
    if (!body.contains("heads") || !body["heads"].is_string())
        throw HttpError(400, "'heads' must be a string such as \"3:4,5:*\"");
    const auto mode = analysis::parse_ablation_mode(string_field(body, "ablation", "zero"));
    RunSlot slot(s.runs);
    return with_encoding(
        schema_json(schema::ablation(analysis::ablate(m, enc, body["heads"].get<std::string>(), mode))), enc);
}

}  // namespace attnscope::server::routes
