// What `attnscope run` (and the REPL) print for one analysed input: the notebook workflow step by step
// (tokenize, convert_tokens_to_ids, encode_plus), the overview of every head, and one head's heatmap.
#pragma once

#include <optional>
#include <string>

#include "attnscope/model.h"
#include "common.h"

namespace attnscope::cli {

struct RunInput {
    std::string text;
    std::optional<std::string> pair;
};

void print_workflow(const LoadedModel& lm, const RunInput& in, const tokenizer::Encoding& enc);
void print_overview(const LoadedModel& lm, const tokenizer::Encoding& enc, const Trace& trace, double forward_ms,
                    bool color);
void print_heatmap(const tokenizer::Encoding& enc, const Trace& trace, int layer, int head, bool color, bool values);

}  // namespace attnscope::cli
