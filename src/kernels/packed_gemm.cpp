// Packing, storage and dispatch for gemm_packed; the reference version the AVX2 one is tested against.
#include "kernels/packed_gemm.h"

#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

namespace attnscope::kernels {

void pack_transposed(const float* w, size_t n, size_t k, size_t ldw, float* out) {
    const size_t panels = (n + kPanel - 1) / kPanel;
    for (size_t p = 0; p < panels; ++p) {
        float* dst = out + p * k * kPanel;
        const size_t cols = std::min(kPanel, n - p * kPanel);
        if (cols < kPanel) std::memset(dst, 0, k * kPanel * sizeof(float));
        for (size_t c = 0; c < cols; ++c) {
            const float* src = w + (p * kPanel + c) * ldw;
            for (size_t i = 0; i < k; ++i) dst[i * kPanel + c] = src[i];
        }
    }
}

void pack_transposed_rows(const float* const* rows, size_t n, size_t k, float* out) {
    const long panels = static_cast<long>((n + kPanel - 1) / kPanel);
#pragma omp parallel for num_threads(num_threads()) schedule(static) if (n * k > 65536)
    for (long pl = 0; pl < panels; ++pl) {
        const size_t p = static_cast<size_t>(pl);
        float* dst = out + p * k * kPanel;
        const size_t cols = std::min(kPanel, n - p * kPanel);
        if (cols < kPanel) std::memset(dst, 0, k * kPanel * sizeof(float));
        for (size_t c = 0; c < cols; ++c) {
            const float* src = rows[p * kPanel + c];
            for (size_t i = 0; i < k; ++i) dst[i * kPanel + c] = src[i];
        }
    }
}

void pack_rows(const float* b, size_t k, size_t n, size_t ldb, float* out) {
    const size_t panels = (n + kPanel - 1) / kPanel;
    for (size_t p = 0; p < panels; ++p) {
        float* dst = out + p * k * kPanel;
        const size_t cols = std::min(kPanel, n - p * kPanel);
        for (size_t i = 0; i < k; ++i) {
            const float* src = b + i * ldb + p * kPanel;
            std::memcpy(dst + i * kPanel, src, cols * sizeof(float));
            if (cols < kPanel) std::memset(dst + i * kPanel + cols, 0, (kPanel - cols) * sizeof(float));
        }
    }
}

AlignedFloats::AlignedFloats(size_t count) : size_(count) {
    if (count == 0) return;
    const size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    // Large packed weights are read in long streams: huge pages cut TLB misses and page faults.
    if (bytes >= (size_t(2) << 20)) ::madvise(p, bytes, MADV_HUGEPAGE);
    data_.reset(static_cast<float*>(p));
}

void AlignedFloats::Free::operator()(float* p) const { std::free(p); }

namespace ref {

void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep) {
    for (size_t p = p0; p < p1; ++p) {
        const size_t cols = std::min(kPanel, b.n - p * kPanel);
        const float* bp = b.panel(p);
        for (size_t i = 0; i < m; ++i) {
            for (size_t cc = 0; cc < cols; ++cc) {
                double s = 0;
                for (size_t kk = 0; kk < b.k; ++kk) s += static_cast<double>(a[i * lda + kk]) * bp[kk * kPanel + cc];
                const size_t col = p * kPanel + cc;
                float v = static_cast<float>(s * ep.alpha);
                if (ep.bias) v += ep.bias[col];
                if (ep.residual) v += ep.residual[i * ep.ldr + col];
                if (ep.activate) ref::activation(&v, 1, ep.activation);
                c[i * ldc + col] = v;
            }
        }
    }
}

}  // namespace ref

void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep) {
    if (cpu_has_avx2()) return avx2::gemm_packed(m, a, lda, b, p0, p1, c, ldc, ep);
    ref::gemm_packed(m, a, lda, b, p0, p1, c, ldc, ep);
}

void gemm_packed_parallel(size_t m, const float* a, size_t lda, const PackedB& b, float* c, size_t ldc,
                          const Epilogue& ep) {
    const size_t panels = b.panels();
    const int nt = static_cast<int>(std::min<size_t>(static_cast<size_t>(num_threads()), panels));
    if (nt <= 1) return gemm_packed(m, a, lda, b, 0, panels, c, ldc, ep);
#pragma omp parallel num_threads(nt)
    {
        const size_t t = static_cast<size_t>(omp_get_thread_num()), T = static_cast<size_t>(omp_get_num_threads());
        gemm_packed(m, a, lda, b, panels * t / T, panels * (t + 1) / T, c, ldc, ep);
    }
}

}  // namespace attnscope::kernels
