// Every fast kernel against its plain reference, on odd shapes (1, 7, 513, non-multiples of every tile),
// plus the vector math against the C library.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/packed_gemm.h"
#include "random_data.h"

namespace k = attnscope::kernels;

namespace {

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

}  // namespace

class LinearShapes : public ::testing::TestWithParam<std::tuple<size_t, size_t, size_t>> {};

TEST_P(LinearShapes, MatchesReference) {
    auto [n, in, out] = GetParam();
    auto x = random_vector(n * in, 1), w = random_vector(out * in, 2, 0.05f), b = random_vector(out, 3);
    std::vector<float> y(n * out), y_ref(n * out);
    k::linear(x.data(), n, in, w.data(), b.data(), out, y.data());
    k::LinearOp op{w.data(), b.data(), out, y_ref.data(), out};
    k::ref::linear(x.data(), n, in, in, &op, 1);
    double tol = 1e-5 * std::sqrt(static_cast<double>(in));
    EXPECT_LE(max_abs_diff(y, y_ref), tol) << "n=" << n << " in=" << in << " out=" << out;
}

// Small n exercises the streaming kernel, large n the BLAS path; odd sizes hit every tail.
INSTANTIATE_TEST_SUITE_P(Kernels, LinearShapes,
                         ::testing::Values(std::make_tuple(1, 7, 5), std::make_tuple(1, 384, 384),
                                           std::make_tuple(2, 33, 13), std::make_tuple(3, 768, 7),
                                           std::make_tuple(7, 100, 65), std::make_tuple(8, 768, 3072),
                                           std::make_tuple(13, 17, 31), std::make_tuple(24, 64, 64),
                                           std::make_tuple(25, 64, 63), std::make_tuple(64, 96, 129),
                                           std::make_tuple(513, 40, 33)));

TEST(Kernels, LinearSharedInputOps) {
    const size_t n = 5, in = 40, out = 24;
    auto x = random_vector(n * in, 4);
    auto w1 = random_vector(out * in, 5), w2 = random_vector(out * in, 6);
    std::vector<float> y1(n * 2 * out), y1r(n * 2 * out);
    // Two ops writing interleaved column blocks of one output (ldy = 2·out), no bias on the second.
    k::LinearOp ops[2] = {{w1.data(), nullptr, out, y1.data(), 2 * out}, {w2.data(), nullptr, out, y1.data() + out, 2 * out}};
    k::linear(x.data(), n, in, in, ops, 2);
    k::LinearOp ref_ops[2] = {{w1.data(), nullptr, out, y1r.data(), 2 * out},
                              {w2.data(), nullptr, out, y1r.data() + out, 2 * out}};
    k::ref::linear(x.data(), n, in, in, ref_ops, 2);
    EXPECT_LE(max_abs_diff(y1, y1r), 1e-4);
}

class GemmShapes : public ::testing::TestWithParam<std::tuple<size_t, size_t, size_t>> {};

TEST_P(GemmShapes, MatchesReference) {
    auto [m, n, kk] = GetParam();
    const size_t lda = kk + 3, ldb = n + 5, ldc = n + 1;  // strided, like one head inside [n][D]
    auto a = random_vector(m * lda, 7), b = random_vector(kk * ldb, 8);
    std::vector<float> c(m * ldc, -7.f), c_ref(m * ldc, -7.f);
    k::gemm_nn(m, n, kk, 0.125f, a.data(), lda, b.data(), ldb, c.data(), ldc);
    k::ref::gemm_nn(m, n, kk, 0.125f, a.data(), lda, b.data(), ldb, c_ref.data(), ldc);
    EXPECT_LE(max_abs_diff(c, c_ref), 2e-6 * std::sqrt(static_cast<double>(kk)) + 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Kernels, GemmShapes,
                         ::testing::Values(std::make_tuple(1, 1, 1), std::make_tuple(1, 7, 64), std::make_tuple(7, 7, 32),
                                           std::make_tuple(8, 16, 64), std::make_tuple(5, 23, 9),
                                           std::make_tuple(513, 64, 513), std::make_tuple(64, 513, 64),
                                           std::make_tuple(17, 40, 1)));

TEST(Kernels, SoftmaxMatchesReferenceAndSumsToOne) {
    for (size_t cols : {1u, 7u, 8u, 9u, 64u, 513u}) {
        auto x = random_vector(3 * cols, 9, 4.0f);
        x[0] = -3.4028234663852886e38f + x[0];  // an additively masked key
        auto y = x, y_ref = x;
        k::softmax_rows(y.data(), 3, cols, cols);
        k::ref::softmax_rows(y_ref.data(), 3, cols, cols);
        // exp within 2 ulp, then the sum and the reciprocal: a few ulp of the largest probability.
        EXPECT_LE(max_abs_diff(y, y_ref), 5e-7) << cols;
        for (size_t r = 0; r < 3; ++r) {
            double s = 0;
            for (size_t j = 0; j < cols; ++j) s += y[r * cols + j];
            EXPECT_NEAR(s, 1.0, 1e-6);
        }
        if (cols > 1) {
            EXPECT_EQ(y[0], 0.0f);
        }
    }
}

TEST(Kernels, FullyMaskedRowIsUniformNotNaN) {
    std::vector<float> row(5, -3.4028234663852886e38f);
    k::softmax_rows(row.data(), 1, 5, 5);
    for (float v : row) EXPECT_FLOAT_EQ(v, 0.2f);
}

TEST(Kernels, LayerNormMatchesReference) {
    for (size_t dim : {1u, 7u, 32u, 384u, 769u}) {
        auto x = random_vector(4 * dim, 10, 3.0f), res = random_vector(4 * dim, 11), g = random_vector(dim, 12),
             b = random_vector(dim, 13);
        auto y = x, y_ref = x;
        k::add_layer_norm(y.data(), res.data(), 4, dim, g.data(), b.data(), 1e-12f);
        k::ref::add_layer_norm(y_ref.data(), res.data(), 4, dim, g.data(), b.data(), 1e-12f);
        EXPECT_LE(max_abs_diff(y, y_ref), 5e-6) << dim;
        auto z = x, z_ref = x;
        k::add_layer_norm(z.data(), nullptr, 4, dim, g.data(), b.data(), 1e-5f);
        k::ref::add_layer_norm(z_ref.data(), nullptr, 4, dim, g.data(), b.data(), 1e-5f);
        EXPECT_LE(max_abs_diff(z, z_ref), 5e-6) << dim;
    }
}

TEST(Kernels, StridedLayerNormLeavesThePaddingAlone) {
    const size_t dim = 1024, ld = k::activation_stride(dim), rows = 5;
    ASSERT_EQ(ld, dim + 16);
    auto g = random_vector(dim, 12), b = random_vector(dim, 13), res = random_vector(rows * ld, 11);
    auto x = random_vector(rows * ld, 10, 3.0f);
    std::vector<float> dense(rows * dim), dense_res(rows * dim);
    for (size_t r = 0; r < rows; ++r) {
        std::copy_n(x.begin() + r * ld, dim, dense.begin() + r * dim);
        std::copy_n(res.begin() + r * ld, dim, dense_res.begin() + r * dim);
    }
    auto y = x;
    k::add_layer_norm(y.data(), res.data(), rows, dim, g.data(), b.data(), 1e-12f, ld);
    k::add_layer_norm(dense.data(), dense_res.data(), rows, dim, g.data(), b.data(), 1e-12f);
    for (size_t r = 0; r < rows; ++r) {
        for (size_t i = 0; i < dim; ++i) ASSERT_EQ(y[r * ld + i], dense[r * dim + i]) << r << " " << i;
        for (size_t i = dim; i < ld; ++i) ASSERT_EQ(y[r * ld + i], x[r * ld + i]) << "padding of row " << r;
    }
    auto z = x;
    k::ref::add_layer_norm(z.data(), nullptr, rows, dim, g.data(), b.data(), 1e-5f, ld);
    auto zf = x;
    k::add_layer_norm(zf.data(), nullptr, rows, dim, g.data(), b.data(), 1e-5f, ld);
    EXPECT_LE(max_abs_diff(zf, z), 5e-6);
    for (size_t r = 0; r < rows; ++r)
        for (size_t i = dim; i < ld; ++i) ASSERT_EQ(z[r * ld + i], x[r * ld + i]) << "reference, padding of row " << r;
}

TEST(Kernels, ActivationStridesPadOnlyRowsThatAreWholeL1Ways) {
    // 4 KB = 1024 floats: one way of the 8-way L1.
    for (size_t floats : {1024u, 2048u, 3072u, 4096u}) EXPECT_EQ(k::activation_stride(floats), floats + 16) << floats;
    for (size_t floats : {256u, 384u, 512u, 768u, 1536u, 1000u}) EXPECT_EQ(k::activation_stride(floats), floats) << floats;
}

TEST(Kernels, ActivationsMatchReference) {
    auto x = random_vector(10001, 14, 3.0f);
    x[0] = 0.f;
    x[1] = -30.f;
    x[2] = 30.f;
    for (auto act : {k::Activation::GeluErf, k::Activation::GeluTanh, k::Activation::Relu, k::Activation::Silu}) {
        auto y = x, y_ref = x;
        k::activation(y.data(), y.size(), act);
        k::ref::activation(y_ref.data(), y_ref.size(), act);
        double worst = 0;
        for (size_t i = 0; i < y.size(); ++i) {
            worst = std::max(worst, std::fabs(static_cast<double>(y[i]) - y_ref[i]) / std::max(1.0, std::fabs(double(y_ref[i]))));
        }
        EXPECT_LE(worst, 5e-7) << static_cast<int>(act);
    }
}

TEST(Kernels, ExpWithinTwoUlp) {
    std::vector<float> x;
    for (float v = -87.0f; v <= 88.0f; v += 0.01f) x.push_back(v);
    auto y = x;
    k::exp_inplace(y.data(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        double e = std::exp(static_cast<double>(x[i]));
        worst = std::max(worst, std::fabs(y[i] - e) / e);
    }
    EXPECT_LE(worst, 2.5e-7);  // 2 ulp of float is 2.4e-7 relative
    std::vector<float> low{-100.f, -3.4e38f};
    k::exp_inplace(low.data(), low.size());
    EXPECT_EQ(low[0], 0.f);
    EXPECT_EQ(low[1], 0.f);
}

// A&S 7.1.26 approximates erf within 1.5e-7; evaluating it in float adds a few ulp (worst seen: 4.2e-7).
TEST(Kernels, ErfWithinAbramowitzStegunBoundPlusRounding) {
    std::vector<float> x;
    for (float v = -6.0f; v <= 6.0f; v += 0.001f) x.push_back(v);
    auto y = x;
    k::erf_inplace(y.data(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(y[i] - std::erf(static_cast<double>(x[i]))));
    EXPECT_LE(worst, 5e-7);
}

TEST(Kernels, HalfAndBfloatConversion) {
    const uint16_t h[] = {0x0000, 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x3555};
    const float expect[] = {0.f, 1.f, -2.f, 65504.f, 5.9604645e-08f, -0.f, 0.33325195f};
    float out[7];
    k::f16_to_f32(h, out, 7);
    for (int i = 0; i < 7; ++i) EXPECT_EQ(out[i], expect[i]) << i;
    const uint16_t b[] = {0x3F80, 0xC040, 0x0000};
    float ob[3];
    k::bf16_to_f32(b, ob, 3);
    EXPECT_EQ(ob[0], 1.f);
    EXPECT_EQ(ob[1], -3.f);
    EXPECT_EQ(ob[2], 0.f);
}

// The sorting-network kernel must give the heap's answer on every length it handles and past it, with ties,
// zeros, peaked and flat rows, and targets that are and are not reached.
TEST(Kernels, TopPCountMatchesTheHeapOnEveryLength) {
    std::mt19937 rng(7);
    std::vector<float> scratch;
    size_t checked = 0, mismatches = 0;
    for (size_t n = 0; n <= 80; ++n) {
        for (int trial = 0; trial < 40; ++trial) {
            std::vector<float> row = random_vector(n, static_cast<uint32_t>(n * 100 + trial), 1.0f + static_cast<float>(trial % 5));
            for (auto& x : row) x = std::exp(x);
            if (trial % 4 == 1) {
                for (auto& x : row) x = std::round(x * 4) / 4;  // many ties, some zeros
            }
            if (trial % 4 == 2 && n > 0) row[rng() % n] = 0.0f;
            double sum = 0;
            for (float x : row) sum += x;
            for (auto& x : row) x = sum > 0 ? static_cast<float>(x / sum) : 0.0f;
            for (double p : {0.5, 0.9, 0.999, 1.5}) {
                std::vector<float> copy = row;
                const size_t expect = k::top_p_count_heap(copy.data(), n, p);
                const size_t got = k::top_p_count(row.data(), n, p, scratch);
                mismatches += got != expect;
                EXPECT_EQ(got, expect) << "n=" << n << " trial=" << trial << " p=" << p;
                ++checked;
            }
        }
    }
    std::printf("top_p_count: %zu rows of 0..80 values, %zu differ from the heap\n", checked, mismatches);
    const std::vector<float> uniform(513, 1.0f / 513);
    EXPECT_EQ(k::top_p_count(uniform.data(), uniform.size(), 0.5, scratch), 257u);
}

TEST(Kernels, LogWithinTwoUlpOverTheAnalysesRange) {
    // Attention values and their smoothed forms span ~1e-17..1; check e^-40..e^5 and the exact points.
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> exponent(-40.0f, 5.0f);
    std::vector<float> x(200000);
    for (auto& v : x) v = std::exp(exponent(rng));
    x[0] = 1.0f;
    x[1] = 0.70710677f;
    x[2] = 1.4142135f;
    auto y = x;
    k::log_inplace(y.data(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double ref = std::log(static_cast<double>(x[i]));
        worst = std::max(worst, std::fabs(y[i] - ref) / std::max(1.0, std::fabs(ref)));
    }
    std::printf("log: worst error %.3g (relative above 1, absolute below)\n", worst);
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_LE(worst, 2.4e-7);  // 2 ulp of float
    float zero = 0.0f;
    k::log_inplace(&zero, 1);
    EXPECT_NEAR(zero, std::log(1.17549435e-38), 1e-4);  // 0 reads as FLT_MIN, so 0·ln 0 = 0 in the sums
}
