// C[m][n] = alpha · A[m][k] · B[k][n] for the attention products (Q·K^T on a transposed K, and P·V).
// Register tile: 4 rows of A × 16 columns of B (8 accumulators); B rows are read in place, no packing,
// because these operands are small (one head: n × 64) and already in cache.
#include "kernels/kernels.h"
#include "kernels/vecmath_avx2.h"

namespace attnscope::kernels::avx2 {
namespace {

template <int R>
inline void tile16(size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb, float* c,
                   size_t ldc) {
    __m256 acc0[R], acc1[R];
    for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
    for (size_t p = 0; p < k; ++p) {
        __m256 b0 = _mm256_loadu_ps(b + p * ldb);
        __m256 b1 = _mm256_loadu_ps(b + p * ldb + 8);
        for (int r = 0; r < R; ++r) {
            __m256 av = _mm256_broadcast_ss(a + r * lda + p);
            acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
            acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
        }
    }
    const __m256 al = _mm256_set1_ps(alpha);
    for (int r = 0; r < R; ++r) {
        _mm256_storeu_ps(c + r * ldc, _mm256_mul_ps(acc0[r], al));
        _mm256_storeu_ps(c + r * ldc + 8, _mm256_mul_ps(acc1[r], al));
    }
}

template <int R>
inline void tile8(size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc) {
    __m256 acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (size_t p = 0; p < k; ++p) {
        __m256 b0 = _mm256_loadu_ps(b + p * ldb);
        for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r * lda + p), b0, acc[r]);
    }
    const __m256 al = _mm256_set1_ps(alpha);
    for (int r = 0; r < R; ++r) _mm256_storeu_ps(c + r * ldc, _mm256_mul_ps(acc[r], al));
}

template <int R>
inline void tile_scalar(size_t cols, size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb,
                        float* c, size_t ldc) {
    for (int r = 0; r < R; ++r) {
        for (size_t j = 0; j < cols; ++j) {
            float s = 0.f;
            for (size_t p = 0; p < k; ++p) s += a[r * lda + p] * b[p * ldb + j];
            c[r * ldc + j] = s * alpha;
        }
    }
}

template <int R>
inline void row_block(size_t n, size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb,
                      float* c, size_t ldc) {
    size_t j = 0;
    for (; j + 16 <= n; j += 16) tile16<R>(k, alpha, a, lda, b + j, ldb, c + j, ldc);
    for (; j + 8 <= n; j += 8) tile8<R>(k, alpha, a, lda, b + j, ldb, c + j, ldc);
    if (j < n) tile_scalar<R>(n - j, k, alpha, a, lda, b + j, ldb, c + j, ldc);
}

}  // namespace

void gemm_nn(size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb,
             float* c, size_t ldc) {
    size_t i = 0;
    for (; i + 4 <= m; i += 4) row_block<4>(n, k, alpha, a + i * lda, lda, b, ldb, c + i * ldc, ldc);
    for (; i < m; ++i) row_block<1>(n, k, alpha, a + i * lda, lda, b, ldb, c + i * ldc, ldc);
}

}  // namespace attnscope::kernels::avx2
