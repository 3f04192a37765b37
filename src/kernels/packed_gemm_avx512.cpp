// AVX-512 register tiles for the blocked path of gemm_packed (fp32 weights), used when the CPU has
// AVX-512F; the AVX2 driver calls them and applies the epilogue itself (packed_gemm_avx2.cpp).
// Why: with 32 vector registers a tile holds 12 rows × 16 columns (one zmm per row), so each 64-byte k
// step of a weight panel, which comes from L2 in the blocked path, feeds twelve rows instead of six.
// bench/register_tile.cpp, the engine's blocked loop nest at 4032 × 768 × 768 on one core of this Zen 4:
// 6×16 AVX2 99–104 GFLOP/s, 12×16 AVX-512 107–109 — although in steady state with everything in L1 both
// run at ~114 (Zen 4 executes a 512-bit FMA as two 256-bit halves).
// Each lane does exactly what the AVX2 tile does for its column (K in 256-long blocks summed from zero,
// block sums added in order), so the results are the same bits (unit-tested).
#include <immintrin.h>

#include <algorithm>

#include "kernels/packed_gemm.h"

namespace attnscope::kernels::avx512 {
namespace {

constexpr size_t kKc = kKBlock;

// C's rows (cols valid columns, the rest zero) as 16-float rows of `total`. Out of line for the same reason
// as the AVX2 version: inline, it changes how GCC allocates the accumulators.
[[gnu::noinline]] void load_rows(const float* c, size_t ldc, size_t cols, int rows, float* total) {
    const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1u);
    for (int r = 0; r < rows; ++r)
        _mm512_store_ps(total + r * 16, _mm512_maskz_loadu_ps(mask, c + static_cast<size_t>(r) * ldc));
}

#define ATTNSCOPE_ACC(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

template <int R>
void sums(size_t kc, const float* ap, size_t lda, const float* bp, const float* c, size_t ldc, size_t cols, bool carry,
          float* out) {
    alignas(64) float total[R * 16];
    if (carry) load_rows(c, ldc, cols, R, total);
        // Named accumulators, not an array (an array of vectors is kept in memory by GCC).
#define DECLARE(i) __m512 c##i = _mm512_setzero_ps();
    ATTNSCOPE_ACC(DECLARE)
#undef DECLARE
    __m512* acc[12] = {&c0, &c1, &c2, &c3, &c4, &c5, &c6, &c7, &c8, &c9, &c10, &c11};
    for (size_t k0 = 0; k0 < kc || k0 == 0; k0 += kKc) {
        const size_t k1 = std::min(kc, k0 + kKc);
#define ZERO(i) c##i = _mm512_setzero_ps();
        ATTNSCOPE_ACC(ZERO)
#undef ZERO
        const float* b = bp + k0 * 16;
        for (size_t p = k0; p < k1; ++p) {
            _mm_prefetch(reinterpret_cast<const char*>(b + 1536), _MM_HINT_T0);  // as the AVX2 tile: 6 KB ahead
            const __m512 bv = _mm512_load_ps(b);
            b += 16;
#define STEP(i) \
    if constexpr (R > i) c##i = _mm512_fmadd_ps(_mm512_set1_ps(ap[i * lda + p]), bv, c##i);
            ATTNSCOPE_ACC(STEP)
#undef STEP
        }
        if (kc <= kKc) break;  // one block: the accumulators are the sum
        for (int i = 0; i < R; ++i) {
            const __m512 t = k0 > 0 || carry ? _mm512_add_ps(_mm512_load_ps(total + i * 16), *acc[i]) : *acc[i];
            _mm512_store_ps(total + i * 16, t);
        }
        if (k1 == kc) {
            for (int i = 0; i < R; ++i) *acc[i] = _mm512_load_ps(total + i * 16);
        }
    }
    for (int i = 0; i < R; ++i) _mm512_store_ps(out + i * 16, *acc[i]);
}
#undef ATTNSCOPE_ACC

using SumsFn = void (*)(size_t, const float*, size_t, const float*, const float*, size_t, size_t, bool, float*);
constexpr SumsFn kSums[kTileRows512 + 1] = {nullptr, sums<1>, sums<2>, sums<3>,  sums<4>,  sums<5>, sums<6>,
                                            sums<7>, sums<8>, sums<9>, sums<10>, sums<11>, sums<12>};

}  // namespace

void tile_sums(int rows, size_t kc, const float* ap, size_t lda, const float* bp, const float* c, size_t ldc,
               size_t cols, bool carry, float* out) {
    kSums[rows](kc, ap, lda, bp, c, ldc, cols, carry, out);
}

}  // namespace attnscope::kernels::avx512
