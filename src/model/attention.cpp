// Attention for one head, a block of query rows at a time: the block's scores (rows × n) are computed,
// masked, normalised and multiplied by V while they are still in L2, and the probabilities are written to
// the caller's attention matrix once. Whole-matrix passes (scores, then softmax, then P·V) would each
// stream an n × n matrix through memory: 3 MB per head at n = 512.
#include "model/attention.h"

#include <algorithm>
#include <cfloat>
#include <cstring>

#include "kernels/attention_ops.h"
#include "kernels/forward_ops.h"

namespace attnscope::model {

namespace {
constexpr size_t kRowBlock = 48;  // 48 × 512 scores = 96 KB, well inside L2
// The additive key mask of eager attention: finfo(float32).min, added (not assigned) to the scores.
constexpr float kMaskValue = -FLT_MAX;
}  // namespace

void HeadScratch::reserve(size_t max_n, size_t d) {
    if (keys.size() < kernels::packed_floats(d, max_n)) keys = kernels::AlignedFloats(kernels::packed_floats(d, max_n));
    if (values.size() < kernels::packed_floats(max_n, d))
        values = kernels::AlignedFloats(kernels::packed_floats(max_n, d));
}

void attend_head(const HeadInputs& in, const HeadOutputs& out, const HeadAblationSpec& ablation, HeadScratch& scratch) {
    const size_t n = in.n, d = in.d;
    kernels::pack_transposed(in.k, n, d, in.ld, scratch.keys.data());
    const kernels::PackedB key_b{scratch.keys.data(), d, n};
    const bool mean_ablation = ablation.active && ablation.mode == HeadAblation::Mean;
    kernels::PackedB value_b{};
    if (!mean_ablation) {
        kernels::pack_rows(in.v, n, d, in.ld, scratch.values.data());
        value_b = {scratch.values.data(), n, d};
    }
    size_t real_keys = n;
    if (in.key_mask)
        real_keys = static_cast<size_t>(std::count_if(in.key_mask, in.key_mask + n, [](int32_t m) { return m != 0; }));

    for (size_t i0 = 0; i0 < n; i0 += kRowBlock) {
        const size_t rows = std::min(kRowBlock, n - i0);
        float* p = out.probs + i0 * n;
        // torch: matmul, then times the Python float d**-0.5
        kernels::attention_scores(rows, in.q + i0 * in.ld, in.ld, key_b, in.scale, p, n);
        if (in.key_mask) {
            for (size_t i = 0; i < rows; ++i)
                for (size_t j = 0; j < n; ++j)
                    if (in.key_mask[j] == 0) p[i * n + j] += kMaskValue;
        }
        if (out.scores) std::memcpy(out.scores + i0 * n, p, rows * n * sizeof(float));
        kernels::softmax_rows(p, rows, n, n);
        if (ablation.active && ablation.mode == HeadAblation::Zero) {
            // transformers 4.x head_mask: the probabilities times the gate (outputs.attentions shows it).
            for (size_t i = 0; i < rows * n; ++i) p[i] *= ablation.gate;
        } else if (ablation.active && ablation.mode == HeadAblation::Uniform) {
            // Kovaleva et al.: the head attends uniformly to every real token.
            const float u = 1.0f / static_cast<float>(real_keys ? real_keys : n);
            for (size_t i = 0; i < rows; ++i)
                for (size_t j = 0; j < n; ++j)
                    p[i * n + j] = (!in.key_mask || in.key_mask[j] || real_keys == 0) ? u : 0.0f;
        }
        if (mean_ablation) {
            // Mean ablation: the head's output is its mean context vector, whatever it attends to.
            for (size_t i = 0; i < rows; ++i)
                std::memcpy(out.context + (i0 + i) * out.ld_context, ablation.mean_context, d * sizeof(float));
        } else {
            kernels::attention_context(rows, p, n, value_b, out.context + i0 * out.ld_context, out.ld_context);
        }
    }
}

}  // namespace attnscope::model
