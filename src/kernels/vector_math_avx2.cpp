// Element-wise and row-wise AVX2 kernels: softmax, LayerNorm, activations, bias.
#include <algorithm>
#include <cmath>

#include "kernels/avx2.h"
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
        case Activation::GeluErf:
            map_inplace(x, count, gelu_erf256);
            break;
        case Activation::GeluTanh:
            map_inplace(x, count, gelu_tanh256);
            break;
        case Activation::Relu:
            map_inplace(x, count, [](__m256 v) { return _mm256_max_ps(v, _mm256_setzero_ps()); });
            break;
        case Activation::Silu:
            map_inplace(x, count, silu256);
            break;
    }
}

double sum_xlogx(const float* p, const float* q, size_t n) {
    // The head map runs this over two whole n×n heads for every pair of heads, so it is built for long
    // inputs: four float accumulators (the log's latency overlaps), folded into double every 256 values
    // so that no float sum grows past 8 terms per lane: 0.60 ns per value against 0.90 with a double add
    // per vector (n×n = 625, one core).
    const __m256 half = _mm256_set1_ps(0.5f);
    auto at = [&](size_t k) {
        const __m256 x = _mm256_loadu_ps(p + k);
        return q ? _mm256_mul_ps(_mm256_add_ps(x, _mm256_loadu_ps(q + k)), half) : x;
    };
    auto fold = [](__m256d total, __m256 s) {
        return _mm256_add_pd(total, _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(s)),
                                                  _mm256_cvtps_pd(_mm256_extractf128_ps(s, 1))));
    };
    __m256d total = _mm256_setzero_pd();
    size_t i = 0;
    while (i + 32 <= n) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (const size_t end = std::min(n, i + 256); i + 32 <= end; i += 32) {
            const __m256 x0 = at(i), x1 = at(i + 8), x2 = at(i + 16), x3 = at(i + 24);
            a0 = _mm256_fmadd_ps(x0, log256(x0), a0);
            a1 = _mm256_fmadd_ps(x1, log256(x1), a1);
            a2 = _mm256_fmadd_ps(x2, log256(x2), a2);
            a3 = _mm256_fmadd_ps(x3, log256(x3), a3);
        }
        total = fold(total, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    }
    __m256 a = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) {
        const __m256 x = at(i);
        a = _mm256_fmadd_ps(x, log256(x), a);
    }
    if (i < n) {  // the tail as one masked vector: the absent lanes are 0, and 0·ln(FLT_MIN) = 0
        const __m256i live =
            _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 x = _mm256_maskload_ps(p + i, live);
        if (q) x = _mm256_mul_ps(_mm256_add_ps(x, _mm256_maskload_ps(q + i, live)), half);
        a = _mm256_fmadd_ps(x, log256(x), a);
    }
    total = fold(total, a);
    const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(total), _mm256_extractf128_pd(total, 1));
    return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
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
        const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x)),
                      hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
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

double sum_double(const float* x, size_t count) {
    __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        a = _mm256_add_pd(a, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        b = _mm256_add_pd(b, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, _mm256_add_pd(a, b));
    double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < count; ++i) s += x[i];
    return s;
}

void log_inplace(float* x, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, log256(_mm256_loadu_ps(x + i)));
    for (; i < count; ++i) x[i] = _mm256_cvtss_f32(log256(_mm256_set1_ps(x[i])));
}

}  // namespace attnscope::kernels::avx2
