// Head ablation and masked-LM predictions: analyses that run the model again (docs/analyses.md §5).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/model.h"
#include "attnscope/trace.h"

namespace attnscope::analysis {

struct TokenPrediction {
    int32_t id;
    std::string token;
    float probability;
};

struct MaskPredictions {
    size_t position;  // index in the encoding
    std::vector<TokenPrediction> top;
};

// The masked-LM head's top-k tokens at every [MASK] of the encoding, as BertForMaskedLM + softmax gives
// them. `options` may ablate heads. Throws Error when the checkpoint has no masked-LM head.
std::vector<MaskPredictions> fill_mask(const model::Model& model, const tokenizer::Encoding& encoding, size_t top_k,
                                       const ForwardOptions& options = {});

// Per token, ‖h' − h‖ / ‖h‖ between two runs' final hidden states.
std::vector<double> hidden_state_change(const Trace& base, const Trace& changed);

// "3:4,5:1,7:*" (layer:head, 0-based; * = every head of that layer) → a [L][H] head mask, 1 = keep.
std::vector<float> parse_head_list(const std::string& spec, int layers, int heads);

// Mean head outputs (the context vectors before the output projection) over the tokens of some traces
// captured with capture.context: [L][H][d], for HeadAblation::Mean.
std::vector<float> mean_head_outputs(const std::vector<Trace>& traces);

// Single-head ablation ranking: for every head, the mean relative change of the final hidden states when
// that head alone is ablated (L·H extra forwards per input), each forward on `threads` threads. [L·H]
std::vector<double> head_importance(const model::Model& model, const std::vector<tokenizer::Encoding>& inputs,
                                    HeadAblation mode, const std::vector<float>& mean_context = {}, int threads = 0);

}  // namespace attnscope::analysis
