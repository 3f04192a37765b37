// Counterfactual diff: how much each head's attention changes between two inputs (a text and an edited
// copy: a token masked, replaced or deleted), over the tokens the two have in common.
#include <algorithm>
#include <cmath>

#include "attnscope/analysis.h"

namespace attnscope::analysis {

std::vector<std::pair<size_t, size_t>> align_tokens(const std::vector<std::string>& a,
                                                    const std::vector<std::string>& b) {
    // Longest common subsequence by dynamic programming; ties prefer keeping positions in step.
    const size_t na = a.size(), nb = b.size();
    std::vector<uint32_t> dp((na + 1) * (nb + 1), 0);
    for (size_t i = na; i-- > 0;)
        for (size_t j = nb; j-- > 0;)
            dp[i * (nb + 1) + j] = a[i] == b[j] ? dp[(i + 1) * (nb + 1) + j + 1] + 1
                                                : std::max(dp[(i + 1) * (nb + 1) + j], dp[i * (nb + 1) + j + 1]);
    std::vector<std::pair<size_t, size_t>> out;
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            out.emplace_back(i++, j++);
        } else if (dp[(i + 1) * (nb + 1) + j] >= dp[i * (nb + 1) + j + 1]) {
            ++i;
        } else {
            ++j;
        }
    }
    return out;
}

std::vector<double> head_change(const Trace& a, const Trace& b, const std::vector<std::pair<size_t, size_t>>& align) {
    const size_t heads = static_cast<size_t>(a.num_layers * a.num_heads);
    std::vector<double> out(heads, 0.0);
    if (align.empty()) return out;
    const size_t m = align.size();
    std::vector<float> p(m), q(m);
    for (size_t h = 0; h < heads; ++h) {
        const float* pa = a.attentions.data() + h * a.seq_len * a.seq_len;
        const float* pb = b.attentions.data() + h * b.seq_len * b.seq_len;
        double total = 0;
        for (const auto& [ia, ib] : align) {
            double sa = 0, sb = 0;
            for (size_t k = 0; k < m; ++k) {
                p[k] = pa[ia * a.seq_len + align[k].first];
                q[k] = pb[ib * b.seq_len + align[k].second];
                sa += p[k];
                sb += q[k];
            }
            if (sa <= 0 || sb <= 0) continue;
            for (size_t k = 0; k < m; ++k) {
                p[k] = static_cast<float>(p[k] / sa);
                q[k] = static_cast<float>(q[k] / sb);
            }
            total += js_divergence(p.data(), q.data(), m);
        }
        out[h] = total / static_cast<double>(m);
    }
    return out;
}

}  // namespace attnscope::analysis
