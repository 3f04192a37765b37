// Per-head statistics of one input (docs/analyses.md §1): Clark et al. 2019's attention to token classes,
// positional mass, smoothed entropy; Voita et al.'s confidence; mean attention distance; top-p span; sink
// mass. Rows of special tokens are included unless a definition says otherwise, as in Clark's code.
#include <algorithm>
#include <cmath>
#include <functional>

#include "attnscope/analysis.h"

namespace attnscope::analysis {
namespace {

constexpr StatInfo kStats[kNumStats] = {
    {"to_cls", "→[CLS]", "share"},
    {"to_sep", "→[SEP]", "share"},
    {"to_punct", "→. ,", "share"},
    {"to_self", "→self", "share"},
    {"to_next", "→next", "share"},
    {"to_prev", "→prev", "share"},
    {"sep_to_sep", "[SEP]→[SEP]", "share"},
    {"other_to_sep", "other→[SEP]", "share"},
    {"entropy", "entropy", "nats"},
    {"entropy_raw", "entropy (raw)", "nats"},
    {"cls_entropy", "[CLS] entropy", "nats"},
    {"confidence", "confidence", "share"},
    {"distance", "distance", "tokens"},
    {"top_p_span", "90% span", "tokens"},
    {"sink_mass", "sink mass", "share"},
};

// Clark's smoothing before entropy: Ã = 0.9999·A + 0.0001/n.
double smoothed_entropy(const float* row, size_t n) {
    const double u = 0.0001 / static_cast<double>(n);
    double h = 0;
    for (size_t j = 0; j < n; ++j) {
        const double p = 0.9999 * row[j] + u;
        h -= p * std::log(p);
    }
    return h;
}

size_t top_p_span(const float* row, size_t n, double p, std::vector<float>& scratch) {
    scratch.assign(row, row + n);
    std::sort(scratch.begin(), scratch.end(), std::greater<float>());
    double mass = 0;
    for (size_t k = 0; k < n; ++k) {
        mass += scratch[k];
        if (mass >= p) return k + 1;
    }
    return n;
}

}  // namespace

const StatInfo& stat_info(int stat) { return kStats[stat]; }

double stat_rows(int stat, const TokenClasses& tok) {
    const double n = static_cast<double>(tok.n), sep = static_cast<double>(tok.num_sep());
    switch (stat) {
        case kSepToSep: return sep;
        case kOtherToSep: return n - sep;
        case kConfidence: return n - static_cast<double>(tok.num_special());
        case kClsEntropy: return 1;
        default: return n;
    }
}

HeadStatistics head_statistics(const Trace& trace, const TokenClasses& tok) {
    const size_t n = trace.seq_len;
    HeadStatistics out;
    out.num_layers = trace.num_layers;
    out.num_heads = trace.num_heads;
    out.values.assign(static_cast<size_t>(trace.num_layers * trace.num_heads), {});
    out.uniform_entropy = n ? std::log(static_cast<double>(n)) : 0;
    if (n == 0) return out;
    const double inv_n = 1.0 / static_cast<double>(n);
    const size_t num_sep = tok.num_sep();
    const size_t non_special = n - tok.num_special();
    std::vector<float> scratch;
    for (int l = 0; l < trace.num_layers; ++l) {
        for (int h = 0; h < trace.num_heads; ++h) {
            const float* a = trace.attention(l, h);
            auto& v = out.values[static_cast<size_t>(l * trace.num_heads + h)];
            double to_cls = 0, to_sep = 0, to_punct = 0, self = 0, next = 0, prev = 0, sep_sep = 0, other_sep = 0;
            double entropy = 0, entropy_raw = 0, confidence = 0, distance = 0, span = 0;
            for (size_t i = 0; i < n; ++i) {
                const float* row = a + i * n;
                double row_sep = 0, row_max = 0;
                for (size_t j = 0; j < n; ++j) {
                    const double x = row[j];
                    if (tok.cls[j]) to_cls += x;
                    if (tok.sep[j]) row_sep += x;
                    if (tok.punct[j]) to_punct += x;
                    distance += x * static_cast<double>(i > j ? i - j : j - i);
                    row_max = std::max(row_max, x);
                }
                to_sep += row_sep;
                (tok.sep[i] ? sep_sep : other_sep) += row_sep;
                self += row[i];
                if (i + 1 < n) next += row[i + 1];
                if (i > 0) prev += row[i - 1];
                entropy += smoothed_entropy(row, n);
                entropy_raw += row_entropy(row, n);
                if (!tok.special[i]) confidence += row_max;
                span += static_cast<double>(top_p_span(row, n, 0.9, scratch));
            }
            v[kToCls] = to_cls * inv_n;
            v[kToSep] = to_sep * inv_n;
            v[kToPunct] = to_punct * inv_n;
            v[kToSelf] = self * inv_n;
            v[kToNext] = next * inv_n;
            v[kToPrev] = prev * inv_n;
            v[kSepToSep] = num_sep ? sep_sep / static_cast<double>(num_sep) : 0;
            v[kOtherToSep] = n > num_sep ? other_sep / static_cast<double>(n - num_sep) : 0;
            v[kEntropy] = entropy * inv_n;
            v[kEntropyRaw] = entropy_raw * inv_n;
            size_t cls_row = 0;
            while (cls_row < n && !tok.cls[cls_row]) ++cls_row;
            v[kClsEntropy] = smoothed_entropy(a + (cls_row < n ? cls_row : 0) * n, n);
            v[kConfidence] = non_special ? confidence / static_cast<double>(non_special) : 0;
            v[kDistance] = distance * inv_n;
            v[kTopPSpan] = span * inv_n;
            v[kSinkMass] = v[kToCls] + v[kToSep] + v[kToPunct];
        }
    }
    return out;
}

}  // namespace attnscope::analysis
