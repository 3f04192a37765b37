// POST /api/attention: the explorer's main stream. The forward runs inside the response's content
// provider, so each layer's probabilities go out the moment the layer is done, and a client that goes
// away cancels the forward.
#include <atomic>
#include <chrono>

#include "attnscope/error.h"
#include "frames.h"
#include "request.h"
#include "routes.h"
#include "schema_json.h"

namespace attnscope::server::routes {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

void attention_stream(Server::Impl& s, const json& body, httplib::Response& res) {
    const model::Model& m = *s.model;
    const tokenizer::Encoding enc = encode_request(m, body);
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider("application/x-attnscope-frames", [&s, &m, enc](size_t, httplib::DataSink& sink) {
        const auto t0 = std::chrono::steady_clock::now();
        RunSlot slot(s.runs);
        const size_t n = enc.size();
        const int L = m.config().num_hidden_layers, H = m.config().num_attention_heads;
        std::atomic<bool> gone{false};
        auto send = [&](const std::string& bytes) {
            if (gone.load()) return false;
            if (!sink.is_writable() || !sink.write(bytes.data(), bytes.size())) gone.store(true);
            return !gone.load();
        };
        if (!send(frame(
                {{"type", "encoding"}, {"encoding", encoding_json(enc)}, {"layers", L}, {"heads", H}, {"n", n}}))) {
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
        send(frame({{"type", "stats"}, {"stats", statistics_json(m, trace, enc)}}));
        send(frame({{"type", "done"}, {"forward_ms", forward_ms}, {"total_ms", ms_since(t0)}}));
        sink.done();
        return true;
    });
}

}  // namespace attnscope::server::routes
