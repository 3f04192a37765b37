// Corpus lines → CorpusStats for one block of consecutive lines, with exactly the checks and skips of
// `attnscope corpus` (src/cli/cmd_corpus.cpp). Interim: this mirrors the CLI's loop until the corpus driver
// lives in the library (include/attnscope/corpus_run.h, branch "cli"); then these calls go there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/corpus.h"
#include "attnscope/model.h"

namespace attnscope::python {

struct CorpusBlockOptions {
    std::string source;       // the file's name, as the CLI writes it in "sources"
    bool jsonl = false;       // .jsonl / .json: a JSON string or {"text", "pair"} per line
    uint64_t first_line = 1;  // the number of the block's first line in its file (1-based)
    size_t batch = 32;
    bool truncate = false;
    bool head_map = true;         // every input of the block goes into the head map
    bool file_in_errors = false;  // "FILE: line N: ..." in skipped lines (a corpus of several files)
    int threads = 0;
};

analysis::CorpusStats process_corpus_block(const model::Model& model, const std::string& model_name,
                                           const std::string& data, const CorpusBlockOptions& options);

// Numbers of the first `limit` lines of `data` that would be analysed (not skipped), tokenizing only.
std::vector<uint64_t> valid_corpus_lines(const model::Model& model, const std::string& data, bool jsonl,
                                         uint64_t first_line, bool truncate, uint64_t limit);

// The CLI's model fingerprint: states of models with the same one merge.
std::string corpus_fingerprint(const model::Model& model);

}  // namespace attnscope::python
