// One attention head of one sequence: scores, mask, softmax, optional ablation, context — the inner
// loop of the encoder, with everything a caller may capture.
#pragma once

#include <cstddef>
#include <cstdint>

#include "attnscope/trace.h"
#include "kernels/packed_gemm.h"

namespace attnscope::model {

struct HeadInputs {
    const float* q;  // [n][d] with row stride ld (a column slice of the packed QKV activations)
    const float* k;
    const float* v;
    size_t ld = 0, n = 0, d = 0;
    const int32_t* key_mask = nullptr;  // [n], 0 = masked key; null when nothing is masked
    float scale = 1.0f;                 // d^-1/2 as fp32
};

struct HeadOutputs {
    float* probs;             // [n][n]
    float* scores = nullptr;  // [n][n] pre-softmax, when captured
    float* context;           // [n][d] with row stride ld_context
    size_t ld_context = 0;
};

struct HeadAblationSpec {
    bool active = false;
    HeadAblation mode = HeadAblation::Zero;
    float gate = 1.0f;                    // Zero: probabilities times the gate
    const float* mean_context = nullptr;  // Mean: [d]
};

// Per-thread scratch: the head's packed Kᵀ and V. Grows to the largest call's shape and stays.
struct HeadScratch {
    kernels::AlignedFloats keys, values;
    void reserve(size_t max_n, size_t d);
};

void attend_head(const HeadInputs& in, const HeadOutputs& out, const HeadAblationSpec& ablation, HeadScratch& scratch);

}  // namespace attnscope::model
