// Kovaleva et al. 2019's attention pattern types by a deterministic rule on three features (their
// classifier was a CNN on ~400 hand-labelled maps and is not released; the rule and its thresholds are
// ours, documented in docs/analyses.md). Q' = query rows that are not [CLS]/[SEP], S = [CLS]/[SEP]:
//   V  = mean_{i∈Q'} Σ_{j∈S} A_ij                                    special-column mass
//   Dg = mean_{i∈Q'} Σ_{j∉S, |i-j|≤w} A_ij                            diagonal band (self included)
//   Bk = mean_{i∈Q'} Σ_{j∈seg(i)\S, |i-j|>w} A_ij / Σ_{j∉S, |i-j|>w} A_ij   own-sentence share, pairs only
//   r0 = mean_{i∈Q'} |seg(i)\S| / (n - |S|)                           Bk under uniform attention
#include <algorithm>
#include <cmath>
#include <vector>

#include "attnscope/analysis.h"
#include "kernels/reductions.h"
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
    // Columns in runs of one kind (special, or a segment's ordinary tokens): a row's far mass is summed
    // over its runs' parts outside the band by a vector kernel, instead of a branch per value (this loop
    // was 7% of a 512-token explorer request). A [CLS] A [SEP] B [SEP] input has five runs.
    struct Run {
        size_t begin, end;
        bool special;
        int segment;
    };
    std::vector<Run> runs;
    std::vector<size_t> specials;
    for (size_t j = 0; j < n; ++j) {
        const bool sp = tok.special[j] != 0;
        if (sp) specials.push_back(j);
        if (runs.empty() || runs.back().special != sp || (!sp && runs.back().segment != tok.segment[j])) {
            runs.push_back({j, j + 1, sp, tok.segment[j]});
        } else {
            runs.back().end = j + 1;
        }
    }
    for (size_t i = 0; i < n; ++i) {
        if (tok.special[i]) continue;
        ++rows;
        const float* row = a + i * n;
        const size_t band_lo = i > w ? i - w : 0, band_hi = std::min(n, i + w + 1);  // [band_lo, band_hi)
        double v = 0, dg = 0, own_far = 0, far = 0;
        for (size_t j : specials) v += row[j];
        for (size_t j = band_lo; j < band_hi; ++j) {
            if (!tok.special[j]) dg += row[j];
        }
        for (const Run& r : runs) {
            if (r.special) continue;
            double s = 0;
            if (r.begin < band_lo) s += kernels::sum_double(row + r.begin, std::min(r.end, band_lo) - r.begin);
            if (r.end > band_hi) {
                const size_t from = std::max(r.begin, band_hi);
                s += kernels::sum_double(row + from, r.end - from);
            }
            far += s;
            if (r.segment == tok.segment[i]) own_far += s;
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
