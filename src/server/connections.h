// The server's connections: cpp-httplib's routing and request parsing, with our own handling of the
// sockets. httplib gives every connection a pool thread from accept to close, so a handful of idle or
// slow clients (a partial request line, headers trickled a byte at a time) held every thread and nobody
// else was answered. Here one event thread waits for each request to arrive completely (and sends what a
// client has not yet taken), under deadlines, and a worker thread only ever runs a request that is already
// all here.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <memory>

namespace attnscope::server {

struct ConnectionLimits {
    int max_connections = 64;                          // open at once; further ones get 503 and are closed
    std::chrono::milliseconds idle_timeout{5000};      // a connection with no request under way is closed
    std::chrono::milliseconds request_timeout{10000};  // first byte to last of one request, else 408; also how
                                                       // long an answer may wait for a client taking nothing
    size_t max_body_bytes = 1 << 20;                   // a larger Content-Length gets 413 before the body is read
    size_t max_head_bytes = 64 << 10;                  // request line and headers, else 431
    size_t min_send_rate = 64 << 10;                   // bytes/s a client must take an answer at, on average
    size_t max_buffered_answer_bytes = 256 << 20;      // answer bytes kept for slow clients, all connections
    int workers = 4;        // threads that run requests which compute (any method but GET and HEAD)
    int light_workers = 2;  // threads that run GET and HEAD requests: the page and /api/model stay quick
                            // however many computing requests wait for a forward-pass slot
};

class HttpServer : public httplib::Server {
  public:
    HttpServer();
    ~HttpServer() override;
    void set_limits(const ConnectionLimits& limits);  // before serve()
    // Serves connections on the bound port until stop(); returns once every connection is closed.
    void serve();

    struct Connection;
    struct Loop;

  private:
    bool process_and_close_socket(socket_t sock) override;
    // On a worker: parses, routes and answers the complete request at the start of c's input.
    void run_request(Connection& c);

    ConnectionLimits limits_;
    std::unique_ptr<Loop> loop_;
};

// Ends the connection once the current answer is sent: for a refusal that leaves the body unread.
void close_connection_after_answer();

}  // namespace attnscope::server
