// What a Workspace holds: the activations of all packed tokens and the per-thread attention scratch.
// Every buffer only grows (to the largest call's shape), so a repeated call allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "attnscope/workspace.h"
#include "model/attention.h"

namespace attnscope::model {

struct WorkspaceBuffers {
    // The call's layout: sequence s owns packed rows [offset[s], offset[s + 1]).
    std::vector<size_t> offset;        // [S + 1]
    std::vector<uint8_t> has_padding;  // [S]
    // x [T][ld] the layer input, qkv [T][3D] the projections side by side, ctx [T][ld] the heads' outputs,
    // a [T][ld] the attention block's output, inter [T][ld_inter] the feed-forward's hidden layer,
    // embedded [T][E] ELECTRA's narrower embeddings before their projection.
    std::vector<float> x, qkv, ctx, a, inter, embedded;
    std::vector<HeadScratch> heads;  // one per thread

    size_t bytes() const;
};

// Grows v to at least `count` elements; never shrinks it, never clears it.
void ensure_size(std::vector<float>& v, size_t count);

}  // namespace attnscope::model
