// The AVX2/FMA/F16C kernels' entry points, defined in the *_avx2.cpp files (compiled with -mavx2 -mfma
// -mf16c). Call them only where isa.h says the CPU runs them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "attnscope/types.h"

namespace attnscope::kernels::avx2 {

void softmax_row(float* x, size_t cols);
void add_layer_norm_row(float* x, const float* residual, size_t dim, const float* gamma, const float* beta, float eps);
void activation(float* x, size_t count, Activation act);
void exp_inplace(float* x, size_t count);
void erf_inplace(float* x, size_t count);
// Output columns [o_begin, o_end) of Y[n][out] = X · Wᵀ + b (W [out][in] read in place).
void linear_rows(const float* x, size_t n, size_t in, size_t ldx, const float* w, const float* b, float* y, size_t ldy,
                 size_t o_begin, size_t o_end);
void f16_to_f32(const uint16_t* in, float* out, size_t count);
void f32_to_f16(const float* in, uint16_t* out, size_t count);
float f32_to_f16_error(const float* in, uint16_t* out, size_t count);
void max_into(float* acc, const float* in, size_t count);

double sum_xlogx(const float* p, const float* q, size_t n);
double sum_xlogx_affine(const float* p, size_t n, float alpha, float beta);
void log_inplace(float* x, size_t count);
double sum_double(const float* x, size_t count);
void row_summary(const float* row, size_t n, size_t i, double* colsum, float* max, double* distance);
constexpr size_t kTopPMaxLength = 64;  // rows up to this length stay in registers
// The top-p span of a row (reductions.h); scratch holds n rounded up to 32 floats. For rows longer than
// kTopPMaxLength, 0 means undecided: the caller uses the heap.
size_t top_p_count(const float* row, size_t n, double p, float* scratch);

// The machine probe (machine_probe.h).
double measure_peak_gflops(int threads);
double measure_read_bandwidth(int threads, size_t bytes);

}  // namespace attnscope::kernels::avx2
