// The HTTP API routes (docs/api.md).
#pragma once

#include <httplib.h>

#include <memory>
#include <semaphore>

#include "attnscope/model.h"
#include "attnscope/model_source.h"
#include "connections.h"
#include "server.h"
#include "trace_cache.h"

namespace attnscope::server {

struct Server::Impl {
    Impl(std::shared_ptr<const model::Model> m, ModelLocation where, ServerOptions o)
        : model(std::move(m)),
          location(std::move(where)),
          options(std::move(o)),
          runs(std::max(1, options.max_concurrent_runs)),
          answers(std::max(1, options.max_concurrent_runs)) {}
    std::shared_ptr<const model::Model> model;
    ModelLocation location;
    ServerOptions options;
    HttpServer http;
    std::counting_semaphore<256> runs;     // forward passes in flight
    std::counting_semaphore<256> answers;  // JSON answers being made (each holds a `runs` slot inside)
    TraceCache held;                       // the traces of recent half-precision streams (/api/values)
};

// Holds one of the server's forward-pass slots for its lifetime.
class RunSlot {
  public:
    explicit RunSlot(std::counting_semaphore<256>& s) : s_(s) { s_.acquire(); }
    ~RunSlot() { s_.release(); }

  private:
    std::counting_semaphore<256>& s_;
};

void register_api(Server::Impl& server);

}  // namespace attnscope::server
