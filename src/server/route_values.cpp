// POST /api/values: the exact float32 values behind a half-precision stream, for what the user points at —
// one head (the head detail, a hover) or one layer (the head view) — from the trace the stream left in
// the server's TraceCache, with no second forward pass.
#include <fmt/format.h>

#include "attnscope/schema.h"
#include "request.h"
#include "routes.h"

namespace attnscope::server::routes {

json values(Server::Impl& s, const json& body) {
    const std::string id = string_field(body, "trace", "");
    if (id.empty()) throw HttpError(400, "'trace' must name a stream (the \"trace\" of its encoding frame)");
    const std::shared_ptr<const Trace> t = s.held.get(id);
    if (!t) {
        throw HttpError(410, fmt::format("trace '{}' is no longer held (the server keeps the last {}); run the "
                                         "input again",
                                         id, TraceCache::kMaxTraces));
    }
    const int layer = int_field(body, "layer", 0, t->num_layers - 1);
    const bool whole_layer = !body.contains("head") || body["head"].is_null();
    const int head = whole_layer ? 0 : int_field(body, "head", 0, t->num_heads - 1);
    const size_t n = t->seq_len, count = (whole_layer ? static_cast<size_t>(t->num_heads) : 1) * n * n;
    json answer = {{"trace", id}, {"layer", layer}, {"n", n}};
    answer["head"] = whole_layer ? json(nullptr) : json(head);
    answer["shape"] = whole_layer ? json{t->num_heads, n, n} : json{n, n};
    answer["attention_b64"] = schema::base64_floats(t->attention(layer, head), count);
    return answer;
}

}  // namespace attnscope::server::routes
