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
    int port = 8008;                           // 0 = any free port
    size_t max_body_bytes = 1 << 20;           // larger request bodies get 413
    int max_concurrent_runs = 2;               // forward passes at once; further requests wait their turn
    std::vector<std::string> allowed_hosts;    // Host names or addresses accepted besides localhost, loopback
    std::vector<std::string> allowed_origins;  // origins (scheme://host[:port]) whose pages may call the API
    int max_connections = 64;                  // open at once; more get 503
    double idle_timeout_s = 5;                 // a connection with no request under way is closed after this
    double request_timeout_s = 10;             // a request must arrive within this of its first byte, else 408
};

// Throws Error naming the option (--allow-host, --allow-origin, ...) that the server cannot take.
void check_options(const ServerOptions& options);

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
