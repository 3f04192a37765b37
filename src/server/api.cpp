#include "api.h"

#include <fmt/format.h>

#include <string_view>
#include <vector>

#include "attnscope/error.h"
#include "request.h"
#include "routes.h"
#include "schema_json.h"

namespace attnscope::server {

namespace {

using nlohmann::json;

std::string error_json(const std::string& message) {
    return json{{"error", message}}.dump();
}

// Runs a route's work; HttpError and library errors become 4xx JSON errors.
template <typename Fn>
void answering_errors(httplib::Response& res, Fn fn) {
    auto fail = [&res](int status, const std::string& message) {
        res.status = status;
        res.set_content(error_json(message), "application/json");
    };
    try {
        fn();
    } catch (const HttpError& e) {
        fail(e.status, e.what());
    } catch (const Error& e) {
        fail(400, e.what());
    } catch (const json::exception& e) {
        // A field read without a typed helper: still the client's mistake, not a server fault.
        fail(400, fmt::format("a field of the request has the wrong type ({})", e.what()));
    }
}

using JsonRoute = json (*)(Server::Impl&, const json&);
using RawRoute = void (*)(Server::Impl&, const json&, httplib::Response&);

// A POST route with a JSON body (the text fields and the route's own fields) and a JSON answer.
void post_json(Server::Impl& s, const char* path, std::vector<std::string_view> fields, JsonRoute route) {
    s.http.Post(path, [&s, route, fields](const httplib::Request& req, httplib::Response& res) {
        answering_errors(res, [&] {
            const json body = parse_body(req.body);
            allow_fields(body, fields);
            // The answer's text (about 2.7 × the attention bytes for /api/analyze) is made after the route's
            // forward-pass slot is released; this slot keeps those in memory at once to --concurrent too.
            RunSlot answer(s.answers);
            res.set_content(route(s, body).dump(), "application/json");
        });
    });
}

// A POST route with a JSON body that sets the response itself (a stream, a page).
void post_raw(Server::Impl& s, const char* path, std::vector<std::string_view> fields, RawRoute route) {
    s.http.Post(path, [&s, route, fields](const httplib::Request& req, httplib::Response& res) {
        answering_errors(res, [&] {
            const json body = parse_body(req.body);
            allow_fields(body, fields);
            route(s, body, res);
        });
    });
}

// A POST route about an earlier answer rather than a text: its own fields only, a JSON answer.
void post_json_about_trace(Server::Impl& s, const char* path, std::vector<std::string_view> fields, JsonRoute route) {
    s.http.Post(path, [&s, route, fields](const httplib::Request& req, httplib::Response& res) {
        answering_errors(res, [&] {
            const json body = parse_body(req.body);
            allow_fields(body, fields, false);
            RunSlot answer(s.answers);
            res.set_content(route(s, body).dump(), "application/json");
        });
    });
}

}  // namespace

void register_api(Server::Impl& s) {
    s.http.Get("/api/model", [&s](const httplib::Request&, httplib::Response& res) {
        res.set_content(model_info_json(*s.model, s.location).dump(), "application/json");
    });
    post_raw(s, "/api/attention", {"values"}, routes::attention_stream);
    post_json_about_trace(s, "/api/values", {"trace", "layer", "head"}, routes::values);
    post_json(s, "/api/analyze", {}, routes::analyze);
    post_json(s, "/api/neuron", {"layer", "head"}, routes::neuron);
    post_json(s, "/api/rollout", {"flow", "flow_layer"}, routes::rollout);
    post_json(s, "/api/norms", {}, routes::norms);
    post_json(s, "/api/headmap", {}, routes::head_map);
    post_json(s, "/api/diff", {"with", "mask", "replace", "token", "delete"}, routes::diff);
    post_json(s, "/api/ablate", {"heads", "ablation"}, routes::ablate);
    post_raw(s, "/api/export", {}, routes::export_page);
}

}  // namespace attnscope::server
