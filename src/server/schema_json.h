// The library's schema objects (attnscope/schema.h) as JSON values, for the server to compose into its
// answers — the server writes no field of its own for what the schema already describes.
#pragma once

#include <nlohmann/json.hpp>

#include "attnscope/model.h"
#include "attnscope/model_analyses.h"
#include "attnscope/model_source.h"
#include "attnscope/schema.h"

namespace attnscope::server {

inline nlohmann::json schema_json(const std::string& text) {
    return nlohmann::json::parse(text);
}

inline nlohmann::json encoding_json(const tokenizer::Encoding& e) {
    return schema_json(schema::encoding(e));
}

// Without the local folder's path: what the server answers can leave the machine (an exported page).
inline nlohmann::json model_info_json(const model::Model& m, const ModelLocation& where) {
    return schema_json(schema::model_info(m, where, /*with_path=*/false));
}

// Per head: the statistics of docs/analyses.md, the pattern type and features, the head-map colour.
inline nlohmann::json statistics_json(const model::Model& m, const Trace& trace, const tokenizer::Encoding& e) {
    return schema_json(schema::head_statistics(analysis::input_statistics(trace, analysis::token_classes(m, e))));
}

}  // namespace attnscope::server
