// Packing, storage and dispatch for gemm_packed; the reference version the AVX2 one is tested against.
#include "kernels/packed_gemm.h"

#include "kernels/forward_ops.h"
#include "kernels/isa.h"

#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

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

void pack_transposed_rows(const float* const* rows, size_t n, size_t k, float* out, int threads) {
    const long panels = static_cast<long>((n + kPanel - 1) / kPanel);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && n * k > 65536)
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

AlignedBuffer::AlignedBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes == 0) return;
    const size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    if (!p) throw std::bad_alloc();
    // Large packed weights are read in long streams: huge pages cut TLB misses and page faults.
    if (rounded >= (size_t(2) << 20)) ::madvise(p, rounded, MADV_HUGEPAGE);
    data_.reset(p);
}

void AlignedBuffer::Free::operator()(void* p) const {
    std::free(p);
}

size_t storage_bytes(WeightStorage s) {
    switch (s) {
        case WeightStorage::F32:
            return 4;
        case WeightStorage::F16:
        case WeightStorage::BF16:
            return 2;
        case WeightStorage::I8:
            return 1;
    }
    return 4;
}

namespace {

uint16_t float_to_bf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7F800000u) == 0x7F800000u) return static_cast<uint16_t>(x >> 16);  // inf / nan
    return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);         // round to nearest even
}

}  // namespace

PackedWeights pack_weights(const float* const* rows, size_t n, size_t k, WeightStorage storage, int threads) {
    PackedWeights out;
    const size_t count = packed_floats(k, n);
    if (storage == WeightStorage::F32) {
        out.storage = AlignedBuffer(count * sizeof(float));
        pack_transposed_rows(rows, n, k, static_cast<float*>(out.storage.data()), threads);
        out.b = {out.storage.data(), k, n, storage, nullptr};
        return out;
    }
    AlignedFloats f32(count);
    pack_transposed_rows(rows, n, k, f32.data(), threads);
    out.storage = AlignedBuffer(count * storage_bytes(storage));
    const float* src = f32.data();
    if (storage == WeightStorage::F16) {
        f32_to_f16(src, static_cast<uint16_t*>(out.storage.data()), count);
    } else if (storage == WeightStorage::BF16) {
        auto* dst = static_cast<uint16_t*>(out.storage.data());
        for (size_t i = 0; i < count; ++i) dst[i] = float_to_bf16(src[i]);
    } else {
        // Symmetric per-output-feature scale: each column of B (a row of W) maps its max |w| to 127.
        const size_t panels = (n + kPanel - 1) / kPanel;
        // The padding columns past n get scale 1 (their B values are 0): a scale of 0 made 0/0 = NaN, and
        // converting NaN to int8 is undefined (UBSan, in the sanitizer lane).
        out.column_scale.assign(panels * kPanel, 1.0f);
        for (size_t c = 0; c < n; ++c) {
            float m = 0;
            for (size_t i = 0; i < k; ++i) m = std::max(m, std::fabs(rows[c][i]));
            out.column_scale[c] = m > 0 ? m / 127.0f : 1.0f;
        }
        auto* dst = static_cast<int8_t*>(out.storage.data());
        for (size_t p = 0; p < panels; ++p)
            for (size_t i = 0; i < k; ++i)
                for (size_t cc = 0; cc < kPanel; ++cc) {
                    const size_t e = (p * k + i) * kPanel + cc;
                    const float q = std::nearbyint(src[e] / out.column_scale[p * kPanel + cc]);
                    // A NaN weight (which max |w| above skips) quantizes to 0 rather than to undefined behaviour.
                    dst[e] = static_cast<int8_t>(std::isnan(q) ? 0.0f : std::clamp(q, -127.0f, 127.0f));
                }
    }
    out.b = {out.storage.data(), k, n, storage, out.column_scale.empty() ? nullptr : out.column_scale.data()};
    return out;
}

namespace ref {

float element(const PackedB& b, size_t p, size_t kk, size_t cc) {
    const size_t e = (p * b.k + kk) * kPanel + cc;
    switch (b.type) {
        case WeightStorage::F32:
            return static_cast<const float*>(b.data)[e];
        case WeightStorage::F16: {
            float f;
            f16_to_f32(static_cast<const uint16_t*>(b.data) + e, &f, 1);
            return f;
        }
        case WeightStorage::BF16: {
            float f;
            bf16_to_f32(static_cast<const uint16_t*>(b.data) + e, &f, 1);
            return f;
        }
        case WeightStorage::I8:
            return static_cast<float>(static_cast<const int8_t*>(b.data)[e]);
    }
    return 0;
}

}  // namespace ref

float packed_element(const PackedB& b, size_t k, size_t c) {
    const float v = ref::element(b, c / kPanel, k, c % kPanel);
    return b.column_scale ? v * b.column_scale[c] : v;
}

namespace ref {

void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep) {
    for (size_t p = p0; p < p1; ++p) {
        const size_t cols = std::min(kPanel, b.n - p * kPanel);
        for (size_t i = 0; i < m; ++i) {
            for (size_t cc = 0; cc < cols; ++cc) {
                double s = 0;
                for (size_t kk = 0; kk < b.k; ++kk) s += static_cast<double>(a[i * lda + kk]) * element(b, p, kk, cc);
                const size_t col = p * kPanel + cc;
                if (b.column_scale) s *= b.column_scale[col];
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
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::gemm_packed(m, a, lda, b, p0, p1, c, ldc, ep);
#endif
    ref::gemm_packed(m, a, lda, b, p0, p1, c, ldc, ep);
}

void gemm_packed_parallel(size_t m, const float* a, size_t lda, const PackedB& b, float* c, size_t ldc,
                          const Epilogue& ep, int threads) {
    const size_t panels = b.panels();
    const int nt = static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), panels));
    if (nt <= 1) return gemm_packed(m, a, lda, b, 0, panels, c, ldc, ep);
#pragma omp parallel num_threads(nt)
    gemm_packed_team(m, a, lda, b, c, ldc, ep);
}

void gemm_packed_team(size_t m, const float* a, size_t lda, const PackedB& b, float* c, size_t ldc,
                      const Epilogue& ep) {
    const size_t panels = b.panels();
    const size_t t = static_cast<size_t>(omp_get_thread_num()), T = static_cast<size_t>(omp_get_num_threads());
    gemm_packed(m, a, lda, b, panels * t / T, panels * (t + 1) / T, c, ldc, ep);
#pragma omp barrier
}

}  // namespace attnscope::kernels
