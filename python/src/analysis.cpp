// The analyses every face has, as the library computes them and in the library's one JSON schema
// (schema.h): each function returns that JSON text, which python/attnscope/analysis.py turns into dicts
// (json.loads) and NumPy arrays (the base64 float arrays). The attentions come from NumPy arrays — a
// ModelOutput's, or anyone's — that a Trace borrows without copying.
#include <fmt/format.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "attnscope/ablation.h"
#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "attnscope/model_analyses.h"
#include "attnscope/schema.h"
#include "bindings.h"

namespace attnscope::python {

using tokenizer::Encoding;
using Tensor4 = nb::ndarray<const float, nb::ndim<4>, nb::c_contig, nb::device::cpu>;

namespace {

void borrow(FloatBuffer& to, const Tensor4& from) {
    // The analyses only read: the const_cast lets a read-only array be borrowed too.
    to.borrow(const_cast<float*>(from.data()), from.size());
}

// A Trace over attentions [L][H][n][n] for `e` (and optionally its queries, keys, values [L][H][n][d] and
// scores [L][H][n][n]).
Trace trace_view(const Tensor4& att, const Encoding& e) {
    const size_t n = att.shape(2);
    if (att.shape(3) != n)
        throw Error(fmt::format("attentions: expected [layers, heads, n, n], got [{}, {}, {}, {}]", att.shape(0),
                                att.shape(1), att.shape(2), att.shape(3)));
    if (e.size() != n) throw Error(fmt::format("attentions are for {} tokens but the encoding has {}", n, e.size()));
    Trace t;
    t.num_layers = static_cast<int>(att.shape(0));
    t.num_heads = static_cast<int>(att.shape(1));
    t.seq_len = n;
    borrow(t.attentions, att);
    return t;
}

void add_head_vectors(Trace& t, FloatBuffer Trace::*member, const Tensor4& v, const char* what) {
    if (v.shape(0) != static_cast<size_t>(t.num_layers) || v.shape(1) != static_cast<size_t>(t.num_heads) ||
        v.shape(2) != t.seq_len) {
        throw Error(fmt::format("{}: expected [{}, {}, {}, d], got [{}, {}, {}, {}]", what, t.num_layers, t.num_heads,
                                t.seq_len, v.shape(0), v.shape(1), v.shape(2), v.shape(3)));
    }
    t.head_dim = static_cast<int>(v.shape(3));
    borrow(t.*member, v);
}

analysis::TokenClasses classes(const Encoding& e, const PyTokenizer* tok) {
    if (!tok) return analysis::TokenClasses::from_encoding(e);
    const auto& c = tok->tok->config();
    return analysis::TokenClasses::from_encoding(e, c.cls_token, c.sep_token);
}

std::string head_statistics(const Tensor4& att, const Encoding& e, const PyTokenizer* tok, int threads) {
    Trace t = trace_view(att, e);
    const auto tokens = classes(e, tok);
    nb::gil_scoped_release release;
    const auto stats = analysis::head_statistics(t, tokens, threads);
    const auto patterns = analysis::classify_heads(t, tokens, {}, threads);
    return schema::head_statistics(stats, patterns);
}

std::string head_map(const Tensor4& att, const Encoding& e, const PyTokenizer* tok, bool include_distances,
                     int threads) {
    Trace t = trace_view(att, e);
    const auto tokens = classes(e, tok);
    nb::gil_scoped_release release;
    const auto stats = analysis::head_statistics(t, tokens, threads);
    return schema::head_map(analysis::head_map(t, stats, threads), include_distances);
}

std::string rollout(const Tensor4& att, const Encoding& e, int flow_layer) {
    Trace t = trace_view(att, e);
    if (flow_layer < 0 || flow_layer > t.num_layers) {
        throw Error(fmt::format("flow_layer {}: expected 1 to {} (or 0 for no flow)", flow_layer, t.num_layers));
    }
    nb::gil_scoped_release release;
    const auto r = analysis::attention_rollout(t);
    std::vector<float> flow;
    if (flow_layer > 0) flow = analysis::attention_flow(t, flow_layer);
    return schema::rollout(r, t.num_layers, t.seq_len, flow_layer > 0 ? &flow : nullptr, flow_layer,
                           schema::Arrays::Base64);
}

std::string head_norms(const PyModel& pm, const Tensor4& att, const Tensor4& values, const Encoding& e) {
    Trace t = trace_view(att, e);
    add_head_vectors(t, &Trace::values, values, "values");
    const auto& c = pm.model->config();
    if (t.num_layers != c.num_hidden_layers || t.num_heads != c.num_attention_heads || t.head_dim != c.head_dim()) {
        throw Error("values: not this model's layers, heads and head size");
    }
    t.hidden_size = c.hidden_size;
    const auto& tc = pm.model->tokenizer().config();
    const auto tokens = analysis::TokenClasses::from_encoding(e, tc.cls_token, tc.sep_token);
    nb::gil_scoped_release release;
    return schema::head_norms(analysis::all_head_norms(*pm.model, t, tokens), schema::Arrays::Base64);
}

std::string neuron(const Tensor4& att, const Tensor4& queries, const Tensor4& keys, const Tensor4& scores,
                   const Encoding& e, int layer, int head) {
    Trace t = trace_view(att, e);
    add_head_vectors(t, &Trace::queries, queries, "queries");
    add_head_vectors(t, &Trace::keys, keys, "keys");
    if (scores.size() != att.size()) throw Error("scores: expected the attentions' shape");
    borrow(t.scores, scores);
    if (layer < 0 || layer >= t.num_layers || head < 0 || head >= t.num_heads) {
        throw Error(fmt::format("layer {} head {} is outside the attentions ({} layers x {} heads)", layer, head,
                                t.num_layers, t.num_heads));
    }
    return schema::neuron(t, e, layer, head, schema::Arrays::Base64);
}

analysis::TokenChange change_kind(const std::string& kind) {
    if (kind == "mask") return analysis::TokenChange::Mask;
    if (kind == "replace") return analysis::TokenChange::Replace;
    if (kind == "delete") return analysis::TokenChange::Delete;
    throw Error(fmt::format("change '{}': expected mask, replace or delete", kind));
}

}  // namespace

void bind_analysis(nb::module_& m) {
    m.def("head_statistics", &head_statistics, nb::arg("attentions"), nb::arg("encoding"), nb::arg("tokenizer").none(),
          nb::arg("threads") = 0);
    m.def("head_map", &head_map, nb::arg("attentions"), nb::arg("encoding"), nb::arg("tokenizer").none(),
          nb::arg("include_distances") = false, nb::arg("threads") = 0);
    m.def("rollout", &rollout, nb::arg("attentions"), nb::arg("encoding"), nb::arg("flow_layer") = 0);
    m.def("head_norms", &head_norms, nb::arg("model"), nb::arg("attentions"), nb::arg("values"), nb::arg("encoding"));
    m.def("neuron", &neuron, nb::arg("attentions"), nb::arg("queries"), nb::arg("keys"), nb::arg("scores"),
          nb::arg("encoding"), nb::arg("layer"), nb::arg("head"));
    m.def(
        "change_token",
        [](const PyTokenizer& tok, const Encoding& e, const std::string& kind, long position,
           const std::string& token) {
            if (position < 0) throw Error(fmt::format("position {}: expected a token index", position));
            std::string description;
            Encoding b = analysis::change_token(*tok.tok, e, change_kind(kind), static_cast<size_t>(position), token,
                                                &description);
            return std::pair{std::move(b), description};
        },
        nb::arg("tokenizer"), nb::arg("encoding"), nb::arg("change"), nb::arg("position"), nb::arg("token") = "");
    m.def(
        "counterfactual",
        [](const PyModel& pm, const Encoding& a, const Encoding& b, const std::string& change, int threads) {
            nb::gil_scoped_release release;
            const auto diff = analysis::counterfactual(*pm.model, a, b, change, threads);
            return schema::counterfactual(diff, pm.model->config().num_attention_heads);
        },
        nb::arg("model"), nb::arg("a"), nb::arg("b"), nb::arg("change"), nb::arg("threads") = 0);
    m.def(
        "ablate",
        [](const PyModel& pm, const Encoding& e, const std::string& heads, const std::string& mode, size_t top_k,
           int threads) {
            const HeadAblation how = analysis::parse_ablation_mode(mode);
            nb::gil_scoped_release release;
            return schema::ablation(analysis::ablate(*pm.model, e, heads, how, top_k, threads));
        },
        nb::arg("model"), nb::arg("encoding"), nb::arg("heads"), nb::arg("mode") = "zero", nb::arg("top_k") = 5,
        nb::arg("threads") = 0);
    // The masked-LM's top tokens at every [MASK], in the schema's "predictions" form (schema::ablation's).
    m.def(
        "fill_mask",
        [](const PyModel& pm, const Encoding& e, size_t top_k, int threads) {
            nb::gil_scoped_release release;
            ForwardOptions fo;
            fo.threads = threads;
            analysis::AblationResult r;
            r.mode = "none";
            r.predictions = analysis::fill_mask(*pm.model, e, top_k, fo);
            return schema::ablation(r);
        },
        nb::arg("model"), nb::arg("encoding"), nb::arg("top_k") = 5, nb::arg("threads") = 0);
    m.def("model_info", [](const PyModel& pm) { return schema::model_info(*pm.model, pm.location); });
    m.def("encoding_json", [](const Encoding& e) { return schema::encoding(e); });
}

}  // namespace attnscope::python
