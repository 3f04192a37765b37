#include "server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <malloc.h>

#include <chrono>
#include <cmath>

#include "api.h"
#include "assets.h"
#include "attnscope/error.h"
#include "connections.h"
#include "origin_checks.h"
#include "request.h"

namespace attnscope::server {

namespace {

std::string error_json(const std::string& message) {
    return nlohmann::json{{"error", message}}.dump();
}

struct Policy {
    std::vector<HostName> hosts;
    std::vector<Origin> origins;
};

Policy parse_policy(const ServerOptions& o) {
    Policy p;
    for (const auto& name : o.allowed_hosts) {
        // An IPv6 address may be given with or without its brackets.
        auto h = parse_host(
            name.find(':') != std::string::npos && name.find('[') == std::string::npos ? "[" + name + "]" : name);
        if (!h || h->port) {
            throw Error(fmt::format(
                "--allow-host '{}' is not a host name or IP address (a name, a.b.c.d or [IPv6], no port)", name));
        }
        p.hosts.push_back(*h);
    }
    for (const auto& origin : o.allowed_origins) {
        auto parsed = parse_origin(origin);
        if (!parsed) {
            throw Error(
                fmt::format("--allow-origin '{}' is not an origin: expected scheme://host[:port] with scheme "
                            "http or https",
                            origin));
        }
        p.origins.push_back(*parsed);
    }
    return p;
}

std::chrono::milliseconds milliseconds(double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

// glibc malloc, left to itself, kept what the requests freed: RSS went from 112 to 265 MB over 64
// /api/analyze requests (n ≤ 256) and stayed there. Freeing a large mmapped buffer raises the mmap
// threshold (up to 32 MiB), so from then on the attention, base64 and JSON buffers of up to 32 MiB came
// from the heap, and each of up to 8 × cores arenas (one per thread that met contention) kept its own
// high-water mark. A fixed threshold (which also fixes the trim threshold) gives every buffer of 256 KiB
// or more its own mapping, returned to the system when freed; two arenas bound what small allocations
// leave behind. docs/api.md ("Memory") gives the measured bounds.
void bound_allocator_caching() {
    mallopt(M_MMAP_THRESHOLD, 256 << 10);
    mallopt(M_ARENA_MAX, 2);
}

// The refusals of the pre-routing handler leave the body unread: the connection ends with the answer.
httplib::Server::HandlerResponse refuse(httplib::Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_header("Connection", "close");
    res.set_content(error_json(message), "application/json");
    close_connection_after_answer();
    return httplib::Server::HandlerResponse::Handled;
}

std::optional<std::string_view> header(const httplib::Request& req, const char* name) {
    auto it = req.headers.find(name);
    if (it == req.headers.end()) return std::nullopt;
    return std::string_view(it->second);
}

}  // namespace

void check_options(const ServerOptions& o) {
    parse_policy(o);
    if (o.max_connections < 1) throw Error("--max-connections must be at least 1");
    if (!(o.idle_timeout_s > 0) || !(o.request_timeout_s > 0))
        throw Error("--idle-timeout and --request-timeout must be positive");
}

Server::Server(std::shared_ptr<const model::Model> model, ModelLocation location, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(location), std::move(options))) {
    check_options(impl_->options);
}

Server::~Server() = default;

void Server::run(const std::function<void(int)>& on_listening) {
    auto& http = impl_->http;
    const ServerOptions& o = impl_->options;
    bound_allocator_caching();
    ConnectionLimits limits;
    limits.max_connections = o.max_connections;
    limits.idle_timeout = milliseconds(o.idle_timeout_s);
    limits.request_timeout = milliseconds(o.request_timeout_s);
    limits.max_body_bytes = o.max_body_bytes;
    // A computing request waiting for a forward-pass slot holds a worker; two more than the slots keep
    // the next requests read and checked, and each worker that runs a forward pass has its own OpenMP
    // team, so no more.
    limits.workers = o.max_concurrent_runs + 2;
    http.set_limits(limits);
    // httplib's default also sets SO_REUSEPORT, which lets a second server bind a port that is in use and
    // silently share its connections; SO_REUSEADDR alone only allows rebinding after a restart.
    http.set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    http.set_pre_routing_handler([policy = parse_policy(o)](const httplib::Request& req, httplib::Response& res) {
        const std::string host = req.get_header_value("Host");
        if (req.get_header_value_count("Host") != 1 || !host_allowed(host, req.local_addr, policy.hosts)) {
            return refuse(res, 403,
                          "this Host header is not allowed (DNS rebinding protection); use localhost or a loopback "
                          "address, or start the server with --allow-host NAME");
        }
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Cross-Origin-Resource-Policy", "same-origin");
        if (req.method == "GET" || req.method == "HEAD") return httplib::Server::HandlerResponse::Unhandled;
        // Everything else computes. A page elsewhere can send a "simple" cross-origin POST (text/plain, a
        // form) with no preflight, so the Origin is checked, and only a JSON body — which a browser sends
        // cross-origin only after a preflight that no CORS header here ever allows — is taken.
        if (auto why =
                cross_origin_refusal(header(req, "Origin"), header(req, "Sec-Fetch-Site"), host, policy.origins)) {
            return refuse(res, 403, *why);
        }
        if (req.method != "OPTIONS" && !is_json_content_type(req.get_header_value("Content-Type"))) {
            return refuse(res, 415, "the request body must be JSON sent with Content-Type: application/json");
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        std::string message = res.status == 413   ? "the request body is too large"
                              : res.status == 404 ? "no such endpoint (see docs/api.md)"
                              : res.status == 405 ? "method not allowed"
                                                  : fmt::format("HTTP {}", res.status);
        res.set_content(error_json(message), "application/json");
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string message = "internal error";
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            message = e.what();
        }
        res.status = 500;
        res.set_content(error_json(message), "application/json");
    });
    http.Get(R"(/(|index\.html|app\.js|app\.css|favicon\.svg))",
             [](const httplib::Request& req, httplib::Response& res) {
                 const Asset* a = find_asset(req.path == "/" ? "/index.html" : req.path);
                 if (!a) {
                     res.status = 404;
                     return;
                 }
                 res.set_header("Cache-Control", "no-cache");
                 res.set_content(a->data.data(), a->data.size(), std::string(a->content_type).c_str());
             });
    register_api(*impl_);
    int port = o.port;
    if (port == 0) {
        port = http.bind_to_any_port(o.host);
    } else if (!http.bind_to_port(o.host, port)) {
        port = -1;
    }
    if (port < 0)
        throw Error(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", o.host, o.port));
    on_listening(port);
    http.serve();
}

void Server::stop() {
    impl_->http.stop();
}

}  // namespace attnscope::server
