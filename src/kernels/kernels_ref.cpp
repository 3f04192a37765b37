// Reference kernels: the plain loops every fast kernel is tested against, and the fallback on CPUs
// without AVX2. Sums run in double so the reference is more exact than the kernels it judges.
#include <algorithm>
#include <cmath>

#include "kernels/forward_ops.h"

namespace attnscope::kernels::ref {

void linear_rows(const float* x, size_t n, size_t in, size_t ldx, const float* w, const float* b, size_t out, float* y,
                 size_t ldy) {
    for (size_t r = 0; r < n; ++r) {
        for (size_t o = 0; o < out; ++o) {
            double s = 0;
            for (size_t k = 0; k < in; ++k) s += static_cast<double>(x[r * ldx + k]) * w[o * in + k];
            y[r * ldy + o] = static_cast<float>(s + (b ? b[o] : 0.0));
        }
    }
}

void softmax_rows(float* x, size_t rows, size_t cols, size_t ld) {
    for (size_t r = 0; r < rows; ++r) {
        float* row = x + r * ld;
        float m = -INFINITY;
        for (size_t j = 0; j < cols; ++j) m = std::max(m, row[j]);
        double s = 0;
        for (size_t j = 0; j < cols; ++j) s += std::exp(static_cast<double>(row[j]) - m);
        for (size_t j = 0; j < cols; ++j) row[j] = static_cast<float>(std::exp(static_cast<double>(row[j]) - m) / s);
    }
}

void add_layer_norm(float* x, const float* residual, size_t rows, size_t dim, const float* gamma, const float* beta,
                    float eps, size_t ld) {
    if (ld == 0) ld = dim;
    for (size_t r = 0; r < rows; ++r) {
        float* row = x + r * ld;
        if (residual) {
            for (size_t i = 0; i < dim; ++i) row[i] += residual[r * ld + i];
        }
        double mean = 0;
        for (size_t i = 0; i < dim; ++i) mean += row[i];
        mean /= static_cast<double>(dim);
        double var = 0;
        for (size_t i = 0; i < dim; ++i) var += (row[i] - mean) * (row[i] - mean);
        var /= static_cast<double>(dim);
        double rstd = 1.0 / std::sqrt(var + eps);
        for (size_t i = 0; i < dim; ++i) row[i] = static_cast<float>((row[i] - mean) * rstd * gamma[i] + beta[i]);
    }
}

void activation(float* x, size_t count, Activation act) {
    for (size_t i = 0; i < count; ++i) {
        double v = x[i];
        switch (act) {
            case Activation::GeluErf:
                v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
                break;
            case Activation::GeluTanh:
                v = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
                break;
            case Activation::Relu:
                v = v > 0 ? v : 0;
                break;
            case Activation::Silu:
                v = v / (1.0 + std::exp(-v));
                break;
        }
        x[i] = static_cast<float>(v);
    }
}

}  // namespace attnscope::kernels::ref
