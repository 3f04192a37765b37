// The element-wise and row-wise primitives of the forward pass (the GEMM is in packed_gemm.h). Each has a
// plain reference twin (namespace ref) that tests/unit/test_ops.cpp compares it against on odd shapes at
// every ISA level the CPU has. Shapes are [rows][cols]; ld* are row strides in floats.
#pragma once

#include <cstddef>
#include <cstdint>

#include "attnscope/types.h"

namespace attnscope::kernels {

// Row-wise softmax in place: max-subtract, exp, multiply by the reciprocal of the sum (as torch does).
void softmax_rows(float* x, size_t rows, size_t cols, size_t ld);

// x[r] = LayerNorm(x[r] + residual[r]) with biased variance and eps inside the sqrt (torch semantics).
// residual may be null. Rows of x and residual are ld floats apart (0: dim); the padding is not touched.
// Rows are split over `threads` (a resolved count) when the matrix is large enough to pay for it.
void add_layer_norm(float* x, const float* residual, size_t rows, size_t dim, const float* gamma, const float* beta,
                    float eps, size_t ld, int threads);

void activation(float* x, size_t count, Activation act, int threads);

// y = exp(x), y = erf(x): the vector math under softmax and GELU, exposed for the op table.
void exp_inplace(float* x, size_t count);
void erf_inplace(float* x, size_t count);

// Y[n][out] = X[n][in] · W[out][in]ᵀ + b[out] with W as PyTorch stores it, read in place: the masked-LM
// head, which runs for a few [MASK] rows against a 30k-row decoder that is not worth packing.
void linear_rows(const float* x, size_t n, size_t in, size_t ldx, const float* w, const float* b, size_t out, float* y,
                 size_t ldy, int threads);

// Weight storage conversions (F16C when available).
void f16_to_f32(const uint16_t* in, float* out, size_t count);
void bf16_to_f32(const uint16_t* in, float* out, size_t count);
void f32_to_f16(const float* in, uint16_t* out, size_t count);  // round to nearest even

// The explorer's display data: f32_to_f16 that also returns the largest |half − float| it made (measured by
// widening back), and acc[j] = max(acc[j], in[j]) for the model view's max-pooling.
float f32_to_f16_error(const float* in, uint16_t* out, size_t count);
void max_into(float* acc, const float* in, size_t count);

namespace ref {
void softmax_rows(float* x, size_t rows, size_t cols, size_t ld);
void add_layer_norm(float* x, const float* residual, size_t rows, size_t dim, const float* gamma, const float* beta,
                    float eps, size_t ld = 0);
void activation(float* x, size_t count, Activation act);
void linear_rows(const float* x, size_t n, size_t in, size_t ldx, const float* w, const float* b, size_t out, float* y,
                 size_t ldy);
void f16_to_f32(const uint16_t* in, float* out, size_t count);
void f32_to_f16(const float* in, uint16_t* out, size_t count);
float f32_to_f16_error(const float* in, uint16_t* out, size_t count);
void max_into(float* acc, const float* in, size_t count);
}  // namespace ref

}  // namespace attnscope::kernels
