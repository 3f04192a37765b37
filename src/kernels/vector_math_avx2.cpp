// Element-wise and row-wise AVX2 kernels: softmax, LayerNorm, activations, bias.
#include <cmath>

#include "kernels/kernels.h"
#include "kernels/vecmath_avx2.h"

namespace attnscope::kernels::avx2 {

void exp_inplace(float* x, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, exp256(_mm256_loadu_ps(x + i)));
    for (; i < count; ++i) {
        __m256 v = exp256(_mm256_set1_ps(x[i]));
        x[i] = _mm256_cvtss_f32(v);
    }
}

void erf_inplace(float* x, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, erf256(_mm256_loadu_ps(x + i)));
    for (; i < count; ++i) x[i] = _mm256_cvtss_f32(erf256(_mm256_set1_ps(x[i])));
}

void softmax_row(float* x, size_t cols) {
    size_t i = 0;
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    for (; i + 8 <= cols; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
    float m = hmax256(vmax);
    for (; i < cols; ++i) m = std::max(m, x[i]);
    const __m256 mv = _mm256_set1_ps(m);
    __m256 vsum = _mm256_setzero_ps();
    float tail_sum = 0.f;
    i = 0;
    for (; i + 8 <= cols; i += 8) {
        __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
        _mm256_storeu_ps(x + i, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    for (; i < cols; ++i) {
        float e = _mm256_cvtss_f32(exp256(_mm256_set1_ps(x[i] - m)));
        x[i] = e;
        tail_sum += e;
    }
    const float inv = 1.0f / (hsum256(vsum) + tail_sum);
    const __m256 iv = _mm256_set1_ps(inv);
    i = 0;
    for (; i + 8 <= cols; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), iv));
    for (; i < cols; ++i) x[i] *= inv;
}

void add_layer_norm_row(float* x, const float* residual, size_t dim, const float* gamma, const float* beta, float eps) {
    size_t i = 0;
    __m256 vsum = _mm256_setzero_ps();
    float tail = 0.f;
    if (residual) {
        for (; i + 8 <= dim; i += 8) {
            __m256 v = _mm256_add_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(residual + i));
            _mm256_storeu_ps(x + i, v);
            vsum = _mm256_add_ps(vsum, v);
        }
        for (; i < dim; ++i) {
            x[i] += residual[i];
            tail += x[i];
        }
    } else {
        for (; i + 8 <= dim; i += 8) vsum = _mm256_add_ps(vsum, _mm256_loadu_ps(x + i));
        for (; i < dim; ++i) tail += x[i];
    }
    const float mean = (hsum256(vsum) + tail) / static_cast<float>(dim);
    const __m256 mv = _mm256_set1_ps(mean);
    __m256 vvar = _mm256_setzero_ps();
    tail = 0.f;
    i = 0;
    for (; i + 8 <= dim; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), mv);
        vvar = _mm256_fmadd_ps(d, d, vvar);
    }
    for (; i < dim; ++i) tail += (x[i] - mean) * (x[i] - mean);
    const float var = (hsum256(vvar) + tail) / static_cast<float>(dim);
    const float rstd = 1.0f / std::sqrt(var + eps);
    const __m256 rv = _mm256_set1_ps(rstd);
    i = 0;
    for (; i + 8 <= dim; i += 8) {
        __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), rv);
        _mm256_storeu_ps(x + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(gamma + i), _mm256_loadu_ps(beta + i)));
    }
    for (; i < dim; ++i) x[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
}

namespace {

template <typename F>
void map_inplace(float* x, size_t count, F f) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, f(_mm256_loadu_ps(x + i)));
    if (i < count) {
        float buf[8] = {0};
        for (size_t k = i; k < count; ++k) buf[k - i] = x[k];
        _mm256_storeu_ps(buf, f(_mm256_loadu_ps(buf)));
        for (size_t k = i; k < count; ++k) x[k] = buf[k - i];
    }
}

}  // namespace

void activation(float* x, size_t count, Activation act) {
    switch (act) {
        case Activation::GeluErf: map_inplace(x, count, gelu_erf256); break;
        case Activation::GeluTanh: map_inplace(x, count, gelu_tanh256); break;
        case Activation::Relu: map_inplace(x, count, [](__m256 v) { return _mm256_max_ps(v, _mm256_setzero_ps()); }); break;
        case Activation::Silu: map_inplace(x, count, silu256); break;
    }
}

double sum_xlogx(const float* p, const float* q, size_t n) {
    const __m256 half = _mm256_set1_ps(0.5f);
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(p + i);
        if (q) x = _mm256_mul_ps(_mm256_add_ps(x, _mm256_loadu_ps(q + i)), half);
        acc = _mm256_fmadd_ps(x, log256(x), acc);
    }
    double s = hsum256(acc);
    for (; i < n; ++i) {
        float x = q ? 0.5f * (p[i] + q[i]) : p[i];
        s += static_cast<double>(x) * _mm256_cvtss_f32(log256(_mm256_set1_ps(x)));
    }
    return s;
}

double sum_xlogx_affine(const float* p, size_t n, float alpha, float beta) {
    const __m256 al = _mm256_set1_ps(alpha), be = _mm256_set1_ps(beta);
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_fmadd_ps(_mm256_loadu_ps(p + i), al, be);
        acc = _mm256_fmadd_ps(x, log256(x), acc);  // log256 clamps 0 to FLT_MIN, so 0·ln 0 = 0
    }
    double s = hsum256(acc);
    for (; i < n; ++i) {
        const float x = alpha * p[i] + beta;
        s += static_cast<double>(x) * _mm256_cvtss_f32(log256(_mm256_set1_ps(x)));
    }
    return s;
}

void row_summary(const float* row, size_t n, size_t i, double* colsum, float* max, double* distance) {
    __m256 vmax = _mm256_setzero_ps(), vdist = _mm256_setzero_ps();
    const __m256 vi = _mm256_set1_ps(static_cast<float>(i));
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 vj = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 eight = _mm256_set1_ps(8.0f);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m256 x = _mm256_loadu_ps(row + j);
        vmax = _mm256_max_ps(vmax, x);
        vdist = _mm256_fmadd_ps(x, _mm256_andnot_ps(sign, _mm256_sub_ps(vi, vj)), vdist);
        vj = _mm256_add_ps(vj, eight);
        const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
        _mm256_storeu_pd(colsum + j, _mm256_add_pd(_mm256_loadu_pd(colsum + j), lo));
        _mm256_storeu_pd(colsum + j + 4, _mm256_add_pd(_mm256_loadu_pd(colsum + j + 4), hi));
    }
    float m = hmax256(vmax);
    double d = hsum256(vdist);
    for (; j < n; ++j) {
        m = std::max(m, row[j]);
        d += static_cast<double>(row[j]) * static_cast<double>(i > j ? i - j : j - i);
        colsum[j] += row[j];
    }
    *max = m;
    *distance = d;
}

void log_inplace(float* x, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, log256(_mm256_loadu_ps(x + i)));
    for (; i < count; ++i) x[i] = _mm256_cvtss_f32(log256(_mm256_set1_ps(x[i])));
}

void add_bias_rows(float* y, size_t n, size_t out, size_t ldy, const float* bias) {
    for (size_t r = 0; r < n; ++r) {
        float* row = y + r * ldy;
        size_t i = 0;
        for (; i + 8 <= out; i += 8) _mm256_storeu_ps(row + i, _mm256_add_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(bias + i)));
        for (; i < out; ++i) row[i] += bias[i];
    }
}

}  // namespace attnscope::kernels::avx2
