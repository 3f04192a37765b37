// Analyses that combine the steps of analysis.h and ablation.h the way every face asks for them: all heads'
// norms, Clark's head map for one input, a counterfactual pair, an ablation with its predictions. Faces
// (CLI, server, Python) call these instead of composing the steps themselves; schema.h writes the results.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "attnscope/ablation.h"
#include "attnscope/analysis.h"
#include "attnscope/model.h"

namespace attnscope::analysis {

// The token classes ([CLS], [SEP], punctuation...) of an encoding under the model's tokenizer.
TokenClasses token_classes(const model::Model& model, const tokenizer::Encoding& e);

// What every face shows beside one input's maps: the statistics of docs/analyses.md and the pattern type
// of every head.
struct InputStatistics {
    HeadStatistics stats;
    std::vector<PatternFeatures> patterns;  // [L·H]
};
InputStatistics input_statistics(const Trace& trace, const TokenClasses& tokens);

// Kobayashi et al.'s norms for every head of a trace captured with capture.qkv.
struct AllHeadNorms {
    int layers = 0, heads = 0;
    size_t n = 0;
    std::vector<HeadNorms> per_head;  // [L·H], layer-major
};
AllHeadNorms all_head_norms(const model::Model& model, const Trace& trace, const TokenClasses& tokens);

// Clark's head map of one input: JS distances between every pair of heads, laid out in 2-D by metric MDS,
// coloured by the head's statistics.
struct HeadMap {
    int layers = 0, heads = 0;
    std::vector<double> xy;  // [L·H][2]
    double stress = 0;
    std::vector<std::string> colours;  // [L·H]
    std::vector<double> distances;     // [L·H][L·H], Clark's D
};
HeadMap head_map(const Trace& trace, const HeadStatistics& stats, int threads = 0);

// A second input made from the first by one token edit. Refuses special tokens and positions outside the
// input; `token` (Replace) must be one entry of the vocabulary. `description` says what changed.
enum class TokenChange { Mask, Replace, Delete };
tokenizer::Encoding change_token(const tokenizer::Tokenizer& tokenizer, const tokenizer::Encoding& e,
                                 TokenChange change, size_t position, const std::string& token = "",
                                 std::string* description = nullptr);

// How much each head's attention changes between two inputs (analysis::head_change over the aligned tokens).
struct Counterfactual {
    std::string change;  // what the second input is ("the second text", "token 3 'shows' masked", ...)
    tokenizer::Encoding a, b;
    std::vector<std::pair<size_t, size_t>> alignment;
    std::vector<double> js_divergence;  // [L·H]
};
Counterfactual counterfactual(const model::Model& model, const tokenizer::Encoding& a, const tokenizer::Encoding& b,
                              std::string change, int threads = 0);

// Heads ablated ("3:4,5:*") in one of the three modes; the final hidden states' relative change per token,
// and the masked-LM's top tokens before and after at every [MASK] (when the checkpoint has the head).
struct AblationResult {
    std::string mode, heads;
    std::vector<double> hidden_state_change;  // [n]
    std::vector<MaskPredictions> predictions, ablated_predictions;
};
HeadAblation parse_ablation_mode(const std::string& name);  // "zero", "uniform" or "mean"
const char* ablation_mode_name(HeadAblation mode);
AblationResult ablate(const model::Model& model, const tokenizer::Encoding& e, const std::string& heads,
                      HeadAblation mode, size_t top_k = 5, int threads = 0);

}  // namespace attnscope::analysis
