// The schema's objects as nlohmann::json values, for the library's own documents (schema.cpp, the
// explorer's responses, the corpus report) to compose; faces get them as text through attnscope/schema.h.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "attnscope/schema.h"

namespace attnscope::schema {

nlohmann::json model_info_json(const model::Model& model, const ModelLocation& where);
nlohmann::json encoding_json(const tokenizer::Encoding& e);
nlohmann::json corpus_json(const analysis::CorpusStats& stats);
nlohmann::json head_statistics_json(const analysis::HeadStatistics& stats,
                                    const std::vector<analysis::PatternFeatures>& patterns);

// out[key] = nested arrays of the float32 values (each written in its shortest round-trip form), or
// out[key + "_b64"] = their base64, for a row-major array of the given shape.
void put_array(nlohmann::json& out, const std::string& key, const float* data, std::initializer_list<size_t> shape,
               Arrays arrays);

}  // namespace attnscope::schema
