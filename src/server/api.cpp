#include "api.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <string_view>
#include <vector>

#include "attnscope/ablation.h"
#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "analysis_json.h"
#include "frames.h"
#include "html_export.h"
#include "request.h"

namespace attnscope::server {

namespace {

using nlohmann::json;

std::string error_json(const std::string& message) { return json{{"error", message}}.dump(); }

// Runs a route's work; HttpError and library errors become 4xx JSON errors. Returns whether it succeeded.
template <typename Fn>
bool answering_errors(httplib::Response& res, Fn fn) {
    auto fail = [&res](int status, const std::string& message) {
        res.status = status;
        res.set_content(error_json(message), "application/json");
        return false;
    };
    try {
        fn();
        return true;
    } catch (const HttpError& e) {
        return fail(e.status, e.what());
    } catch (const Error& e) {
        return fail(400, e.what());
    } catch (const json::exception& e) {
        // A field read without a typed helper: still the client's mistake, not a server fault.
        return fail(400, fmt::format("a field of the request has the wrong type ({})", e.what()));
    }
}

// A POST route with a JSON body (the text fields and `fields`) and a JSON answer.
template <typename Fn>
void post_json(Server::Impl& s, const char* path, std::initializer_list<std::string_view> fields, Fn fn) {
    s.http.Post(path, [&s, fn, known = std::vector<std::string_view>(fields)](const httplib::Request& req,
                                                                              httplib::Response& res) {
        answering_errors(res, [&] {
            json body = parse_body(req.body);
            allow_fields(body, known);
            // The answer's text (about 2.7 × the attention bytes for /api/analyze) is made after the route's
            // forward-pass slot is released; this slot keeps those in memory at once to --concurrent too.
            RunSlot answer(s.answers);
            res.set_content(fn(body).dump(), "application/json");
        });
    });
}

// The second input of /api/diff: another text, or one token of the first masked, replaced or deleted.
constexpr const char* kDiffChanges[] = {"with", "mask", "replace", "delete"};

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void register_api(Server::Impl& s) {
    auto& http = s.http;
    const model::Model& m = *s.model;
    const auto& cfg = m.config();
    const int L = cfg.num_hidden_layers, H = cfg.num_attention_heads;

    http.Get("/api/model", [&s](const httplib::Request&, httplib::Response& res) {
        res.set_content(model_info_json(*s.model, s.location).dump(), "application/json");
    });

    // Streams frames: encoding, then one per layer as soon as it is computed, then statistics, then done.
    http.Post("/api/attention", [&s, &m, H](const httplib::Request& req, httplib::Response& res) {
        tokenizer::Encoding enc;
        const bool ok = answering_errors(res, [&] {
            const json body = parse_body(req.body);
            allow_fields(body);
            enc = encode_request(m, body);
        });
        if (!ok) return;
        res.set_header("Cache-Control", "no-store");
        res.set_chunked_content_provider("application/x-attnscope-frames", [&s, &m, H, enc](size_t, httplib::DataSink& sink) {
            const auto t0 = std::chrono::steady_clock::now();
            RunSlot slot(s.runs);
            const size_t n = enc.size();
            std::atomic<bool> gone{false};
            auto send = [&](const std::string& bytes) {
                if (gone.load()) return false;
                if (!sink.is_writable() || !sink.write(bytes.data(), bytes.size())) gone.store(true);
                return !gone.load();
            };
            if (!send(frame({{"type", "encoding"}, {"encoding", encoding_json(enc)}, {"layers", m.config().num_hidden_layers},
                             {"heads", H}, {"n", n}}))) {
                return false;
            }
            ForwardOptions fo;
            fo.cancel = &gone;
            Trace trace;
            try {
                trace = m.forward(enc, fo, [&](size_t, int layer, const Trace& t) {
                    send(frame({{"type", "layer"}, {"layer", layer}, {"shape", {H, n, n}}}, t.attention(layer, 0),
                               static_cast<size_t>(H) * n * n));
                });
            } catch (const Error& e) {
                send(frame({{"type", "error"}, {"error", e.what()}}));
                sink.done();
                return true;
            }
            if (gone.load()) return false;  // the client went away: stop quietly
            const double forward_ms = ms_since(t0);
            send(frame({{"type", "stats"}, {"stats", head_stats_json(trace, enc, m.tokenizer().config())}}));
            send(frame({{"type", "done"}, {"forward_ms", forward_ms}, {"total_ms", ms_since(t0)}}));
            sink.done();
            return true;
        });
    });

    post_json(s, "/api/analyze", {}, [&s, &m](const json& body) {
        auto enc = encode_request(m, body);
        RunSlot slot(s.runs);
        Trace t = m.forward(enc);
        return json{{"model", model_info_json(m, s.location)},
                    {"encoding", encoding_json(enc)},
                    {"shape", {t.num_layers, t.num_heads, t.seq_len, t.seq_len}},
                    {"attentions_b64", base64(t.attentions.data(), t.attentions.size() * sizeof(float))},
                    {"stats", head_stats_json(t, enc, m.tokenizer().config())}};
    });

    // What a neuron view needs for one head: per token its query and key vectors, and the scores and
    // probabilities they give — all from the forward pass, none recomputed by the page.
    post_json(s, "/api/neuron", {"layer", "head"}, [&s, &m, L, H](const json& body) {
        auto enc = encode_request(m, body);
        const int layer = int_field(body, "layer", 0, L - 1), head = int_field(body, "head", 0, H - 1);
        ForwardOptions fo;
        fo.capture.qkv = true;
        fo.capture.scores = true;
        RunSlot slot(s.runs);
        Trace t = m.forward(enc, fo);
        const size_t n = t.seq_len, d = static_cast<size_t>(t.head_dim);
        auto b64 = [](const float* p, size_t count) { return base64(p, count * sizeof(float)); };
        return json{{"tokens", enc.tokens},
                    {"layer", layer},
                    {"head", head},
                    {"head_dim", d},
                    {"n", n},
                    {"scale", 1.0 / std::sqrt(static_cast<double>(d))},
                    {"queries_b64", b64(t.query(layer, head), n * d)},
                    {"keys_b64", b64(t.key(layer, head), n * d)},
                    {"scores_b64", b64(t.score(layer, head), n * n)},
                    {"attention_b64", b64(t.attention(layer, head), n * n)}};
    });

    post_json(s, "/api/rollout", {"flow", "flow_layer"}, [&s, &m](const json& body) {
        auto enc = encode_request(m, body);
        RunSlot slot(s.runs);
        Trace t = m.forward(enc);
        auto r = analysis::attention_rollout(t);
        json out = {{"encoding", encoding_json(enc)}, {"shape", {t.num_layers, t.seq_len, t.seq_len}},
                    {"rollout_b64", base64(r.data(), r.size() * sizeof(float))}};
        if (bool_field(body, "flow", false)) {
            const int layer = int_field(body, "flow_layer", 1, t.num_layers, t.num_layers);
            try {
                auto f = analysis::attention_flow(t, layer);
                out["flow_b64"] = base64(f.data(), f.size() * sizeof(float));
                out["flow_layer"] = layer;
            } catch (const Error& e) {
                throw HttpError(422, e.what());
            }
        }
        return out;
    });

    // Kobayashi et al. 2020: per head the value-vector norms ‖f(x_j)‖ and the share of attention that
    // special tokens get by weight alone and by weight × norm.
    post_json(s, "/api/norms", {}, [&s, &m, L, H](const json& body) {
        auto enc = encode_request(m, body);
        ForwardOptions fo;
        fo.capture.qkv = true;
        RunSlot slot(s.runs);
        Trace t = m.forward(enc, fo);
        const auto& tc = m.tokenizer().config();
        const auto tokens = analysis::TokenClasses::from_encoding(enc, tc.cls_token, tc.sep_token);
        const size_t n = t.seq_len;
        std::vector<float> value_norms;
        value_norms.reserve(static_cast<size_t>(L * H) * n);
        json heads = json::array();
        for (int l = 0; l < L; ++l) {
            for (int h = 0; h < H; ++h) {
                const auto wo = m.output_projection(l, h);
                auto r = analysis::head_norms(t.attention(l, h), t.value(l, h), n, static_cast<size_t>(t.head_dim), wo.data(),
                                              static_cast<size_t>(m.config().hidden_size), tokens);
                value_norms.insert(value_norms.end(), r.value_norms.begin(), r.value_norms.end());
                heads.push_back({{"layer", l}, {"head", h}, {"special_attention_share", r.special_attention_share},
                                 {"special_norm_share", r.special_norm_share}, {"spearman", r.spearman}});
            }
        }
        return json{{"encoding", encoding_json(enc)}, {"heads", heads}, {"shape", {L, H, n}},
                    {"value_norms_b64", base64(value_norms.data(), value_norms.size() * sizeof(float))}};
    });

    post_json(s, "/api/headmap", {}, [&s, &m, L, H](const json& body) {
        auto enc = encode_request(m, body);
        RunSlot slot(s.runs);
        Trace t = m.forward(enc);
        std::vector<double> d;
        analysis::add_head_distances(t, d);
        double stress = 0;
        auto xy = analysis::metric_mds(d, static_cast<size_t>(L * H), &stress);
        json stats = head_stats_json(t, enc, m.tokenizer().config());
        json heads = json::array();
        for (int i = 0; i < L * H; ++i) {
            heads.push_back({{"layer", i / H}, {"head", i % H}, {"x", xy[static_cast<size_t>(i) * 2]},
                             {"y", xy[static_cast<size_t>(i) * 2 + 1]}, {"colour", stats["heads"][static_cast<size_t>(i)]["map_colour"]}});
        }
        return json{{"heads", heads}, {"stress", stress}};
    });

    post_json(s, "/api/diff", {"with", "mask", "replace", "token", "delete"}, [&s, &m, H](const json& body) {
        auto a = encode_request(m, body);
        tokenizer::Encoding b;
        std::string what;
        const auto& tok = m.tokenizer();
        const auto changes = std::count_if(std::begin(kDiffChanges), std::end(kDiffChanges), [&](const char* k) { return body.contains(k); });
        if (changes != 1) throw HttpError(400, "give exactly one of: with, mask, replace (with token), delete");
        if (body.contains("token") != body.contains("replace")) throw HttpError(400, "'token' goes with 'replace', and only with it");
        if (body.contains("with")) {
            b = encode_request(m, body, "with");
            what = "the second text";
        } else {
            b = a;
            auto position = [&](const char* key) {
                const int p = int_field(body, key, 1, static_cast<int>(a.size()) - 2);
                if (a.special_tokens_mask[static_cast<size_t>(p)]) throw HttpError(400, "that position is a special token");
                return static_cast<size_t>(p);
            };
            if (body.contains("mask")) {
                const size_t i = position("mask");
                what = fmt::format("token {} '{}' masked", i, a.tokens[i]);
                b.ids[i] = tok.token_to_id(tok.config().mask_token);
                b.tokens[i] = tok.config().mask_token;
            } else if (body.contains("replace")) {
                const size_t i = position("replace");
                const std::string word = string_field(body, "token", "");
                const int32_t id = tok.token_to_id(word);
                if (id < 0) throw HttpError(400, fmt::format("'{}' is not a single token of the vocabulary", word));
                what = fmt::format("token {} '{}' replaced by '{}'", i, a.tokens[i], word);
                b.ids[i] = id;
                b.tokens[i] = word;
            } else {  // delete
                const size_t i = position("delete");
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
            }
        }
        RunSlot slot(s.runs);
        auto traces = m.forward_batch({a, b});
        auto alignment = analysis::align_tokens(a.tokens, b.tokens);
        auto change = analysis::head_change(traces[0], traces[1], alignment);
        json heads = json::array();
        for (size_t i = 0; i < change.size(); ++i) heads.push_back({{"layer", i / static_cast<size_t>(H)}, {"head", i % static_cast<size_t>(H)}, {"js_divergence", change[i]}});
        return json{{"change", what}, {"a", encoding_json(a)}, {"b", encoding_json(b)}, {"aligned_tokens", alignment.size()}, {"heads", heads}};
    });

    post_json(s, "/api/ablate", {"heads", "ablation"}, [&s, &m, L, H](const json& body) {
        auto enc = encode_request(m, body);
        if (!body.contains("heads") || !body["heads"].is_string()) throw HttpError(400, "'heads' must be a string such as \"3:4,5:*\"");
        ForwardOptions fo;
        fo.head_mask = analysis::parse_head_list(body["heads"].get<std::string>(), L, H);
        const std::string mode = string_field(body, "ablation", "zero");
        fo.ablation = mode == "zero" ? HeadAblation::Zero : mode == "uniform" ? HeadAblation::Uniform : mode == "mean" ? HeadAblation::Mean
                                                                                                            : throw HttpError(400, "'ablation' must be zero, uniform or mean");
        RunSlot slot(s.runs);
        if (fo.ablation == HeadAblation::Mean) {
            ForwardOptions cap;
            cap.capture.context = true;
            fo.mean_context = analysis::mean_head_outputs({m.forward(enc, cap)});
        }
        auto base = m.forward(enc), ablated = m.forward(enc, fo);
        json out = {{"encoding", encoding_json(enc)}, {"ablation", mode}, {"hidden_state_change", analysis::hidden_state_change(base, ablated)}};
        const auto& tok = m.tokenizer();
        const bool has_mask = std::find(enc.ids.begin(), enc.ids.end(), tok.token_to_id(tok.config().mask_token)) != enc.ids.end();
        if (m.has_mlm_head() && has_mask) {
            auto to_json = [](const std::vector<analysis::MaskPredictions>& p) {
                json a = json::array();
                for (const auto& mp : p) {
                    json top = json::array();
                    for (const auto& t : mp.top) top.push_back({{"token", t.token}, {"probability", t.probability}});
                    a.push_back({{"position", mp.position}, {"top", top}});
                }
                return a;
            };
            out["predictions"] = to_json(analysis::fill_mask(m, enc, 5));
            out["ablated_predictions"] = to_json(analysis::fill_mask(m, enc, 5, fo));
        }
        return out;
    });

    http.Post("/api/export", [&s, &m](const httplib::Request& req, httplib::Response& res) {
        answering_errors(res, [&] {
            const json body = parse_body(req.body);
            allow_fields(body);
            auto enc = encode_request(m, body);
            RunSlot slot(s.runs);
            Trace t = m.forward(enc);
            std::optional<std::string> pair;
            if (body.contains("pair") && body["pair"].is_string()) pair = body["pair"].get<std::string>();
            res.set_header("Content-Disposition", "attachment; filename=\"attnscope.html\"");
            res.set_content(offline_html(m, s.location, enc, t, body["text"].get<std::string>(), pair), "text/html; charset=utf-8");
        });
    });
}

}  // namespace attnscope::server
