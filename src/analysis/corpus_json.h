// CorpusStats as nlohmann::json values, for the library's own documents (the corpus report's PREFIX.json);
// the public header offers the same as text (CorpusStats::to_json_text / from_json_text).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "attnscope/corpus.h"

namespace attnscope::analysis {

struct CorpusStatsJson {
    static nlohmann::json to_json(const CorpusStats& stats);
    static CorpusStats from_json(const nlohmann::json& j, const std::string& source);
};

}  // namespace attnscope::analysis
