// Dispatch of the analyses' reductions: the AVX2 kernels where isa() allows, the reference otherwise.
#include "kernels/reductions.h"

#include <algorithm>
#include <cmath>

#include "kernels/avx2.h"
#include "kernels/isa.h"

namespace attnscope::kernels {

double sum_xlogx(const float* p, const float* q, size_t n) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::sum_xlogx(p, q, n);
#endif
    return ref::sum_xlogx(p, q, n);
}

double sum_xlogx_affine(const float* p, size_t n, float alpha, float beta) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::sum_xlogx_affine(p, n, alpha, beta);
#endif
    return ref::sum_xlogx_affine(p, n, alpha, beta);
}

void row_summary(const float* row, size_t n, size_t i, double* colsum, float* max, double* distance) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::row_summary(row, n, i, colsum, max, distance);
#endif
    ref::row_summary(row, n, i, colsum, max, distance);
}

size_t top_p_count_heap(float* v, size_t count, double p) {
    std::make_heap(v, v + count);
    double mass = 0;
    for (size_t k = 0; k < count; ++k) {
        mass += v[0];
        if (mass >= p) return k + 1;
        std::pop_heap(v, v + (count - k));
    }
    return count;
}

size_t top_p_count(const float* row, size_t n, double p, std::vector<float>& scratch) {
    constexpr size_t kRegisterRows = 64;  // avx2::kTopPMaxLength, kept here for builds without the x86 kernels
    const size_t need = std::max((n + 31) / 32 * 32, kRegisterRows);
    if (scratch.size() < need) scratch.resize(need);
#if ATTNSCOPE_X86_KERNELS
    static_assert(kRegisterRows == avx2::kTopPMaxLength);
    if (use_avx2()) {
        const size_t count = avx2::top_p_count(row, n, p, scratch.data());
        if (count > 0 || n <= avx2::kTopPMaxLength) return count;
    }
#endif
    std::copy(row, row + n, scratch.begin());
    return top_p_count_heap(scratch.data(), n, p);
}

void log_inplace(float* x, size_t count) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::log_inplace(x, count);
#endif
    ref::log_inplace(x, count);
}

double sum_double(const float* x, size_t count) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::sum_double(x, count);
#endif
    return ref::sum_double(x, count);
}

namespace ref {

double sum_double(const float* x, size_t count) {
    double s = 0;
    for (size_t i = 0; i < count; ++i) s += x[i];
    return s;
}

double sum_xlogx(const float* p, const float* q, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) {
        const double x = q ? 0.5 * (static_cast<double>(p[i]) + q[i]) : p[i];
        s += x * std::log(x);
    }
    return s;
}

double sum_xlogx_affine(const float* p, size_t n, float alpha, float beta) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) {
        const double x = static_cast<double>(alpha) * p[i] + beta;
        if (x > 0) s += x * std::log(x);
    }
    return s;
}

void row_summary(const float* row, size_t n, size_t i, double* colsum, float* max, double* distance) {
    float m = 0;
    double d = 0;
    for (size_t j = 0; j < n; ++j) {
        m = std::max(m, row[j]);
        d += static_cast<double>(row[j]) * static_cast<double>(i > j ? i - j : j - i);
        colsum[j] += row[j];
    }
    *max = m;
    *distance = d;
}

void log_inplace(float* x, size_t count) {
    for (size_t i = 0; i < count; ++i) x[i] = std::log(x[i]);
}

}  // namespace ref
}  // namespace attnscope::kernels
