// Attention's two matmuls for one head's block of query rows, as the forward calls them: the scores
// S = alpha · Q Kᵀ (K = d, B = the head's packed keys) and the context C = P V (K = n, N = d). The same
// numbers as gemm_packed, bit for bit, whichever kernel runs; AVX-512 CPUs get tiles that fit these
// shapes (attention_avx512.cpp), everything else gemm_packed.
#pragma once

#include <cstddef>

#include "kernels/packed_gemm.h"

namespace attnscope::kernels {

void attention_scores(size_t rows, const float* q, size_t ldq, const PackedB& keys, float alpha, float* s, size_t lds);
void attention_context(size_t rows, const float* p, size_t ldp, const PackedB& values, float* c, size_t ldc);

namespace avx512 {
bool attention_shapes_fit(size_t head_dim);  // d ≤ 64 (and within one K block)
void attention_scores(size_t rows, const float* q, size_t ldq, const PackedB& keys, float alpha, float* s, size_t lds);
void attention_context(size_t rows, const float* p, size_t ldp, const PackedB& values, float* c, size_t ldc);
}  // namespace avx512

}  // namespace attnscope::kernels
