// The one GEMM of the engine: C = epilogue(A · B) with B packed into 16-column panels.
//
// Linear layers pack their weights once at load time (B = Wᵀ), so every call streams each weight exactly
// once, whatever the number of tokens: one kernel serves n = 1 and n = 512 (BLAS libraries repack the
// weights on every call, which dominates at small n: 2.3x at n = 8, `attnscope bench --gemm`). Attention packs its
// small per-head operands (Kᵀ, V) on the fly. The micro-kernel keeps a 6×16 tile of C in 12 AVX2
// registers (the BLIS Haswell shape); A is read in place, in 256-wide K blocks.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "attnscope/types.h"

namespace attnscope::kernels {

inline constexpr size_t kPanel = 16;
// K block that every register tile (AVX2 and AVX-512) sums from zero before adding it to the running
// total: the summation order, hence the bits, depend on it (accuracy and batch invariance).
inline constexpr size_t kKBlock = 256;

// The row stride (floats) for an activation matrix whose rows are `floats` long and that the GEMM reads
// as A. The L1 is 8-way with 4 KB per way, so rows whose length is a multiple of 4 KB all start in one
// set, and the up-to-twelve rows a register tile reads at once then evict each other: 64 bytes of
// padding staggers them. Measured (`attnscope bench --gemm`, both strides alternating in one process;
// docs/performance.md): K = 1024, 2048, 3072, 4096 ran 1.09-1.53x faster padded; K = 384, 512, 768, 1536
// (not multiples of 4 KB) ran the same either way, so they stay unpadded.
inline constexpr size_t activation_stride(size_t floats) {
    return floats % 1024 == 0 ? floats + 16 : floats;
}

// Packed weights are stored as attnscope::WeightStorage says: the fast modes are converted to fp32 in
// registers (F16C for F16, a shift for BF16, and a per-output scale for I8).
size_t storage_bytes(WeightStorage s);

// A K×N matrix as ceil(N/16) panels; panel p holds columns [16p, 16p+16) k-major: element (k, c) of
// panel p is at element (p·K + k)·16 + c. Columns past N are zero.
struct PackedB {
    const void* data = nullptr;
    size_t k = 0, n = 0;
    WeightStorage type = WeightStorage::F32;
    const float* column_scale = nullptr;  // I8: one scale per column, padded to whole panels
    size_t panels() const { return (n + kPanel - 1) / kPanel; }
    const float* panel(size_t p) const { return static_cast<const float*>(data) + p * k * kPanel; }  // F32 only
    const uint8_t* panel_bytes(size_t p) const {
        return static_cast<const uint8_t*>(data) + p * k * kPanel * storage_bytes(type);
    }
};

inline size_t packed_floats(size_t k, size_t n) {
    return (n + kPanel - 1) / kPanel * kPanel * k;
}

// B = Wᵀ for W [n][k] (row stride ldw): a linear layer's weight, or one head's keys for Q·Kᵀ.
void pack_transposed(const float* w, size_t n, size_t k, size_t ldw, float* out);
// B = Wᵀ where row c of W is rows[c] (k floats each): Q, K and V weights packed as one [3D][D] matrix.
void pack_transposed_rows(const float* const* rows, size_t n, size_t k, float* out, int threads = 1);
// B given row-major as [k][n] (row stride ldb): one head's values for P·V.
void pack_rows(const float* b, size_t k, size_t n, size_t ldb, float* out);

// 64-byte-aligned storage for packed matrices (huge-page advised when large).
class AlignedBuffer {
  public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t bytes);
    void* data() { return data_.get(); }
    const void* data() const { return data_.get(); }
    size_t bytes() const { return bytes_; }

  private:
    struct Free {
        void operator()(void* p) const;
    };
    std::unique_ptr<void, Free> data_;
    size_t bytes_ = 0;
};

class AlignedFloats {
  public:
    AlignedFloats() = default;
    explicit AlignedFloats(size_t count) : buffer_(count * sizeof(float)), size_(count) {}
    float* data() { return static_cast<float*>(buffer_.data()); }
    const float* data() const { return static_cast<const float*>(buffer_.data()); }
    size_t size() const { return size_; }

  private:
    AlignedBuffer buffer_;
    size_t size_ = 0;
};

// A linear layer's weight packed in the chosen storage (rows[c] = output feature c, k inputs each).
struct PackedWeights {
    AlignedBuffer storage;
    std::vector<float> column_scale;  // I8 only
    PackedB b;
};
PackedWeights pack_weights(const float* const* rows, size_t n, size_t k, WeightStorage storage, int threads = 1);

// Element (k, c) of a packed matrix as fp32 (dequantised for I8).
float packed_element(const PackedB& b, size_t k, size_t c);

struct Epilogue {
    float alpha = 1.0f;               // C = alpha · (A·B) ...
    const float* bias = nullptr;      // ... + bias[col]
    const float* residual = nullptr;  // ... + residual[row·ldr + col]
    size_t ldr = 0;
    bool activate = false;  // ... then the activation
    Activation activation = Activation::GeluErf;
};

// C[m][cols of panels p0..p1) = epilogue(A[m][k] · B), single-threaded (callers split the panels).
void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep);
// The same, split by panels over `threads` (a resolved count, threads.h).
void gemm_packed_parallel(size_t m, const float* a, size_t lda, const PackedB& b, float* c, size_t ldc,
                          const Epilogue& ep, int threads);
// The same, split by panels over the threads of the enclosing OpenMP parallel region: every thread of the
// team calls it with the same arguments, does its share and waits at a barrier for the others'.
void gemm_packed_team(size_t m, const float* a, size_t lda, const PackedB& b, float* c, size_t ldc, const Epilogue& ep);

namespace avx2 {
void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep);
}
namespace avx512 {
constexpr int kTileRows512 = 12;
// The blocked path's R×16 tile (R ≤ 12, fp32 weights) up to its epilogue: out[R][16] gets what the AVX2
// tile hands its epilogue — the sum over this kc (plus C's rows when carry: a later K pass). Call only
// where use_avx512() (isa.h).
void tile_sums(int rows, size_t kc, const float* ap, size_t lda, const float* bp, const float* c, size_t ldc,
               size_t cols, bool carry, float* out);
}  // namespace avx512

namespace ref {
float element(const PackedB& b, size_t panel, size_t k, size_t column_in_panel);  // raw stored value as fp32
void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep);
}  // namespace ref

}  // namespace attnscope::kernels
