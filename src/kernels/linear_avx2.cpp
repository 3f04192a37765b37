// The few-rows linear kernel: Y[n][out] = X[n][in] · W[out][in]^T + b, reading every weight row once per
// call straight from the checkpoint's layout. The masked-LM decoder (30k × 768) runs for the few [MASK]
// rows of an input, where packing the weights first would cost more than the product.
// Register tile: 3 rows of X × 4 rows of W = 12 accumulators, dot products along `in`.
#include "kernels/avx2.h"
#include "kernels/vecmath_avx2.h"

namespace attnscope::kernels::avx2 {
namespace {

template <int R, int O>
inline void tile(const float* x, size_t ldx, size_t in, const float* w, size_t ldw, float* y, size_t ldy,
                 const float* bias) {
    __m256 acc[R][O];
    for (int r = 0; r < R; ++r)
        for (int o = 0; o < O; ++o) acc[r][o] = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 8 <= in; k += 8) {
        __m256 xv[R];
        for (int r = 0; r < R; ++r) xv[r] = _mm256_loadu_ps(x + r * ldx + k);
        for (int o = 0; o < O; ++o) {
            __m256 wv = _mm256_loadu_ps(w + o * ldw + k);
            for (int r = 0; r < R; ++r) acc[r][o] = _mm256_fmadd_ps(xv[r], wv, acc[r][o]);
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int o = 0; o < O; ++o) {
            float s = hsum256(acc[r][o]);
            for (size_t kk = k; kk < in; ++kk) s += x[r * ldx + kk] * w[o * ldw + kk];
            y[r * ldy + o] = bias ? s + bias[o] : s;
        }
    }
}

template <int O>
inline void rows_for_block(const float* x, size_t n, size_t in, size_t ldx, const float* w, float* y, size_t ldy,
                           const float* bias) {
    size_t r = 0;
    for (; r + 3 <= n; r += 3) tile<3, O>(x + r * ldx, ldx, in, w, in, y + r * ldy, ldy, bias);
    if (n - r == 2) tile<2, O>(x + r * ldx, ldx, in, w, in, y + r * ldy, ldy, bias);
    if (n - r == 1) tile<1, O>(x + r * ldx, ldx, in, w, in, y + r * ldy, ldy, bias);
}

}  // namespace

void linear_rows(const float* x, size_t n, size_t in, size_t ldx, const float* w, const float* b, float* y, size_t ldy,
                 size_t o_begin, size_t o_end) {
    size_t o = o_begin;
    for (; o + 4 <= o_end; o += 4) rows_for_block<4>(x, n, in, ldx, w + o * in, y + o, ldy, b ? b + o : nullptr);
    for (; o < o_end; ++o) rows_for_block<1>(x, n, in, ldx, w + o * in, y + o, ldy, b ? b + o : nullptr);
}

}  // namespace attnscope::kernels::avx2
