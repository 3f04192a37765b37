// One handler per API route (docs/api.md). Each reads its fields, asks the library (attnscope/*.h) and
// answers in the library's schema; register_api (api.cpp) binds them to their paths and turns errors
// into 4xx JSON answers.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "api.h"

namespace attnscope::server::routes {

using nlohmann::json;

// JSON in, JSON out.
json analyze(Server::Impl& s, const json& body);
json neuron(Server::Impl& s, const json& body);
json rollout(Server::Impl& s, const json& body);
json norms(Server::Impl& s, const json& body);
json head_map(Server::Impl& s, const json& body);
json diff(Server::Impl& s, const json& body);
json ablate(Server::Impl& s, const json& body);

// Streams frames (frames.h): the encoding, one frame per layer as it is computed, statistics, done; the
// layers in float32 or, with "values": "f16" (or "auto" on a long input), in half precision.
void attention_stream(Server::Impl& s, const json& body, httplib::Response& res);
// The exact float32 values of one head (or one layer) of a half-precision stream's trace.
json values(Server::Impl& s, const json& body);
// The offline HTML page of one analysis.
void export_page(Server::Impl& s, const json& body, httplib::Response& res);

}  // namespace attnscope::server::routes
