// The encoder's three blocks over a Workspace, one function each, in the order the layer loop calls them:
//   embed            x = LN(word[id] + type[tt] + pos[p])  (ELECTRA: then projected E → D)
//   attention_block  qkv = x Wqkvᵀ + b; per (sequence, head) P = softmax(Q Kᵀ · d^-½ + mask), ctx = P V;
//                    a = LN(ctx Woᵀ + bo + x)
//   ffn_block        x = LN(act(a Wiᵀ + bi) WOutᵀ + bOut + a)
// All sequences of a call are packed row after row for the linear layers (no padding); attention runs per
// (sequence, head), so sequences never see each other. Shapes: T packed tokens, D hidden, I intermediate,
// H heads of d = D / H, rows ld floats apart (kernels::activation_stride).
#pragma once

#include <cstddef>
#include <vector>

#include "attnscope/model.h"
#include "model/bert_weights.h"
#include "model/workspace_buffers.h"

namespace attnscope::model {

// The call's shape and what every block reads from the options.
struct BlockContext {
    const BertConfig& config;
    const std::vector<tokenizer::Encoding>& encodings;
    const ForwardOptions& options;
    size_t tokens = 0;  // T
    size_t ld = 0, ld_qkv = 0, ld_inter = 0;
    int threads = 1;
};

// Sizes every buffer of `ws` for the call (offsets, padding flags, activations, per-thread scratch).
BlockContext prepare_workspace(const BertConfig& config, const std::vector<tokenizer::Encoding>& encodings,
                               const ForwardOptions& options, int threads, WorkspaceBuffers& ws);

void embed(const BlockContext& ctx, const BertWeights& w, WorkspaceBuffers& ws);  // → ws.x [T][ld]

// The layer's blocks run inside one OpenMP parallel region (the layer loop's): every thread of the team
// calls them with the same arguments, and each returns when the whole result is done. The linear layers
// are split by weight panels, so that the weights are read once whatever the number of tokens (splitting
// by rows, which would spare the barriers of the layer's tail, was measured and dropped:
// docs/performance.md); the team waits after each linear layer, LayerNorm and the attention loop.

// → ws.x's attention output in ws.a [T][ld]; each trace gets this layer's probabilities (and the queries,
// keys, values and scores it captures).
void attention_block(const BlockContext& ctx, const EncoderLayerWeights& lw, int layer, WorkspaceBuffers& ws,
                     std::vector<Trace>& traces);

void ffn_block(const BlockContext& ctx, const EncoderLayerWeights& lw, WorkspaceBuffers& ws);  // ws.a → ws.x

}  // namespace attnscope::model
