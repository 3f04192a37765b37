#include "server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <regex>
#include <semaphore>

#include "attnscope/error.h"
#include "api.h"
#include "assets.h"
#include "request.h"

namespace attnscope::server {

namespace {

std::string error_json(const std::string& message) { return nlohmann::json{{"error", message}}.dump(); }

// DNS rebinding: a page on evil.example that re-resolves to 127.0.0.1 still sends "Host: evil.example".
// Accept only loopback names, IP literals (which cannot be rebound) and names the user allowed.
bool host_allowed(const std::string& host_header, const std::vector<std::string>& allowed) {
    std::string host = host_header;
    if (!host.empty() && host.front() == '[') {
        auto end = host.find(']');
        return end != std::string::npos;  // an IPv6 literal
    }
    if (auto colon = host.rfind(':'); colon != std::string::npos) host = host.substr(0, colon);
    if (host == "localhost" || host.empty()) return !host.empty();
    static const std::regex ipv4(R"(^\d{1,3}(\.\d{1,3}){3}$)");
    if (std::regex_match(host, ipv4)) return true;
    for (const auto& a : allowed)
        if (host == a) return true;
    return false;
}

}  // namespace

Server::Server(std::shared_ptr<const model::Model> model, ModelLocation location, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(location), std::move(options))) {}

Server::~Server() = default;

void Server::run(const std::function<void(int)>& on_listening) {
    auto& http = impl_->http;
    const ServerOptions& o = impl_->options;
    http.new_task_queue = [] { return new httplib::ThreadPool(8); };
    // httplib's default also sets SO_REUSEPORT, which lets a second server bind a port that is in use and
    // silently share its connections; SO_REUSEADDR alone only allows rebinding after a restart.
    http.set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    http.set_payload_max_length(o.max_body_bytes);
    http.set_read_timeout(std::chrono::seconds(30));
    http.set_pre_routing_handler([o](const httplib::Request& req, httplib::Response& res) {
        if (!host_allowed(req.get_header_value("Host"), o.allowed_hosts)) {
            res.status = 403;
            res.set_content(error_json("this Host header is not allowed (DNS rebinding protection); use localhost or an IP "
                                       "address, or start the server with --allow-host NAME"),
                            "application/json");
            return httplib::Server::HandlerResponse::Handled;
        }
        res.set_header("X-Content-Type-Options", "nosniff");
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        // httplib caps form-encoded bodies at 8 KiB whatever the limit: curl --data sends that type.
        const bool form = req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0;
        std::string message = res.status == 413 && form ? "the request body is too large for a form-encoded request; "
                                                          "send it with Content-Type: application/json"
                              : res.status == 413   ? "the request body is too large"
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
    http.Get(R"(/(|index\.html|app\.js|app\.css|favicon\.svg))", [](const httplib::Request& req, httplib::Response& res) {
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
    if (port < 0) throw Error(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", o.host, o.port));
    on_listening(port);
    http.listen_after_bind();
}

void Server::stop() { impl_->http.stop(); }

}  // namespace attnscope::server
