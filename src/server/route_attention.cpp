// POST /api/attention: the explorer's main stream. Each layer's probabilities go out the moment the layer is
// done, and a client that goes away cancels the forward.
//
// The forward runs on a thread of its own while this (the request's) thread sends: sending from the layer
// observer held the forward's whole team for as long as the client took a layer (at n = 512 on MiniLM,
// 12.6 MB a layer, the forward with its sends took ~400 ms where the forward alone takes ~85 ms). The
// trace's attention buffer is allocated whole before the first layer and never moves, so a finished layer
// can be read here while the next ones are written.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "attnscope/error.h"
#include "attnscope/schema.h"
#include "frames.h"
#include "request.h"
#include "routes.h"
#include "schema_json.h"

namespace attnscope::server::routes {

namespace {

// A layer's payload goes out in pieces of this size, each one HTTP chunk, read from the trace where it lies:
// httplib copies every chunk it writes (twice), and whole 12.6 MB layers made those copies fresh mappings
// — page faults and cold stores that were ~20% of the server's time streaming 512 tokens. Pieces under
// malloc's mmap threshold (256 KiB, server.cpp) reuse the same warm heap blocks.
constexpr size_t kPieceBytes = 64 * 1024;

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Finished layers, handed from the forward's thread to the sending one.
class LayerQueue {
  public:
    struct Layer {
        int index;
        const float* data;
    };

    void push(Layer l) {
        {
            std::lock_guard lock(mutex_);
            ready_.push_back(l);
        }
        changed_.notify_one();
    }
    void finish() {
        {
            std::lock_guard lock(mutex_);
            finished_ = true;
        }
        changed_.notify_one();
    }
    // The next finished layer, or false once the forward has ended and every layer was taken.
    bool pop(Layer& out) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return finished_ || !ready_.empty(); });
        if (ready_.empty()) return false;
        out = ready_.front();
        ready_.pop_front();
        return true;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Layer> ready_;
    bool finished_ = false;
};

enum class Values { F32, F16 };

// "auto" sends half precision once the attentions pass this size (MiniLM from ~240 tokens, bert-base from
// ~170), where the bytes, not the forward, are what the page waits for.
constexpr size_t kAutoHalfBytes = size_t{16} << 20;

// A half-precision stream is for display: as each layer finishes it sends the model view's thumbnails of
// that layer, max-pooled here (~2 ms a layer in C++) instead of by the page (~20 ms a layer in JavaScript at 512
// tokens, on the cores the forward needs). The size is the page's (web/src/views/modelView.ts, MAX_PIXELS).
// From 256 tokens: below, the page pools a layer in a few ms and the thumbnails would add over a quarter
// to the layer's bytes (442 KB for 12 heads).
constexpr size_t kThumbnailPixels = 96;
constexpr size_t kThumbnailsFrom = 256;

Values values_of(const json& body, size_t attention_bytes) {
    const std::string v = string_field(body, "values", "f32");
    if (v == "f32") return Values::F32;
    if (v == "f16") return Values::F16;
    if (v == "auto") return attention_bytes > kAutoHalfBytes ? Values::F16 : Values::F32;
    throw HttpError(400, fmt::format("'values' must be \"f32\", \"f16\" or \"auto\", not \"{}\"", v));
}

}  // namespace

void attention_stream(Server::Impl& s, const json& body, httplib::Response& res) {
    const model::Model& m = *s.model;
    const tokenizer::Encoding enc = encode_request(m, body);
    const size_t n = enc.size();
    const int L = m.config().num_hidden_layers, H = m.config().num_attention_heads;
    const Values values = values_of(body, static_cast<size_t>(L) * H * n * n * sizeof(float));
    // A half-precision stream's trace is kept for /api/values, under this id.
    const std::string trace_id = values == Values::F16 ? s.held.new_id() : "";
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider("application/x-attnscope-frames", [&s, &m, enc, n, L, H, values, trace_id](
                                                                           size_t, httplib::DataSink& sink) {
        const auto t0 = std::chrono::steady_clock::now();
        RunSlot slot(s.runs);
        std::atomic<bool> gone{false};
        auto send_bytes = [&](const char* bytes, size_t size) {
            if (gone.load()) return false;
            if (!sink.is_writable() || !sink.write(bytes, size)) gone.store(true);
            return !gone.load();
        };
        auto send = [&](const std::string& bytes) { return send_bytes(bytes.data(), bytes.size()); };
        // A frame with a large payload: the header, then the payload from where it lies, in pieces.
        auto send_frame = [&](const json& header, const void* payload, size_t bytes) {
            send(frame_header(header, bytes));
            const char* from = static_cast<const char*>(payload);
            for (size_t at = 0; at < bytes && !gone.load(); at += kPieceBytes) {
                send_bytes(from + at, std::min(kPieceBytes, bytes - at));
            }
        };
        json start = {{"type", "encoding"},
                      {"encoding", encoding_json(enc)},
                      {"layers", L},
                      {"heads", H},
                      {"n", n},
                      {"values", values == Values::F16 ? "f16" : "f32"}};
        if (!trace_id.empty()) start["trace"] = trace_id;
        if (!send(frame(start))) return false;
        ForwardOptions fo;
        fo.cancel = &gone;
        Trace trace;
        std::exception_ptr failure;
        double forward_ms = 0;
        LayerQueue layers;
        std::thread forward([&] {
            try {
                std::vector<Trace> into(1);
                into[0] = s.held.take_spare();
                m.forward_batch_into({enc}, into, fo, [&](size_t, int layer, const Trace& t) {
                    layers.push({layer, t.attention(layer, 0)});
                });
                trace = std::move(into[0]);
            } catch (...) {
                failure = std::current_exception();
            }
            forward_ms = ms_since(t0);
            layers.finish();
        });
        // Whatever ends this thread's sending early (an exception from a write or an allocation), the
        // forward is told to stop and is joined: a std::thread destroyed while running would terminate.
        struct StopAndJoin {
            std::thread& thread;
            std::atomic<bool>& stop;
            ~StopAndJoin() {
                if (thread.joinable()) {
                    stop.store(true);
                    thread.join();
                }
            }
        } stop_and_join{forward, gone};
        LayerQueue::Layer done{};
        std::vector<uint16_t> halves;
        std::vector<float> thumbs;
        const size_t count = static_cast<size_t>(H) * n * n;
        auto send_half_layer = [&](const LayerQueue::Layer& l) {
            // Converted whole first: the header states the layer's largest rounding error.
            halves.resize(count);
            const float max_error = schema::to_half(l.data, count, halves.data());
            send_frame({{"type", "layer"},
                        {"layer", l.index},
                        {"shape", {H, n, n}},
                        {"dtype", "f16"},
                        {"max_error", max_error}},
                       halves.data(), count * sizeof(uint16_t));
        };
        // The overview first: a long display stream sends each layer's thumbnails as the layer finishes and
        // the layers' values once the forward is done, so the forward does not share the two cores with
        // megabytes of sends (and the page's receiving) while the model view waits for its last row.
        const bool overview_first = values == Values::F16 && n >= kThumbnailsFrom;
        std::vector<LayerQueue::Layer> deferred;
        while (layers.pop(done)) {
            if (values == Values::F32) {
                send_frame({{"type", "layer"}, {"layer", done.index}, {"shape", {H, n, n}}}, done.data,
                           count * sizeof(float));
            } else if (overview_first) {
                thumbs.resize(static_cast<size_t>(H) * kThumbnailPixels * kThumbnailPixels);
                schema::thumbnails(done.data, H, n, kThumbnailPixels, thumbs.data());
                send_frame(
                    {{"type", "thumbnails"}, {"layer", done.index}, {"shape", {H, kThumbnailPixels, kThumbnailPixels}}},
                    thumbs.data(), thumbs.size() * sizeof(float));
                deferred.push_back(done);
            } else {
                send_half_layer(done);
            }
        }
        forward.join();
        if (!failure) {
            for (const LayerQueue::Layer& l : deferred) {
                if (gone.load()) break;
                send_half_layer(l);
            }
        }
        if (failure) {
            try {
                std::rethrow_exception(failure);
            } catch (const Error& e) {
                send(frame({{"type", "error"}, {"error", e.what()}}));
                sink.done();
                return true;
            }
        }
        if (gone.load()) {  // the client went away: stop quietly
            s.held.give_spare(std::move(trace));
            return false;
        }
        send(frame({{"type", "stats"}, {"stats", statistics_json(m, trace, enc)}}));
        if (!trace_id.empty()) {
            s.held.put(trace_id, std::move(trace));
        } else {
            s.held.give_spare(std::move(trace));
        }
        send(frame({{"type", "done"}, {"forward_ms", forward_ms}, {"total_ms", ms_since(t0)}}));
        sink.done();
        return true;
    });
}

}  // namespace attnscope::server::routes
