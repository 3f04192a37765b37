// The JSON the server (and the offline HTML export) gives for one analysed input: encoding, per-head
// statistics and pattern types — all computed by the library.
#pragma once

#include <nlohmann/json.hpp>

#include "attnscope/schema.h"
#include "attnscope/model.h"
#include "attnscope/model_source.h"

namespace attnscope::server {

// The schema's encoding object (attnscope/schema.h), to compose into the server's responses.
inline nlohmann::json encoding_json(const tokenizer::Encoding& e) { return nlohmann::json::parse(schema::encoding(e)); }

nlohmann::json model_info_json(const model::Model& m, const ModelLocation& where);
// Per head: the statistics of docs/analyses.md, the pattern type and features, the head-map colour.
nlohmann::json head_stats_json(const Trace& trace, const tokenizer::Encoding& e, const tokenizer::TokenizerConfig& tc);

}  // namespace attnscope::server
