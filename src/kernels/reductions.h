// The reductions under the per-head analyses (entropies, Jensen–Shannon divergences, top-p spans): the
// analyses' inner loops, kept apart from the forward pass's primitives. Reference twins in namespace ref.
#pragma once

#include <cstddef>
#include <vector>

namespace attnscope::kernels {

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
// The same by a heap over v (reordered): the reference, and the path for long rows.
size_t top_p_count_heap(float* v, size_t count, double p);
// Natural log of every element.
void log_inplace(float* x, size_t count);
// Σ x in double (float values widened; the order of the additions is the kernel's own).
double sum_double(const float* x, size_t count);

namespace ref {
double sum_double(const float* x, size_t count);
double sum_xlogx(const float* p, const float* q, size_t n);
double sum_xlogx_affine(const float* p, size_t n, float alpha, float beta);
void row_summary(const float* row, size_t n, size_t i, double* colsum, float* max, double* distance);
void log_inplace(float* x, size_t count);
}  // namespace ref

}  // namespace attnscope::kernels
