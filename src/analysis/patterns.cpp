// Kovaleva et al. 2019's attention pattern types by a deterministic rule on three features (their
// classifier was a CNN on ~400 hand-labelled maps and is not released; the rule and its thresholds are
// ours, documented in docs/analyses.md). Q' = query rows that are not [CLS]/[SEP], S = [CLS]/[SEP]:
//   V  = mean_{i∈Q'} Σ_{j∈S} A_ij                                    special-column mass
//   Dg = mean_{i∈Q'} Σ_{j∉S, |i-j|≤w} A_ij                            diagonal band (self included)
//   Bk = mean_{i∈Q'} Σ_{j∈seg(i)\S, |i-j|>w} A_ij / Σ_{j∉S, |i-j|>w} A_ij   own-sentence share, pairs only
//   r0 = mean_{i∈Q'} |seg(i)\S| / (n - |S|)                           Bk under uniform attention
#include <cmath>

#include "attnscope/analysis.h"
#include "kernels/threads.h"

namespace attnscope::analysis {

const char* pattern_name(Pattern p) {
    switch (p) {
        case Pattern::Vertical:
            return "vertical";
        case Pattern::Diagonal:
            return "diagonal";
        case Pattern::VerticalDiagonal:
            return "vertical+diagonal";
        case Pattern::Block:
            return "block";
        case Pattern::Heterogeneous:
            return "heterogeneous";
    }
    return "?";
}

PatternFeatures classify_pattern(const float* a, size_t n, const TokenClasses& tok, const PatternThresholds& t) {
    PatternFeatures f;
    const size_t w = static_cast<size_t>(std::max(0, t.band));
    const bool pair = tok.has_pair();
    size_t rows = 0, block_rows = 0;
    size_t seg_count[2] = {0, 0};
    for (size_t j = 0; j < n; ++j) {
        if (!tok.special[j]) ++seg_count[tok.segment[j] == 1];
    }
    const size_t non_special = seg_count[0] + seg_count[1];
    for (size_t i = 0; i < n; ++i) {
        if (tok.special[i]) continue;
        ++rows;
        const float* row = a + i * n;
        double v = 0, dg = 0, own_far = 0, far = 0;
        for (size_t j = 0; j < n; ++j) {
            const double x = row[j];
            if (tok.special[j]) {
                v += x;
                continue;
            }
            const size_t dist = i > j ? i - j : j - i;
            if (dist <= w) {
                dg += x;
            } else {
                far += x;
                if (tok.segment[j] == tok.segment[i]) own_far += x;
            }
        }
        f.vertical += v;
        f.diagonal += dg;
        if (pair && far > 0) {
            f.block += own_far / far;
            ++block_rows;
        }
        if (non_special)
            f.block_uniform += static_cast<double>(seg_count[tok.segment[i] == 1]) / static_cast<double>(non_special);
    }
    if (rows) {
        f.vertical /= static_cast<double>(rows);
        f.diagonal /= static_cast<double>(rows);
        f.block_uniform /= static_cast<double>(rows);
    }
    if (block_rows) f.block /= static_cast<double>(block_rows);
    // First match wins.
    if (f.vertical >= t.vertical && f.diagonal < t.vertical_max_diagonal) {
        f.label = Pattern::Vertical;
    } else if (f.diagonal >= t.diagonal && f.vertical < t.diagonal_max_vertical) {
        f.label = Pattern::Diagonal;
    } else if (f.vertical >= t.mixed_each && f.diagonal >= t.mixed_each && f.vertical + f.diagonal >= t.mixed_sum) {
        f.label = Pattern::VerticalDiagonal;
    } else if (pair && block_rows && f.block >= t.block && f.block - f.block_uniform >= t.block_over_uniform) {
        f.label = Pattern::Block;
    } else {
        f.label = Pattern::Heterogeneous;
    }
    return f;
}

std::vector<PatternFeatures> classify_heads(const Trace& trace, const TokenClasses& tok, const PatternThresholds& t,
                                            int threads) {
    const int nt = kernels::resolve_threads(threads);
    const long heads = static_cast<long>(trace.num_layers * trace.num_heads);
    const size_t n = trace.seq_len;
    std::vector<PatternFeatures> out(static_cast<size_t>(heads));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && heads * static_cast <long>(n * n) > 20000)
    for (long h = 0; h < heads; ++h) {
        out[static_cast<size_t>(h)] =
            classify_pattern(trace.attentions.data() + static_cast<size_t>(h) * n * n, n, tok, t);
    }
    return out;
}

}  // namespace attnscope::analysis
