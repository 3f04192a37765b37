// Clark et al. 2019 §6: the Jensen–Shannon distance between heads, and the 2-D map of heads by metric MDS.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "attnscope/analysis.h"
#include "kernels/reductions.h"
#include "kernels/threads.h"

namespace attnscope::analysis {

double js_divergence(const float* p, const float* q, size_t n) {
    auto xlogx = [](double x) { return x > 0 ? x * std::log(x) : 0.0; };
    double s = 0;
    for (size_t j = 0; j < n; ++j) {
        const double m = 0.5 * (static_cast<double>(p[j]) + q[j]);
        s += 0.5 * (xlogx(p[j]) + xlogx(q[j])) - xlogx(m);
    }
    return s;
}

void add_head_distances(const Trace& trace, std::vector<double>& distance, int threads) {
    const int nt = kernels::resolve_threads(threads);
    const size_t n = trace.seq_len, heads = static_cast<size_t>(trace.num_layers * trace.num_heads);
    distance.resize(heads * heads, 0.0);
    if (n == 0) return;
    // Clark's smoothing, Ã = 0.999·A + 0.001/n, keeps every entry positive.
    std::vector<float> smooth(heads * n * n);
    const float u = 0.001f / static_cast<float>(n);
    for (size_t h = 0; h < heads; ++h) {
        const float* a = trace.attentions.data() + h * n * n;
        float* s = smooth.data() + h * n * n;
        for (size_t i = 0; i < n * n; ++i) s[i] = 0.999f * a[i] + u;
    }
    // JS(p, q) = ½ Σ p ln p + ½ Σ q ln q − Σ m ln m, summed over the rows: the first two are per head, and
    // the last runs over the two heads' whole n×n blocks at once (one long vector loop per pair).
    const size_t block = n * n;
    std::vector<double> plogp(heads);
    for (size_t h = 0; h < heads; ++h) plogp[h] = kernels::sum_xlogx(smooth.data() + h * block, nullptr, block);
    const long pairs = static_cast<long>(heads * (heads - 1) / 2);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 64) if (nt > 1)
    for (long idx = 0; idx < pairs; ++idx) {
        // Unrank idx into (a, b), a < b.
        size_t a = 0, rest = static_cast<size_t>(idx);
        while (rest >= heads - 1 - a) {
            rest -= heads - 1 - a;
            ++a;
        }
        const size_t b = a + 1 + rest;
        const double mlogm = kernels::sum_xlogx(smooth.data() + a * block, smooth.data() + b * block, block);
        const double d = 0.5 * (plogp[a] + plogp[b]) - mlogm;
        distance[a * heads + b] += d;
        distance[b * heads + a] += d;
    }
}

std::vector<double> metric_mds(const std::vector<double>& delta, size_t m, double* stress_out, int inits, int max_iter,
                               double eps, unsigned seed) {
    std::vector<double> best;
    double best_stress = std::numeric_limits<double>::infinity();
    if (m == 0) return best;
    std::vector<double> x(m * 2), next(m * 2), dist(m * m);
    auto distances = [&](const std::vector<double>& pts) {
        for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < m; ++j) {
                const double dx = pts[i * 2] - pts[j * 2], dy = pts[i * 2 + 1] - pts[j * 2 + 1];
                dist[i * m + j] = std::sqrt(dx * dx + dy * dy);
            }
    };
    auto stress_of = [&]() {
        double s = 0;
        for (size_t i = 0; i < m; ++i)
            for (size_t j = i + 1; j < m; ++j)
                s += (dist[i * m + j] - delta[i * m + j]) * (dist[i * m + j] - delta[i * m + j]);
        return s;
    };
    for (int init = 0; init < inits; ++init) {
        std::mt19937 rng(seed + static_cast<unsigned>(init));
        std::uniform_real_distribution<double> uni(0.0, 1.0);
        for (auto& v : x) v = uni(rng);
        distances(x);
        double stress = stress_of();
        for (int it = 0; it < max_iter; ++it) {
            // Guttman transform: X ← (1/m) B(X) X with b_ij = −δ_ij / d_ij, b_ii = −Σ_{j≠i} b_ij.
            for (size_t i = 0; i < m; ++i) {
                double bx = 0, by = 0, bii = 0;
                for (size_t j = 0; j < m; ++j) {
                    if (j == i) continue;
                    const double b = dist[i * m + j] > 1e-12 ? -delta[i * m + j] / dist[i * m + j] : 0.0;
                    bii -= b;
                    bx += b * x[j * 2];
                    by += b * x[j * 2 + 1];
                }
                next[i * 2] = (bx + bii * x[i * 2]) / static_cast<double>(m);
                next[i * 2 + 1] = (by + bii * x[i * 2 + 1]) / static_cast<double>(m);
            }
            x.swap(next);
            distances(x);
            const double s = stress_of();
            const double converged = stress > 0 ? (stress - s) / stress : 0;
            stress = s;
            if (converged < eps) break;
        }
        if (stress < best_stress) {
            best_stress = stress;
            best = x;
        }
    }
    if (stress_out) *stress_out = best_stress;
    return best;
}

std::string head_map_colour(const std::array<double, kNumStats>& s) {
    // Clark's General_Analysis notebook, applied in order so that later rules win.
    std::string colour = "other";
    if (s[kToNext] > 0.5) colour = "next";
    if (s[kToPrev] > 0.5) colour = "prev";
    if (s[kEntropy] > 3.8) colour = "broad";
    if (s[kToCls] > 0.6) colour = "cls";
    if (s[kToSep] > 0.6) colour = "sep";
    if (s[kToPunct] > 0.6) colour = "punct";
    return colour;
}

}  // namespace attnscope::analysis
