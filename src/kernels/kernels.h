// The numeric kernels of the forward pass. Each has a plain reference version (namespace ref) that the
// unit tests compare against on odd shapes; the fast versions use AVX2/FMA when the CPU has them.
// Shapes are in comments as [rows][cols]; leading dimensions (ld*) are row strides in floats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace attnscope::kernels {

// True when the CPU has AVX2, FMA and F16C (x86-64-v3); otherwise the reference kernels run.
bool cpu_has_avx2();
// Threads the kernels use (OpenMP); 0 restores the default (one per core).
void set_num_threads(int threads);
int num_threads();

// One nn.Linear: Y[n][out] = X[n][in] · W[out][in]^T + b[out]   (b may be null)
struct LinearOp {
    const float* weight;  // [out][in], row-major as PyTorch stores it
    const float* bias;    // [out] or null
    size_t out;
    float* y;             // [n][ldy]
    size_t ldy;
};
// Runs several linears that share the input X[n][in] (Q, K and V) as one parallel job.
void linear(const float* x, size_t n, size_t in, size_t ldx, const LinearOp* ops, size_t num_ops);
inline void linear(const float* x, size_t n, size_t in, const float* w, const float* b, size_t out, float* y) {
    LinearOp op{w, b, out, y, out};
    linear(x, n, in, in, &op, 1);
}

// C[m][n] = alpha · A[m][k] · B[k][n]   (attention: Q·K^T with K transposed, and P·V). Single-threaded:
// the caller parallelises over heads.
void gemm_nn(size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb,
             float* c, size_t ldc);

// Row-wise softmax in place: max-subtract, exp, multiply by the reciprocal of the sum (as torch does).
void softmax_rows(float* x, size_t rows, size_t cols, size_t ld);

// x[r] = LayerNorm(x[r] + residual[r]) with biased variance and eps inside the sqrt (torch semantics).
// residual may be null. Rows of x and residual are ld floats apart (0: dim); the padding is not touched.
void add_layer_norm(float* x, const float* residual, size_t rows, size_t dim, const float* gamma, const float* beta,
                    float eps, size_t ld = 0);

enum class Activation { GeluErf, GeluTanh, Relu, Silu };
void activation(float* x, size_t count, Activation act);

// Vector math used above, exposed for the tests: y = exp(x), y = erf(x).
void exp_inplace(float* x, size_t count);
void erf_inplace(float* x, size_t count);

// Σ x ln x over x = (p + q) / 2 (q may be null: x = p). Entries must be > 0. For entropies and
// Jensen–Shannon divergences of many rows; float logs, double accumulation across vectors.
double sum_xlogx(const float* p, const float* q, size_t n);
// Σ x ln x over x = alpha·p + beta (Clark's smoothed entropy); alpha·p + beta must be > 0 or p = 0, beta = 0.
double sum_xlogx_affine(const float* p, size_t n, float alpha, float beta);
// One attention row i of an n×n matrix: adds it to colsum (double), and returns its maximum and
// Σ_j row[j]·|i − j| — the inner loop of the per-head statistics.
void row_summary(const float* row, size_t n, size_t i, double* colsum, float* max, double* distance);
// The fewest of the row's largest entries whose running total, largest first and summed in double, reaches
// p (n if none does): the top-p span of the per-head statistics. scratch is reused between calls.
size_t top_p_count(const float* row, size_t n, double p, std::vector<float>& scratch);
// The same by a heap over v (reordered): the reference, and the path for long rows and CPUs without AVX2.
size_t top_p_count_heap(float* v, size_t count, double p);
// Natural log of every element (for the tests).
void log_inplace(float* x, size_t count);

// OpenBLAS sgemm, Y[m][n] = X[m][k] · W[n][k]ᵀ: the masked-LM head's decoder and the benchmark peer.
void blas_sgemm_nt(size_t m, size_t n, size_t k, const float* x, const float* w, float* y);

// Weight storage conversions (F16C when available).
void f16_to_f32(const uint16_t* in, float* out, size_t count);
void bf16_to_f32(const uint16_t* in, float* out, size_t count);
void f32_to_f16(const float* in, uint16_t* out, size_t count);  // round to nearest even

namespace ref {
void linear(const float* x, size_t n, size_t in, size_t ldx, const LinearOp* ops, size_t num_ops);
void gemm_nn(size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb,
             float* c, size_t ldc);
void softmax_rows(float* x, size_t rows, size_t cols, size_t ld);
void add_layer_norm(float* x, const float* residual, size_t rows, size_t dim, const float* gamma, const float* beta,
                    float eps, size_t ld = 0);
void activation(float* x, size_t count, Activation act);
}  // namespace ref

// Internal AVX2 entry points (defined in *_avx2.cpp, compiled with -mavx2 -mfma).
namespace avx2 {
void linear_rows(const float* x, size_t n, size_t in, size_t ldx, const LinearOp& op, size_t o_begin, size_t o_end);
void gemm_nn(size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb,
             float* c, size_t ldc);
void softmax_row(float* x, size_t cols);
void add_layer_norm_row(float* x, const float* residual, size_t dim, const float* gamma, const float* beta, float eps);
void activation(float* x, size_t count, Activation act);
void exp_inplace(float* x, size_t count);
void erf_inplace(float* x, size_t count);
void add_bias_rows(float* y, size_t n, size_t out, size_t ldy, const float* bias);
void f16_to_f32(const uint16_t* in, float* out, size_t count);
void f32_to_f16(const float* in, uint16_t* out, size_t count);
double sum_xlogx(const float* p, const float* q, size_t n);
double sum_xlogx_affine(const float* p, size_t n, float alpha, float beta);
void log_inplace(float* x, size_t count);
void row_summary(const float* row, size_t n, size_t i, double* colsum, float* max, double* distance);
constexpr size_t kTopPMaxLength = 64;  // rows up to this length stay in registers
size_t top_p_count(const float* row, size_t n, double p, float* scratch);
}  // namespace avx2

}  // namespace attnscope::kernels
