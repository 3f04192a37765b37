#include <cmath>

#include "attnscope/analysis.h"

namespace attnscope::analysis {

double row_entropy(const float* row, size_t n) {
    double h = 0;
    for (size_t j = 0; j < n; ++j) {
        double p = row[j];
        if (p > 0) h -= p * std::log(p);
    }
    return h;
}

std::vector<HeadSummary> summarize_heads(const Trace& trace) {
    const size_t n = trace.seq_len;
    std::vector<HeadSummary> out(static_cast<size_t>(trace.num_layers * trace.num_heads));
    std::vector<double> column(n);
    for (int l = 0; l < trace.num_layers; ++l) {
        for (int h = 0; h < trace.num_heads; ++h) {
            const float* a = trace.attention(l, h);
            HeadSummary& s = out[static_cast<size_t>(l * trace.num_heads + h)];
            std::fill(column.begin(), column.end(), 0.0);
            double entropy = 0;
            for (size_t i = 0; i < n; ++i) {
                entropy += row_entropy(a + i * n, n);
                for (size_t j = 0; j < n; ++j) column[j] += a[i * n + j];
            }
            s.entropy = n ? entropy / static_cast<double>(n) : 0;
            for (size_t j = 0; j < n; ++j) {
                if (column[j] > column[s.top_key]) s.top_key = j;
            }
            s.top_key_share = n ? column[s.top_key] / static_cast<double>(n) : 0;
        }
    }
    return out;
}

}  // namespace attnscope::analysis
