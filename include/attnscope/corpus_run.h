// The corpus driver: which lines of which file to read (a --lines shard of it), a model run over them in
// batches into CorpusStats, malformed lines skipped with their line numbers (or the run stopped at the
// first), checkpoints through a callback, and resumption from a saved state. The faces (CLI, Python, a
// distributed mode) choose the files, show the progress and store the checkpoints; everything that
// decides a number lives here, so every face's results are the same bits.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "attnscope/corpus.h"
#include "attnscope/model.h"

namespace attnscope::analysis {

// Lines FIRST..LAST of a file, 1-based and inclusive; LAST = kToEnd reads to the end.
struct LineRange {
    static constexpr uint64_t kToEnd = UINT64_MAX;
    uint64_t first = 1;
    uint64_t last = kToEnd;
};
// "FIRST:LAST" (LAST may be empty: to the end), digits only, 1 ≤ FIRST ≤ LAST; throws Error otherwise.
LineRange parse_line_range(const std::string& spec);

enum class InputFormat {
    Text,       // one text per line, a TAB separating a sentence pair
    JsonLines,  // a JSON string or {"text": ..., "pair": ...} per line
};

// One input line of a corpus as the driver reads it (a trailing CR dropped); throws Error naming the line
// when a JSON line is malformed. For callers that hold the lines themselves (the Ray actors).
struct CorpusLine {
    std::string text;
    std::optional<std::string> pair;
};
CorpusLine parse_corpus_line(uint64_t number, std::string_view raw, InputFormat format);

// One shard of one file, as planned before any work.
struct CorpusInput {
    std::filesystem::path file;
    LineRange lines;
    InputFormat format = InputFormat::Text;
    uint64_t file_lines = 0;  // lines in the whole file

    // Lines of the range that the file has.
    uint64_t line_count() const;
    // "NAME:FIRST-LAST" ("end" for kToEnd): what CorpusStats::sources records, and what merges compare.
    std::string source() const;
};

// Opens and counts the file (.jsonl and .json are JSON Lines). Throws Error when it cannot be read, is
// empty, or has no line in the range.
CorpusInput plan_corpus_input(const std::filesystem::path& file, const LineRange& lines = {});

// What identifies a model's statistics for merges and resumes: the architecture's shape and numerics.
std::string model_fingerprint(const model::Model& model);
// Empty statistics for this model and input.
CorpusStats new_corpus_stats(const model::Model& model, const std::string& model_name, const CorpusInput& input);
// Throws Error unless `stats` (read from `state_name`) was made from this input with this model.
void check_resumable(const CorpusStats& stats, const CorpusInput& input, const model::Model& model,
                     const std::string& state_name);

enum class OnError {
    Skip,  // record the line and its error in CorpusStats::skipped, go on
    Stop,  // stop before the line: a resume starts at it
};

struct CorpusRunOptions {
    size_t batch = 32;  // inputs per forward pass
    OnError on_error = OnError::Skip;
    bool truncate = false;         // truncate long inputs instead of skipping them
    bool importance = false;       // single-head ablation importance (L·H extra forwards per batch)
    size_t checkpoint_every = 20;  // batches between checkpoint callbacks
    int threads = 0;               // the forward's threads (0 = one per core, at most kMaxThreads)
    CorpusOptions statistics;      // head map, pattern thresholds, the analyses' threads
};

struct CorpusProgress {
    uint64_t lines_done = 0;   // of the range, those of a resumed state included
    uint64_t lines_total = 0;  // in the range
    uint64_t lines_this_run = 0;
    uint64_t skipped = 0;
    double forward_seconds = 0, statistics_seconds = 0;
};

struct CorpusCallbacks {
    std::function<void(const CorpusStats&)> checkpoint;   // every checkpoint_every batches
    std::function<void(const CorpusProgress&)> progress;  // after every batch
    std::function<bool()> should_stop;                    // polled after every line: true ends the run early
};

struct CorpusRunResult {
    enum class Status {
        Done,         // every line of the range is in the statistics
        Interrupted,  // should_stop said so; the statistics hold every line before
        Stopped,      // OnError::Stop at a malformed line; `error` says which
    };
    Status status = Status::Done;
    std::string error;  // "line N: ..."
    CorpusProgress progress;
};

// Adds the lines of `input` that `stats` does not hold yet (from stats.lines_done on) to `stats`, in order.
// Throws Error for bad options; a malformed line is a skip or a stop, never an exception.
CorpusRunResult run_corpus(const model::Model& model, const CorpusInput& input, CorpusStats& stats,
                           const CorpusRunOptions& options, const CorpusCallbacks& callbacks = {});

}  // namespace attnscope::analysis
