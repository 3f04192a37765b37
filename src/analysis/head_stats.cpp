// Per-head statistics of one input (docs/analyses.md §1): Clark et al. 2019's attention to token classes,
// positional mass, smoothed entropy; Voita et al.'s confidence; mean attention distance; top-p span; sink
// mass. Rows of special tokens are included unless a definition says otherwise, as in Clark's code.
// Written for corpus mode, where it runs on every head of every input: class masses come from column
// sums, entropies from the vectorised x·ln x kernel, and the top-p span from a kernel that takes the
// largest values in registers (kernels::top_p_count).
#include <algorithm>
#include <cmath>

#include "attnscope/analysis.h"
#include "kernels/reductions.h"
#include "kernels/threads.h"

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
    return -kernels::sum_xlogx_affine(row, n, 0.9999f, 0.0001f / static_cast<float>(n));
}

}  // namespace

const StatInfo& stat_info(int stat) {
    return kStats[stat];
}

double stat_rows(int stat, const TokenClasses& tok) {
    const double n = static_cast<double>(tok.n), sep = static_cast<double>(tok.num_sep());
    switch (stat) {
        case kSepToSep:
            return sep;
        case kOtherToSep:
            return n - sep;
        case kConfidence:
            return n - static_cast<double>(tok.num_special());
        case kClsEntropy:
            return 1;
        default:
            return n;
    }
}

HeadStatistics head_statistics(const Trace& trace, const TokenClasses& tok, int threads) {
    const int nt = kernels::resolve_threads(threads);
    const size_t n = trace.seq_len;
    HeadStatistics out;
    out.num_layers = trace.num_layers;
    out.num_heads = trace.num_heads;
    out.values.assign(static_cast<size_t>(trace.num_layers * trace.num_heads), {});
    out.uniform_entropy = n ? std::log(static_cast<double>(n)) : 0;
    if (n == 0) return out;
    const double inv_n = 1.0 / static_cast<double>(n);
    std::vector<size_t> cls_at, sep_at, punct_at;
    for (size_t j = 0; j < n; ++j) {
        if (tok.cls[j]) cls_at.push_back(j);
        if (tok.sep[j]) sep_at.push_back(j);
        if (tok.punct[j]) punct_at.push_back(j);
    }
    const size_t num_sep = sep_at.size();
    const size_t non_special = n - tok.num_special();
    const size_t cls_row = cls_at.empty() ? 0 : cls_at.front();
    const long heads = static_cast<long>(trace.num_layers * trace.num_heads);
    // Heads are independent: spread them over the kernel threads (corpus mode calls this per input).
#pragma omp parallel num_threads(nt) if (nt > 1 && heads * static_cast <long>(n * n) > 20000)
    {
        std::vector<double> column(n);
        std::vector<float> scratch;
#pragma omp for schedule(static)
        for (long head = 0; head < heads; ++head) {
            const float* a = trace.attentions.data() + static_cast<size_t>(head) * n * n;
            auto& v = out.values[static_cast<size_t>(head)];
            std::fill(column.begin(), column.end(), 0.0);
            double self = 0, next = 0, prev = 0, sep_sep = 0, other_sep = 0;
            double entropy = 0, entropy_raw = 0, confidence = 0, distance = 0, span = 0;
            for (size_t i = 0; i < n; ++i) {
                const float* row = a + i * n;
                double row_sep = 0, row_distance = 0;
                float row_max = 0;
                kernels::row_summary(row, n, i, column.data(), &row_max, &row_distance);
                for (size_t j : sep_at) row_sep += row[j];
                (tok.sep[i] ? sep_sep : other_sep) += row_sep;
                distance += row_distance;
                self += row[i];
                if (i + 1 < n) next += row[i + 1];
                if (i > 0) prev += row[i - 1];
                entropy += smoothed_entropy(row, n);
                entropy_raw -= kernels::sum_xlogx(row, nullptr, n);
                if (!tok.special[i]) confidence += row_max;
                span += row_max >= 0.9f ? 1.0 : static_cast<double>(kernels::top_p_count(row, n, 0.9, scratch));
            }
            auto column_mass = [&](const std::vector<size_t>& at) {
                double s = 0;
                for (size_t j : at) s += column[j];
                return s * inv_n;
            };
            v[kToCls] = column_mass(cls_at);
            v[kToSep] = column_mass(sep_at);
            v[kToPunct] = column_mass(punct_at);
            v[kToSelf] = self * inv_n;
            v[kToNext] = next * inv_n;
            v[kToPrev] = prev * inv_n;
            v[kSepToSep] = num_sep ? sep_sep / static_cast<double>(num_sep) : 0;
            v[kOtherToSep] = n > num_sep ? other_sep / static_cast<double>(n - num_sep) : 0;
            v[kEntropy] = entropy * inv_n;
            v[kEntropyRaw] = entropy_raw * inv_n;
            v[kClsEntropy] = smoothed_entropy(a + cls_row * n, n);
            v[kConfidence] = non_special ? confidence / static_cast<double>(non_special) : 0;
            v[kDistance] = distance * inv_n;
            v[kTopPSpan] = span * inv_n;
            v[kSinkMass] = v[kToCls] + v[kToSep] + v[kToPunct];
        }
    }
    return out;
}

}  // namespace attnscope::analysis
