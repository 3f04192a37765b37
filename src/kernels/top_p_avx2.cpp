// The top-p span's AVX2 kernels (kernels::top_p_count): a sorting network for short rows, a threshold
// bisection for long ones.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/avx2.h"
#include "kernels/vecmath_avx2.h"

namespace attnscope::kernels::avx2 {
namespace {

// Why hand-written: the top-p span runs on every row of every head in corpus mode, and on ~25-token rows a
// heap is mostly mispredicted branches (it was two thirds of the statistics' time). Here a row of up to 64
// values is sorted in registers by a bitonic network (branch-free min/max), then the running total is
// summed in the sorted order. Equal values are interchangeable, so the totals are those of the heap's
// largest-first order bit for bit.

// Lanes that keep the larger value of a compare-exchange at distance d inside sorted blocks of size k
// (descending): lane i keeps the max when it is the lower of its pair in a descending block.
__m256 keep_max_mask(int k, int d) {
    alignas(32) float m[8];
    for (int lane = 0; lane < 8; ++lane) {
        const bool lower = (lane & d) == 0, descending = k >= 8 || (lane & k) == 0;
        m[lane] = lower == descending ? -1.0f : 0.0f;  // sign bit set: take the max
    }
    return _mm256_load_ps(m);
}

template <int D>
__m256 partner(__m256 v) {
    if constexpr (D == 1) return _mm256_permute_ps(v, 0b10110001);
    if constexpr (D == 2) return _mm256_permute_ps(v, 0b01001110);
    return _mm256_permute2f128_ps(v, v, 1);
}

template <int V, int K, int D>
void bitonic_stage(__m256 (&v)[V]) {
    if constexpr (D >= 8) {
        constexpr int db = D / 8;
        for (int b = 0; b < V; ++b) {
            if (b & db) continue;
            const bool descending = ((b * 8) & K) == 0;
            const __m256 hi = _mm256_max_ps(v[b], v[b | db]), lo = _mm256_min_ps(v[b], v[b | db]);
            v[b] = descending ? hi : lo;
            v[b | db] = descending ? lo : hi;
        }
    } else {
        static const __m256 keep_max = keep_max_mask(K, D);
        for (int b = 0; b < V; ++b) {
            const __m256 p = partner<D>(v[b]);
            const __m256 hi = _mm256_max_ps(v[b], p), lo = _mm256_min_ps(v[b], p);
            // Blocks of K >= 8 alternate direction by register: swap the roles for the ascending ones.
            const bool flip = K >= 8 && ((b * 8) & K) != 0;
            v[b] = flip ? _mm256_blendv_ps(hi, lo, keep_max) : _mm256_blendv_ps(lo, hi, keep_max);
        }
    }
    if constexpr (D > 1) bitonic_stage<V, K, D / 2>(v);
}

template <int V, int K = 2>
void bitonic_sort_descending(__m256 (&v)[V]) {
    bitonic_stage<V, K, K / 2>(v);
    if constexpr (K < 8 * V) bitonic_sort_descending<V, K * 2>(v);
}

template <int V>
size_t top_p_count_sorted(const float* row, size_t n, double p, float* scratch) {
    const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 v[V];
    for (int b = 0; b < V; ++b) {
        const size_t at = static_cast<size_t>(b) * 8;
        if (at + 8 <= n) {
            v[b] = _mm256_loadu_ps(row + at);
        } else if (at >= n) {
            v[b] = neg_inf;
        } else {
            const __m256i live = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - at)), iota);
            v[b] = _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(row + at, live), _mm256_castsi256_ps(live));
        }
    }
    bitonic_sort_descending(v);
    for (int b = 0; b < V; ++b) _mm256_storeu_ps(scratch + b * 8, v[b]);
    double mass = 0;
    for (size_t k = 0; k < n; ++k) {
        mass += static_cast<double>(scratch[k]);
        if (mass >= p) return k + 1;
    }
    return n;
}

// The float sum of the values >= t over a zero-padded row (padded to 32); four chains hide the adds' latency.
float sum_at_least(const float* v, size_t padded, float t) {
    const __m256 tv = _mm256_set1_ps(t);
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (size_t i = 0; i < padded; i += 32) {
        for (int k = 0; k < 4; ++k) {
            const __m256 a = _mm256_loadu_ps(v + i + 8 * k);
            s[k] = _mm256_add_ps(s[k], _mm256_and_ps(a, _mm256_cmp_ps(a, tv, _CMP_GE_OQ)));
        }
    }
    return hsum256(_mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3])));
}

uint32_t bits_of(float x) {
    uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

float float_of(uint32_t b) {
    float x;
    std::memcpy(&x, &b, sizeof x);
    return x;
}

// Why not the heap for long rows: a 512-token head's rows need ~300 pops each, and the heap was half of the
// explorer's statistics time (~250 of 540 ms for MiniLM at n = 512). The answer is fixed by one value: the
// smallest s with Σ_{v ≥ s} v ≥ p. Non-negative floats order as their bit patterns, so a bisection over the
// patterns with branch-free float sums finds it in 31 passes over the row in registers. The count is then
// settled in double: the values above s, plus as many copies of s as p needs. Any summation order of at most
// 512 values in [0, total] is within 511·2⁻⁵³·total ≈ 5.7e-14·total of the exact sum, so where the sums just
// below and at the answer clear p by a margin of 1e-12·total, the heap's largest-first double total gives
// the same count; where they do not (p met within 1e-12, or the float search off by a near-tie) this
// returns 0 and the caller takes the heap. Rows with a negative, NaN or infinite value go to the heap too.
size_t top_p_count_bisect(const float* row, size_t n, double p, float* scratch) {
    if (n > 4096) return 0;  // the margin below is argued for rows of at most a few thousand values
    const size_t padded = (n + 31) / 32 * 32;
    std::memcpy(scratch, row, n * sizeof(float));
    std::fill(scratch + n, scratch + padded, 0.0f);
    __m256 vmax = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
    const __m256 inf = _mm256_set1_ps(INFINITY), zero = _mm256_setzero_ps();
    for (size_t i = 0; i < padded; i += 8) {
        const __m256 v = _mm256_loadu_ps(scratch + i);
        vmax = _mm256_max_ps(vmax, v);
        bad = _mm256_or_ps(bad, _mm256_or_ps(_mm256_cmp_ps(v, zero, _CMP_NGE_UQ), _mm256_cmp_ps(v, inf, _CMP_EQ_OQ)));
    }
    if (_mm256_movemask_ps(bad) != 0) return 0;
    const float max = hmax256(vmax);
    // Invariant: the float sum of the values >= float_of(lo) reaches p, that of those >= float_of(hi) does not.
    uint32_t lo = 0, hi = bits_of(max) + 1;
    if (static_cast<double>(sum_at_least(scratch, padded, 0.0f)) < p) return 0;
    while (hi - lo > 1) {
        const uint32_t mid = lo + (hi - lo) / 2;
        (static_cast<double>(sum_at_least(scratch, padded, float_of(mid))) >= p ? lo : hi) = mid;
    }
    const float s = float_of(lo);  // a value of the row: the sets at lo and lo + 1 differ, so one equals it
    if (!(s > 0.0f)) return 0;
    // In double, branch-free: the total, and the sum and count of the values above s, and the count equal.
    const __m256 sv = _mm256_set1_ps(s);
    __m256d above_v = _mm256_setzero_pd(), total_v = _mm256_setzero_pd();
    size_t count_above = 0, count_equal = 0;
    for (size_t i = 0; i < padded; i += 8) {
        const __m256 v = _mm256_loadu_ps(scratch + i);
        const __m256 gt = _mm256_cmp_ps(v, sv, _CMP_GT_OQ);
        const __m256 kept = _mm256_and_ps(v, gt);
        count_above += static_cast<size_t>(__builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(gt))));
        count_equal += static_cast<size_t>(
            __builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, sv, _CMP_EQ_OQ)))));
        above_v = _mm256_add_pd(above_v, _mm256_cvtps_pd(_mm256_castps256_ps128(kept)));
        above_v = _mm256_add_pd(above_v, _mm256_cvtps_pd(_mm256_extractf128_ps(kept, 1)));
        total_v = _mm256_add_pd(total_v, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        total_v = _mm256_add_pd(total_v, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, above_v);
    const double above = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    _mm256_store_pd(lanes, total_v);
    const double total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    const double margin = 1e-12 * std::max(1.0, total);
    if (above >= p - margin) return 0;
    const double copies = std::max(1.0, std::ceil((p - above) / static_cast<double>(s)));
    if (copies > static_cast<double>(count_equal)) return 0;
    if (!(above + (copies - 1) * s < p - margin && above + copies * s >= p + margin)) return 0;
    return count_above + static_cast<size_t>(copies);
}

}  // namespace

size_t top_p_count(const float* row, size_t n, double p, float* scratch) {
    if (n == 0) return 0;
    if (n <= 8) return top_p_count_sorted<1>(row, n, p, scratch);
    if (n <= 16) return top_p_count_sorted<2>(row, n, p, scratch);
    if (n <= 32) return top_p_count_sorted<4>(row, n, p, scratch);
    if (n <= kTopPMaxLength) return top_p_count_sorted<8>(row, n, p, scratch);
    return top_p_count_bisect(row, n, p, scratch);
}

}  // namespace attnscope::kernels::avx2
