// Kobayashi et al. 2020, "Attention is Not Only a Weight": a head's output for token i is
// Σ_j α_ij f(x_j) with f(x) = (x W_V^h + b_V^h) W_O^h, so the size of what token j contributes is
// α_ij ‖f(x_j)‖, not α_ij alone. b_V is included (it is part of the value vector); b_O is not (it does not
// depend on j), as in their code.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "attnscope/analysis.h"

namespace attnscope::analysis {
namespace {

std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size();) {
        size_t j = i;
        while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
        const double mean_rank = 0.5 * static_cast<double>(i + j);  // ties share the mean rank
        for (size_t k = i; k <= j; ++k) r[idx[k]] = mean_rank;
        i = j + 1;
    }
    return r;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
    const double n = static_cast<double>(a.size());
    const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

}  // namespace

HeadNorms head_norms(const float* attention, const float* values, size_t n, size_t d, const float* wo, size_t hidden,
                     const TokenClasses& tok) {
    HeadNorms out;
    out.value_norms.assign(n, 0.0f);
    std::vector<double> f(hidden);
    for (size_t j = 0; j < n; ++j) {
        std::fill(f.begin(), f.end(), 0.0);
        for (size_t k = 0; k < d; ++k) {
            const double v = values[j * d + k];
            const float* row = wo + k * hidden;
            for (size_t c = 0; c < hidden; ++c) f[c] += v * row[c];
        }
        double sq = 0;
        for (double x : f) sq += x * x;
        out.value_norms[j] = static_cast<float>(std::sqrt(sq));
    }
    std::vector<double> column(n, 0.0), norms(out.value_norms.begin(), out.value_norms.end());
    for (size_t i = 0; i < n; ++i) {
        double att_special = 0, weighted_special = 0, weighted_total = 0;
        for (size_t j = 0; j < n; ++j) {
            const double a = attention[i * n + j];
            const double w = a * out.value_norms[j];
            column[j] += a;
            weighted_total += w;
            if (tok.special[j]) {
                att_special += a;
                weighted_special += w;
            }
        }
        out.special_attention_share += att_special;
        out.special_norm_share += weighted_total > 0 ? weighted_special / weighted_total : 0;
    }
    if (n) {
        out.special_attention_share /= static_cast<double>(n);
        out.special_norm_share /= static_cast<double>(n);
    }
    out.spearman = n > 1 ? pearson(ranks(column), ranks(norms)) : 0;
    return out;
}

}  // namespace attnscope::analysis
