// Presenting corpus statistics: the results as JSON and CSV, and a self-contained HTML report (inline
// SVG, no scripts or network): an L × H heatmap per statistic, the pattern-type grid and per-layer
// proportions, the head map, and head importance when measured.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "attnscope/corpus.h"

namespace attnscope::cli {

nlohmann::json corpus_results_json(const analysis::CorpusStats& stats);
std::string corpus_results_csv(const analysis::CorpusStats& stats);
std::string corpus_report_html(const analysis::CorpusStats& stats, const nlohmann::json& results, const std::string& title);

// Writes PREFIX.json (state and results), PREFIX.csv and PREFIX.html; returns the paths written.
std::vector<std::string> write_corpus_outputs(const analysis::CorpusStats& stats, const std::string& prefix,
                                              const std::string& title);

}  // namespace attnscope::cli
