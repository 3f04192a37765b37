// The one GEMM of the engine: C = epilogue(A · B) with B packed into 16-column panels.
//
// Linear layers pack their weights once at load time (B = Wᵀ), so every call streams each weight exactly
// once, whatever the number of tokens: one kernel serves n = 1 and n = 512 (BLAS libraries repack the
// weights on every call, which dominates at small n — reference/perf-and-style.md). Attention packs its
// small per-head operands (Kᵀ, V) on the fly. The micro-kernel keeps a 6×16 tile of C in 12 AVX2
// registers (the BLIS Haswell shape); A is read in place, in 256-wide K blocks.
#pragma once

#include <cstddef>
#include <memory>

#include "kernels/kernels.h"

namespace attnscope::kernels {

inline constexpr size_t kPanel = 16;

// A K×N matrix as ceil(N/16) panels; panel p holds columns [16p, 16p+16) k-major: element (k, c) of
// panel p is at data[(p·K + k)·16 + c]. Columns past N are zero.
struct PackedB {
    const float* data = nullptr;
    size_t k = 0, n = 0;
    size_t panels() const { return (n + kPanel - 1) / kPanel; }
    const float* panel(size_t p) const { return data + p * k * kPanel; }
};

inline size_t packed_floats(size_t k, size_t n) { return (n + kPanel - 1) / kPanel * kPanel * k; }

// B = Wᵀ for W [n][k] (row stride ldw): a linear layer's weight, or one head's keys for Q·Kᵀ.
void pack_transposed(const float* w, size_t n, size_t k, size_t ldw, float* out);
// B = Wᵀ where row c of W is rows[c] (k floats each): Q, K and V weights packed as one [3D][D] matrix.
void pack_transposed_rows(const float* const* rows, size_t n, size_t k, float* out);
// B given row-major as [k][n] (row stride ldb): one head's values for P·V.
void pack_rows(const float* b, size_t k, size_t n, size_t ldb, float* out);

// 64-byte-aligned float storage for packed matrices (huge-page advised when large).
class AlignedFloats {
public:
    AlignedFloats() = default;
    explicit AlignedFloats(size_t count);
    float* data() { return data_.get(); }
    const float* data() const { return data_.get(); }
    size_t size() const { return size_; }

private:
    struct Free {
        void operator()(float* p) const;
    };
    std::unique_ptr<float, Free> data_;
    size_t size_ = 0;
};

struct Epilogue {
    float alpha = 1.0f;                // C = alpha · (A·B) ...
    const float* bias = nullptr;       // ... + bias[col]
    const float* residual = nullptr;   // ... + residual[row·ldr + col]
    size_t ldr = 0;
    bool activate = false;             // ... then the activation
    Activation activation = Activation::GeluErf;
};

// C[m][cols of panels p0..p1) = epilogue(A[m][k] · B), single-threaded (callers split the panels).
void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c,
                 size_t ldc, const Epilogue& ep);
// The same, split over the kernel threads by panels.
void gemm_packed_parallel(size_t m, const float* a, size_t lda, const PackedB& b, float* c, size_t ldc,
                          const Epilogue& ep);

namespace avx2 {
void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep);
}
namespace ref {
void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep);
}

}  // namespace attnscope::kernels
