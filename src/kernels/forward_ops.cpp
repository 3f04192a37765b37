// Dispatch of the forward pass's primitives: the AVX2 kernels where isa() allows, the reference otherwise.
#include "kernels/forward_ops.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/avx2.h"
#include "kernels/isa.h"

namespace attnscope::kernels {
namespace {

// Output columns per task of the streaming linear kernel: a multiple of its 4-row weight tile.
constexpr size_t kLinearBlock = 32;
// Rows of the streaming kernel's register tile pass: more rows re-read the weights once per pass.
constexpr size_t kLinearRows = 24;

}  // namespace

void softmax_rows(float* x, size_t rows, size_t cols, size_t ld) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) {
        for (size_t r = 0; r < rows; ++r) avx2::softmax_row(x + r * ld, cols);
        return;
    }
#endif
    ref::softmax_rows(x, rows, cols, ld);
}

void add_layer_norm(float* x, const float* residual, size_t rows, size_t dim, const float* gamma, const float* beta,
                    float eps, size_t ld, int threads) {
    if (ld == 0) ld = dim;
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) {
        const long count = static_cast<long>(rows);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && rows * dim > 16384)
        for (long r = 0; r < count; ++r) {
            const size_t i = static_cast<size_t>(r);
            avx2::add_layer_norm_row(x + i * ld, residual ? residual + i * ld : nullptr, dim, gamma, beta, eps);
        }
        return;
    }
#endif
    ref::add_layer_norm(x, residual, rows, dim, gamma, beta, eps, ld);
}

void activation(float* x, size_t count, Activation act, int threads) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) {
        constexpr size_t kChunk = 4096;
        const long chunks = static_cast<long>((count + kChunk - 1) / kChunk);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && chunks > 1)
        for (long c = 0; c < chunks; ++c) {
            const size_t begin = static_cast<size_t>(c) * kChunk;
            avx2::activation(x + begin, std::min(kChunk, count - begin), act);
        }
        return;
    }
#endif
    ref::activation(x, count, act);
}

void exp_inplace(float* x, size_t count) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::exp_inplace(x, count);
#endif
    for (size_t i = 0; i < count; ++i) x[i] = std::exp(x[i]);
}

void erf_inplace(float* x, size_t count) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::erf_inplace(x, count);
#endif
    for (size_t i = 0; i < count; ++i) x[i] = std::erf(x[i]);
}

void linear_rows(const float* x, size_t n, size_t in, size_t ldx, const float* w, const float* b, size_t out, float* y,
                 size_t ldy, int threads) {
    if (n == 0) return;
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) {
        const long blocks = static_cast<long>((out + kLinearBlock - 1) / kLinearBlock);
        for (size_t r = 0; r < n; r += kLinearRows) {
            const size_t rows = std::min(kLinearRows, n - r);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
            for (long t = 0; t < blocks; ++t) {
                const size_t begin = static_cast<size_t>(t) * kLinearBlock;
                avx2::linear_rows(x + r * ldx, rows, in, ldx, w, b, y + r * ldy, ldy, begin,
                                  std::min(out, begin + kLinearBlock));
            }
        }
        return;
    }
#endif
    ref::linear_rows(x, n, in, ldx, w, b, out, y, ldy);
}

void f16_to_f32(const uint16_t* in, float* out, size_t count) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::f16_to_f32(in, out, count);
#endif
    ref::f16_to_f32(in, out, count);
}

void f32_to_f16(const float* in, uint16_t* out, size_t count) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::f32_to_f16(in, out, count);
#endif
    ref::f32_to_f16(in, out, count);
}

float f32_to_f16_error(const float* in, uint16_t* out, size_t count) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::f32_to_f16_error(in, out, count);
#endif
    return ref::f32_to_f16_error(in, out, count);
}

void max_into(float* acc, const float* in, size_t count) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::max_into(acc, in, count);
#endif
    ref::max_into(acc, in, count);
}

void bf16_to_f32(const uint16_t* in, float* out, size_t count) {
    // bfloat16 is the top half of an IEEE float: widening is exact.
    for (size_t i = 0; i < count; ++i) {
        const uint32_t bits = static_cast<uint32_t>(in[i]) << 16;
        std::memcpy(out + i, &bits, 4);
    }
}

}  // namespace attnscope::kernels
