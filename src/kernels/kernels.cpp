// Kernel dispatch: AVX2 or reference by CPU, streaming or BLAS by shape, and the OpenMP thread count.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <vector>

#include "kernels/kernels.h"

namespace attnscope::kernels {
namespace {

std::atomic<int> g_threads{0};

// Below this many rows a linear layer is weight-bandwidth bound and the streaming kernel wins; above it
// OpenBLAS's packed, cache-blocked GEMM wins. Measured with `attnscope bench` (docs/performance.md).
constexpr size_t kStreamingMaxRows = 24;
// Output columns per task of the streaming kernel: a multiple of its 4-row weight tile.
constexpr size_t kStreamingBlock = 32;

}  // namespace

bool cpu_has_avx2() {
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                            __builtin_cpu_supports("f16c");
    return has;
}

void set_num_threads(int threads) {
    int t = threads > 0 ? threads : omp_get_num_procs();
    g_threads.store(t);
    openblas_set_num_threads(t);
}

int num_threads() {
    int t = g_threads.load();
    if (t == 0) {
        set_num_threads(0);
        t = g_threads.load();
    }
    return t;
}

void linear(const float* x, size_t n, size_t in, size_t ldx, const LinearOp* ops, size_t num_ops) {
    if (n == 0) return;
    if (!cpu_has_avx2()) return ref::linear(x, n, in, ldx, ops, num_ops);
    const int nt = num_threads();
    if (n > kStreamingMaxRows) {
        for (size_t i = 0; i < num_ops; ++i) {
            const LinearOp& op = ops[i];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(op.out),
                        static_cast<int>(in), 1.0f, x, static_cast<int>(ldx), op.weight, static_cast<int>(in), 0.0f,
                        op.y, static_cast<int>(op.ldy));
            if (op.bias) {
#pragma omp parallel for num_threads(nt) schedule(static)
                for (size_t r = 0; r < n; ++r) avx2::add_bias_rows(op.y + r * op.ldy, 1, op.out, op.ldy, op.bias);
            }
        }
        return;
    }
    struct Task {
        size_t op, begin, end;
    };
    std::vector<Task> tasks;
    for (size_t i = 0; i < num_ops; ++i) {
        for (size_t b = 0; b < ops[i].out; b += kStreamingBlock) tasks.push_back({i, b, std::min(ops[i].out, b + kStreamingBlock)});
    }
    const long count = static_cast<long>(tasks.size());
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long t = 0; t < count; ++t) {
        const Task& task = tasks[static_cast<size_t>(t)];
        avx2::linear_rows(x, n, in, ldx, ops[task.op], task.begin, task.end);
    }
}

void blas_sgemm_nt(size_t m, size_t n, size_t k, const float* x, const float* w, float* y) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f,
                x, static_cast<int>(k), w, static_cast<int>(k), 0.0f, y, static_cast<int>(n));
}

void gemm_nn(size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb,
             float* c, size_t ldc) {
    if (cpu_has_avx2()) return avx2::gemm_nn(m, n, k, alpha, a, lda, b, ldb, c, ldc);
    ref::gemm_nn(m, n, k, alpha, a, lda, b, ldb, c, ldc);
}

void softmax_rows(float* x, size_t rows, size_t cols, size_t ld) {
    if (!cpu_has_avx2()) return ref::softmax_rows(x, rows, cols, ld);
    for (size_t r = 0; r < rows; ++r) avx2::softmax_row(x + r * ld, cols);
}

void add_layer_norm(float* x, const float* residual, size_t rows, size_t dim, const float* gamma, const float* beta,
                    float eps, size_t ld) {
    if (!cpu_has_avx2()) return ref::add_layer_norm(x, residual, rows, dim, gamma, beta, eps, ld);
    if (ld == 0) ld = dim;
    const int nt = num_threads();
    const long count = static_cast<long>(rows);
#pragma omp parallel for num_threads(nt) schedule(static) if (rows * dim > 16384)
    for (long r = 0; r < count; ++r) {
        size_t i = static_cast<size_t>(r);
        avx2::add_layer_norm_row(x + i * ld, residual ? residual + i * ld : nullptr, dim, gamma, beta, eps);
    }
}

void activation(float* x, size_t count, Activation act) {
    if (!cpu_has_avx2()) return ref::activation(x, count, act);
    const int nt = num_threads();
    constexpr size_t kChunk = 4096;
    const long chunks = static_cast<long>((count + kChunk - 1) / kChunk);
#pragma omp parallel for num_threads(nt) schedule(static) if (chunks > 1)
    for (long c = 0; c < chunks; ++c) {
        size_t begin = static_cast<size_t>(c) * kChunk;
        avx2::activation(x + begin, std::min(kChunk, count - begin), act);
    }
}

double sum_xlogx(const float* p, const float* q, size_t n) {
    if (cpu_has_avx2()) return avx2::sum_xlogx(p, q, n);
    double s = 0;
    for (size_t i = 0; i < n; ++i) {
        double x = q ? 0.5 * (static_cast<double>(p[i]) + q[i]) : p[i];
        s += x * std::log(x);
    }
    return s;
}

double sum_xlogx_affine(const float* p, size_t n, float alpha, float beta) {
    if (cpu_has_avx2()) return avx2::sum_xlogx_affine(p, n, alpha, beta);
    double s = 0;
    for (size_t i = 0; i < n; ++i) {
        const double x = static_cast<double>(alpha) * p[i] + beta;
        if (x > 0) s += x * std::log(x);
    }
    return s;
}

void row_summary(const float* row, size_t n, size_t i, double* colsum, float* max, double* distance) {
    if (cpu_has_avx2()) return avx2::row_summary(row, n, i, colsum, max, distance);
    float m = 0;
    double d = 0;
    for (size_t j = 0; j < n; ++j) {
        m = std::max(m, row[j]);
        d += static_cast<double>(row[j]) * static_cast<double>(i > j ? i - j : j - i);
        colsum[j] += row[j];
    }
    *max = m;
    *distance = d;
}

size_t top_p_count_heap(float* v, size_t count, double p) {
    std::make_heap(v, v + count);
    double mass = 0;
    for (size_t k = 0; k < count; ++k) {
        mass += v[0];
        if (mass >= p) return k + 1;
        std::pop_heap(v, v + (count - k));
    }
    return count;
}

size_t top_p_count(const float* row, size_t n, double p, std::vector<float>& scratch) {
    if (scratch.size() < std::max(n, avx2::kTopPMaxLength)) scratch.resize(std::max(n, avx2::kTopPMaxLength));
    if (cpu_has_avx2() && n <= avx2::kTopPMaxLength) return avx2::top_p_count(row, n, p, scratch.data());
    std::copy(row, row + n, scratch.begin());
    return top_p_count_heap(scratch.data(), n, p);
}

void log_inplace(float* x, size_t count) {
    if (cpu_has_avx2()) return avx2::log_inplace(x, count);
    for (size_t i = 0; i < count; ++i) x[i] = std::log(x[i]);
}

void exp_inplace(float* x, size_t count) {
    if (cpu_has_avx2()) return avx2::exp_inplace(x, count);
    for (size_t i = 0; i < count; ++i) x[i] = std::exp(x[i]);
}

void erf_inplace(float* x, size_t count) {
    if (cpu_has_avx2()) return avx2::erf_inplace(x, count);
    for (size_t i = 0; i < count; ++i) x[i] = std::erf(x[i]);
}

}  // namespace attnscope::kernels
