// AVX-512 tiles for attention's two matmuls (kernels/attention_ops.h), where the generic GEMM's shapes
// fit badly: Q·Kᵀ has K = d (32 for MiniLM, 64 for bert-base), so a 6×16 tile spends as long on its set-up
// and epilogue as on its 32–64 FMA steps, and P·V has only d / 16 = 2–4 panels of output.
// Here a tile spans several panels at once — up to 4 × 16 columns of scores, or all of a head's d columns
// of context — so every broadcast of A feeds up to four FMAs and each call covers a whole row block.
// Every output element is the same FMA chain as in gemm_packed's tiles (K in 256-long blocks from zero,
// block sums added in order, alpha applied to the finished sum), so the bits are the same (unit test).
#include <immintrin.h>

#include <algorithm>

#include "kernels/attention_ops.h"

namespace attnscope::kernels::avx512 {
namespace {

inline __mmask16 column_mask(size_t cols) {
    return cols >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << cols) - 1u);
}

// acc[i][j] += A[i][k] · B_j[k] for k in [k0, k1), in k order: the FMA chain both tiles are made of.
template <int R, int P>
[[gnu::always_inline]] inline void multiply_add(__m512 (&acc)[R][P], const float* a, size_t lda, const float* b,
                                                size_t panel_floats, size_t k0, size_t k1) {
    for (size_t kk = k0; kk < k1; ++kk) {
        __m512 bv[P];
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) bv[j] = _mm512_load_ps(b + j * panel_floats + kk * 16);
#pragma GCC unroll 8
        for (int i = 0; i < R; ++i) {
            const __m512 av = _mm512_set1_ps(a[static_cast<size_t>(i) * lda + kk]);
#pragma GCC unroll 4
            for (int j = 0; j < P; ++j) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
}

template <int R, int P>
[[gnu::always_inline]] inline void zero(__m512 (&acc)[R][P]) {
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) acc[i][j] = _mm512_setzero_ps();
}

// R rows × P panels of scores, over all of K (≤ kKBlock: one block, so no running total).
template <int R, int P>
void score_tile(size_t k, const float* q, size_t ldq, const float* b, size_t panel_floats, float alpha, float* s,
                size_t lds, size_t cols) {
    __m512 acc[R][P];
    zero(acc);
    multiply_add(acc, q, ldq, b, panel_floats, 0, k);
    const __m512 al = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) {
            const size_t c0 = static_cast<size_t>(j) * 16;
            if (c0 >= cols) break;
            float* out = s + static_cast<size_t>(i) * lds + c0;
            const __m512 v = alpha != 1.0f ? _mm512_mul_ps(acc[i][j], al) : acc[i][j];
            _mm512_mask_storeu_ps(out, column_mask(cols - c0), v);
        }
}

constexpr int kScoreRows = 6;    // 6 rows × 4 panels = 24 accumulators, 4 B vectors, 1 broadcast
constexpr int kScorePanels = 4;  // 64 columns per tile

template <int R>
void score_rows(size_t k, const float* q, size_t ldq, const PackedB& keys, float alpha, float* s, size_t lds) {
    const size_t panels = keys.panels();
    const size_t panel_floats = keys.k * kPanel;
    const float* data = static_cast<const float*>(keys.data);
    size_t p = 0;
    for (; p + kScorePanels <= panels; p += kScorePanels) {
        score_tile<R, kScorePanels>(k, q, ldq, data + p * panel_floats, panel_floats, alpha, s + p * kPanel, lds,
                                    std::min(kScorePanels * kPanel, keys.n - p * kPanel));
    }
    const float* rest = data + p * panel_floats;
    float* out = s + p * kPanel;
    const size_t cols = keys.n - std::min(keys.n, p * kPanel);
    switch (panels - p) {
        case 3:
            return score_tile<R, 3>(k, q, ldq, rest, panel_floats, alpha, out, lds, cols);
        case 2:
            return score_tile<R, 2>(k, q, ldq, rest, panel_floats, alpha, out, lds, cols);
        case 1:
            return score_tile<R, 1>(k, q, ldq, rest, panel_floats, alpha, out, lds, cols);
        default:
            return;
    }
}

using ScoreRowsFn = void (*)(size_t, const float*, size_t, const PackedB&, float, float*, size_t);
constexpr ScoreRowsFn kScoreRowsFns[kScoreRows + 1] = {nullptr,       score_rows<1>, score_rows<2>, score_rows<3>,
                                                       score_rows<4>, score_rows<5>, score_rows<6>};

// R rows × P panels (all of the head's d = 16P columns) of context, over K = n in 256-long blocks: each block
// summed from zero, the block sums added in order — gemm_packed's order.
// GCC cannot see that `total` is written whenever it is read (k > kKBlock takes one more turn of the loop).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <int R, int P>
void context_tile(size_t k, const float* a, size_t lda, const float* b, size_t panel_floats, float* c, size_t ldc,
                  size_t cols) {
    alignas(64) float total[R * P * 16];  // the finished blocks' sum: touched once per 256 k steps
    __m512 acc[R][P];
    zero(acc);
    for (size_t k0 = 0;; k0 += kKBlock) {
        const size_t k1 = std::min(k, k0 + kKBlock);
        multiply_add(acc, a, lda, b, panel_floats, k0, k1);
        if (k1 >= k) break;  // the last block stays in acc
#pragma GCC unroll 8
        for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
            for (int j = 0; j < P; ++j) {
                float* t = total + (i * P + j) * 16;
                _mm512_store_ps(t, k0 == 0 ? acc[i][j] : _mm512_add_ps(_mm512_load_ps(t), acc[i][j]));
                acc[i][j] = _mm512_setzero_ps();
            }
    }
    const bool blocks = k > kKBlock;
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) {
            const size_t c0 = static_cast<size_t>(j) * 16;
            if (c0 >= cols) break;
            const __m512 v = blocks ? _mm512_add_ps(_mm512_load_ps(total + (i * P + j) * 16), acc[i][j]) : acc[i][j];
            _mm512_mask_storeu_ps(c + static_cast<size_t>(i) * ldc + c0, column_mask(cols - c0), v);
        }
}

#pragma GCC diagnostic pop

template <int P>
void context_rows(size_t rows, const float* p, size_t ldp, const PackedB& values, float* c, size_t ldc) {
    // Rows per tile: R·P accumulators (≤ 24) beside the P B vectors and the broadcast, in 32 registers.
    constexpr int R = P == 1 ? 24 : P == 2 ? 12 : P == 3 ? 8 : 6;
    const size_t panel_floats = values.k * kPanel;
    const float* b = static_cast<const float*>(values.data);
    size_t i = 0;
    for (; i + R <= rows; i += R)
        context_tile<R, P>(values.k, p + i * ldp, ldp, b, panel_floats, c + i * ldc, ldc, values.n);
    for (; i < rows; ++i) context_tile<1, P>(values.k, p + i * ldp, ldp, b, panel_floats, c + i * ldc, ldc, values.n);
}

}  // namespace

bool attention_shapes_fit(size_t d) {
    return d > 0 && d <= kKBlock && d <= 4 * kPanel;
}

void attention_scores(size_t rows, const float* q, size_t ldq, const PackedB& keys, float alpha, float* s, size_t lds) {
    size_t i = 0;
    for (; i + kScoreRows <= rows; i += kScoreRows)
        kScoreRowsFns[kScoreRows](keys.k, q + i * ldq, ldq, keys, alpha, s + i * lds, lds);
    if (i < rows) kScoreRowsFns[rows - i](keys.k, q + i * ldq, ldq, keys, alpha, s + i * lds, lds);
}

void attention_context(size_t rows, const float* p, size_t ldp, const PackedB& values, float* c, size_t ldc) {
    switch (values.panels()) {
        case 1:
            return context_rows<1>(rows, p, ldp, values, c, ldc);
        case 2:
            return context_rows<2>(rows, p, ldp, values, c, ldc);
        case 3:
            return context_rows<3>(rows, p, ldp, values, c, ldc);
        default:
            return context_rows<4>(rows, p, ldp, values, c, ldc);
    }
}

}  // namespace attnscope::kernels::avx512
