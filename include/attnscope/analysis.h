// Per-head analyses: pure functions of a Trace (and the tokens). Faces never compute these themselves.
// Definitions and sources: docs/analyses.md.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "attnscope/trace.h"

namespace attnscope::analysis {

// The CLI overview of one head: how spread its attention is and where it goes.
struct HeadSummary {
    double entropy = 0;         // mean over query rows of -Σ_j A_ij ln A_ij (nats, 0 ln 0 = 0)
    size_t top_key = 0;         // key position with the largest mean received attention (column mean)
    double top_key_share = 0;   // that column mean
};

// [L][H] summaries, layer-major.
std::vector<HeadSummary> summarize_heads(const Trace& trace);

// Entropy of a row distribution, in nats, with 0 ln 0 = 0.
double row_entropy(const float* row, size_t n);

}  // namespace attnscope::analysis
