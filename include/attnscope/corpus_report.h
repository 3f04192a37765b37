// Corpus results as files: PREFIX.json (the mergeable state and the results, schema::corpus), PREFIX.csv
// (one row per head) and PREFIX.html (a self-contained report: inline SVG, no scripts or network — an
// L × H heatmap per statistic, the pattern-type grid and per-layer proportions, the head map, and head
// importance when measured). Every write is checked; each file appears complete or not at all.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "attnscope/corpus.h"

namespace attnscope::analysis {

std::string corpus_results_csv(const CorpusStats& stats);
std::string corpus_report_html(const CorpusStats& stats, const std::string& title);
// PREFIX.json's text: {"state": <the state, CorpusStats::to_json_text>, "results": <schema::corpus>}.
std::string corpus_document(const CorpusStats& stats);

// Writes PREFIX.json, PREFIX.csv and PREFIX.html; returns the paths written.
std::vector<std::string> write_corpus_outputs(const CorpusStats& stats, const std::string& prefix,
                                              const std::string& title);

// A checkpoint for --resume: {"state": ...}, written atomically (the previous checkpoint stays whole until
// the new one is complete).
void write_corpus_state(const CorpusStats& stats, const std::filesystem::path& path);
// Reads a checkpoint or a PREFIX.json (validated: see CorpusStats::from_json_text).
CorpusStats read_corpus_state(const std::filesystem::path& path);

}  // namespace attnscope::analysis
