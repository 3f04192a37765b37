// attnscope serve: the browser explorer and its HTTP API, in the same binary as the CLI. The model is
// loaded once and shared read-only; every request gets its own buffers. docs/api.md documents the API.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/model.h"
#include "attnscope/model_source.h"

namespace attnscope::server {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8008;                    // 0 = any free port
    size_t max_body_bytes = 1 << 20;    // larger request bodies get 413
    int max_concurrent_runs = 2;        // forward passes at once; further requests wait their turn
    std::vector<std::string> allowed_hosts;  // Host header names accepted besides localhost and IP literals
};

class Server {
public:
    Server(std::shared_ptr<const model::Model> model, ModelLocation location, ServerOptions options);
    ~Server();
    // Binds, calls on_listening(port), then serves until stop(). Throws Error if the port is taken.
    void run(const std::function<void(int port)>& on_listening);
    void stop();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace attnscope::server
