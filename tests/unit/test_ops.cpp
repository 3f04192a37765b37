// The op table, in the spirit of llama.cpp's test-backend-ops: every kernel on odd shapes (1, 7, 513,
// non-multiples of every tile), at every ISA level this CPU runs (reference, AVX2, AVX-512), against its
// plain reference, with the worst error of each row printed. Then the vector math against the C library.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/avx2.h"
#include "kernels/forward_ops.h"
#include "kernels/isa.h"
#include "kernels/packed_gemm.h"
#include "kernels/reductions.h"
#include "random_data.h"

namespace k = attnscope::kernels;
using attnscope::Activation;
using attnscope::WeightStorage;

namespace {

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

std::vector<k::Isa> levels_of_this_cpu() {
    std::vector<k::Isa> out;
    for (k::Isa level : {k::Isa::Reference, k::Isa::Avx2, k::Isa::Avx512})
        if (level <= k::cpu_isa()) out.push_back(level);
    return out;
}

// Runs at one ISA level and restores the CPU's own afterwards.
struct IsaScope {
    explicit IsaScope(k::Isa level) { k::cap_isa(level); }
    ~IsaScope() { k::cap_isa(k::Isa::Avx512); }
};

// One row of the table: an op on one shape; `run` returns the worst difference to the reference.
struct OpCase {
    std::string op, shape;
    double bound;
    std::function<double()> run;
};

std::vector<OpCase> op_cases() {
    std::vector<OpCase> cases;
    for (auto [m, kk, n] : {std::tuple<size_t, size_t, size_t>{1, 1, 1},
                            {1, 7, 64},
                            {7, 7, 32},
                            {5, 300, 40},
                            {11, 600, 17},
                            {130, 520, 33},
                            {513, 64, 513},
                            {64, 513, 64}}) {
        for (WeightStorage storage : {WeightStorage::F32, WeightStorage::F16, WeightStorage::BF16, WeightStorage::I8}) {
            if (storage != WeightStorage::F32 && m * kk * n > 3'000'000) continue;
            cases.push_back({std::string("gemm_packed ") + attnscope::weight_storage_name(storage),
                             std::to_string(m) + "x" + std::to_string(kk) + "x" + std::to_string(n),
                             2e-6 * std::sqrt(static_cast<double>(kk)) + 1e-6, [m = m, kk = kk, n = n, storage] {
                                 auto a = random_vector(m * (kk + 3), 2), w = random_vector(n * kk, 3, 0.1f);
                                 auto bias = random_vector(n, 4);
                                 std::vector<const float*> rows;
                                 for (size_t c = 0; c < n; ++c) rows.push_back(w.data() + c * kk);
                                 auto packed = k::pack_weights(rows.data(), n, kk, storage);
                                 k::Epilogue ep;
                                 ep.bias = bias.data();
                                 ep.activate = true;
                                 std::vector<float> c(m * (n + 5), 7.f), c_ref = c;
                                 k::gemm_packed_parallel(m, a.data(), kk + 3, packed.b, c.data(), n + 5, ep, 2);
                                 k::ref::gemm_packed(m, a.data(), kk + 3, packed.b, 0, packed.b.panels(), c_ref.data(),
                                                     n + 5, ep);
                                 return max_abs_diff(c, c_ref);
                             }});
        }
    }
    for (size_t cols : {1u, 7u, 8u, 9u, 64u, 513u}) {
        cases.push_back({"softmax_rows", "3x" + std::to_string(cols), 5e-7, [cols] {
                             auto x = random_vector(3 * (cols + 2), 9, 4.0f);
                             x[0] = -3.4028234663852886e38f + x[0];  // an additively masked key
                             auto y = x, y_ref = x;
                             k::softmax_rows(y.data(), 3, cols, cols + 2);
                             k::ref::softmax_rows(y_ref.data(), 3, cols, cols + 2);
                             return max_abs_diff(y, y_ref);
                         }});
    }
    for (size_t dim : {1u, 7u, 32u, 384u, 769u, 1024u}) {
        for (bool residual : {false, true}) {
            cases.push_back({residual ? "add_layer_norm +residual" : "add_layer_norm", "5x" + std::to_string(dim), 5e-6,
                             [dim, residual] {
                                 const size_t ld = k::activation_stride(dim), rows = 5;
                                 auto x = random_vector(rows * ld, 10, 3.0f), res = random_vector(rows * ld, 11);
                                 auto g = random_vector(dim, 12), b = random_vector(dim, 13);
                                 auto y = x, y_ref = x;
                                 k::add_layer_norm(y.data(), residual ? res.data() : nullptr, rows, dim, g.data(),
                                                   b.data(), 1e-12f, ld, 2);
                                 k::ref::add_layer_norm(y_ref.data(), residual ? res.data() : nullptr, rows, dim,
                                                        g.data(), b.data(), 1e-12f, ld);
                                 return max_abs_diff(y, y_ref);
                             }});
        }
    }
    for (auto act : {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Silu}) {
        static const char* names[] = {"gelu (erf)", "gelu (tanh)", "relu", "silu"};
        for (size_t count : {1u, 7u, 10001u}) {
            cases.push_back(
                {std::string("activation ") + names[static_cast<int>(act)], std::to_string(count), 5e-7, [act, count] {
                     auto x = random_vector(count, 14, 3.0f);
                     if (count > 3) {
                         x[0] = 0.f;
                         x[1] = -30.f;
                         x[2] = 30.f;
                     }
                     auto y = x, y_ref = x;
                     k::activation(y.data(), y.size(), act, 2);
                     k::ref::activation(y_ref.data(), y_ref.size(), act);
                     double worst = 0;
                     for (size_t i = 0; i < y.size(); ++i) {
                         worst = std::max(worst, std::fabs(static_cast<double>(y[i]) - y_ref[i]) /
                                                     std::max(1.0, std::fabs(static_cast<double>(y_ref[i]))));
                     }
                     return worst;
                 }});
        }
    }
    for (auto [n, in, out] : {std::tuple<size_t, size_t, size_t>{1, 7, 5},
                              {1, 384, 384},
                              {3, 768, 7},
                              {7, 100, 65},
                              {25, 64, 63},
                              {30, 96, 129},
                              {513, 40, 33}}) {
        cases.push_back({"linear_rows", std::to_string(n) + "x" + std::to_string(in) + "x" + std::to_string(out),
                         1e-5 * std::sqrt(static_cast<double>(in)), [n = n, in = in, out = out] {
                             auto x = random_vector(n * in, 1), w = random_vector(out * in, 2, 0.05f);
                             auto b = random_vector(out, 3);
                             std::vector<float> y(n * out), y_ref(n * out);
                             k::linear_rows(x.data(), n, in, in, w.data(), b.data(), out, y.data(), out, 2);
                             k::ref::linear_rows(x.data(), n, in, in, w.data(), b.data(), out, y_ref.data(), out);
                             return max_abs_diff(y, y_ref);
                         }});
    }
    for (size_t count : {1u, 7u, 513u}) {
        cases.push_back({"f32_to_f16 → f16_to_f32", std::to_string(count), 0.0, [count] {
                             auto x = random_vector(count, 20, 100.0f);
                             std::vector<uint16_t> h(count), h_ref(count);
                             k::f32_to_f16(x.data(), h.data(), count);
                             k::ref::f32_to_f16(x.data(), h_ref.data(), count);
                             std::vector<float> y(count), y_ref(count);
                             k::f16_to_f32(h.data(), y.data(), count);
                             k::ref::f16_to_f32(h_ref.data(), y_ref.data(), count);
                             return max_abs_diff(y, y_ref);
                         }});
    }
    // The display data: the halves and their stated error as the reference makes them, max-pooling rows.
    for (size_t count : {1u, 7u, 8u, 513u, 4099u}) {
        cases.push_back({"f32_to_f16_error", std::to_string(count), 0.0, [count] {
                             auto x = random_vector(count, 21, 1.0f);
                             for (auto& v : x) v = std::fabs(v);
                             std::vector<uint16_t> h(count), h_ref(count);
                             const float e = k::f32_to_f16_error(x.data(), h.data(), count);
                             const float e_ref = k::ref::f32_to_f16_error(x.data(), h_ref.data(), count);
                             double worst = std::fabs(static_cast<double>(e) - e_ref);
                             for (size_t i = 0; i < count; ++i) worst = std::max(worst, h[i] == h_ref[i] ? 0.0 : 1.0);
                             return e > 0 || count < 8 ? worst : 1.0;  // 1000s of random floats never round exactly
                         }});
        cases.push_back({"max_into", std::to_string(count), 0.0, [count] {
                             auto a = random_vector(count, 22), b = random_vector(count, 23);
                             auto r = a;
                             k::max_into(a.data(), b.data(), count);
                             k::ref::max_into(r.data(), b.data(), count);
                             return max_abs_diff(a, r);
                         }});
    }
    // The analyses' reductions, on probability rows.
    auto probabilities = [](size_t n, uint32_t seed) {
        auto row = random_vector(n, seed, 3.0f);
        double sum = 0;
        for (auto& v : row) sum += (v = std::exp(v));
        for (auto& v : row) v = static_cast<float>(v / sum);
        return row;
    };
    for (size_t n : {1u, 7u, 64u, 513u}) {
        cases.push_back({"sum_xlogx p", std::to_string(n), 1e-6, [=] {
                             auto p = probabilities(n, 30);
                             return std::fabs(k::sum_xlogx(p.data(), nullptr, n) -
                                              k::ref::sum_xlogx(p.data(), nullptr, n));
                         }});
        cases.push_back({"sum_xlogx (p+q)/2", std::to_string(n), 1e-6, [=] {
                             auto p = probabilities(n, 31), q = probabilities(n, 32);
                             return std::fabs(k::sum_xlogx(p.data(), q.data(), n) -
                                              k::ref::sum_xlogx(p.data(), q.data(), n));
                         }});
        cases.push_back({"sum_xlogx_affine", std::to_string(n), 1e-6, [=] {
                             auto p = probabilities(n, 33);
                             const float b = 0.0001f / static_cast<float>(n);
                             return std::fabs(k::sum_xlogx_affine(p.data(), n, 0.9999f, b) -
                                              k::ref::sum_xlogx_affine(p.data(), n, 0.9999f, b));
                         }});
        cases.push_back({"row_summary", std::to_string(n), 1e-7, [=] {
                             auto p = probabilities(n, 34);
                             std::vector<double> col(n, 0.0), col_ref(n, 0.0);
                             float mx = 0, mx_ref = 0;
                             double dist = 0, dist_ref = 0;
                             k::row_summary(p.data(), n, n / 2, col.data(), &mx, &dist);
                             k::ref::row_summary(p.data(), n, n / 2, col_ref.data(), &mx_ref, &dist_ref);
                             double worst = std::max(static_cast<double>(std::fabs(mx - mx_ref)),
                                                     std::fabs(dist - dist_ref) / std::max(1.0, dist_ref));
                             for (size_t j = 0; j < n; ++j) worst = std::max(worst, std::fabs(col[j] - col_ref[j]));
                             return worst;
                         }});
        cases.push_back({"sum_double", std::to_string(n), 1e-15, [=] {
                             auto p = probabilities(n, 37);
                             return std::fabs(k::sum_double(p.data(), n) - k::ref::sum_double(p.data(), n));
                         }});
        cases.push_back({"top_p_count (p = 0.9)", std::to_string(n), 0.0, [=] {
                             auto p = probabilities(n, 35);
                             std::vector<float> scratch, copy = p;
                             return std::fabs(static_cast<double>(k::top_p_count(p.data(), n, 0.9, scratch)) -
                                              static_cast<double>(k::top_p_count_heap(copy.data(), n, 0.9)));
                         }});
        cases.push_back({"log_inplace", std::to_string(n), 2.4e-7, [=] {
                             auto p = probabilities(n, 36);
                             auto y = p, y_ref = p;
                             k::log_inplace(y.data(), n);
                             k::ref::log_inplace(y_ref.data(), n);
                             double worst = 0;
                             for (size_t i = 0; i < n; ++i) {
                                 worst = std::max(worst, std::fabs(static_cast<double>(y[i]) - y_ref[i]) /
                                                             std::max(1.0, std::fabs(static_cast<double>(y_ref[i]))));
                             }
                             return worst;
                         }});
    }
    return cases;
}

}  // namespace

TEST(OpTable, EveryKernelOnOddShapesAtEveryIsaLevel) {
    const auto cases = op_cases();
    size_t rows = 0;
    std::printf("%-28s %-12s %-10s %-10s %s\n", "op", "shape", "isa", "max error", "bound");
    for (k::Isa level : levels_of_this_cpu()) {
        IsaScope scope(level);
        for (const OpCase& c : cases) {
            const double err = c.run();
            ++rows;
            std::printf("%-28s %-12s %-10s %-10.3g %.3g\n", c.op.c_str(), c.shape.c_str(), k::isa_name(level), err,
                        c.bound);
            EXPECT_LE(err, c.bound) << c.op << " " << c.shape << " at " << k::isa_name(level);
        }
    }
    std::printf("op table: %zu rows (%zu ops × shapes at %zu ISA levels)\n", rows, cases.size(),
                levels_of_this_cpu().size());
}

// The checks below need more than a difference to the reference: properties of the fast kernels' outputs.
class AtEveryIsa : public ::testing::TestWithParam<k::Isa> {
  protected:
    void SetUp() override {
        if (GetParam() > k::cpu_isa()) GTEST_SKIP() << "this CPU does not run " << k::isa_name(GetParam());
        k::cap_isa(GetParam());
    }
    void TearDown() override { k::cap_isa(k::Isa::Avx512); }
};

INSTANTIATE_TEST_SUITE_P(Kernels, AtEveryIsa, ::testing::Values(k::Isa::Reference, k::Isa::Avx2, k::Isa::Avx512),
                         [](const auto& info) { return std::string(k::isa_name(info.param)); });

TEST_P(AtEveryIsa, SoftmaxRowsSumToOneAndMaskedKeysGetZero) {
    for (size_t cols : {1u, 7u, 8u, 9u, 64u, 513u}) {
        auto x = random_vector(3 * cols, 9, 4.0f);
        x[0] = -3.4028234663852886e38f + x[0];
        k::softmax_rows(x.data(), 3, cols, cols);
        for (size_t r = 0; r < 3; ++r) {
            double s = 0;
            for (size_t j = 0; j < cols; ++j) s += x[r * cols + j];
            EXPECT_NEAR(s, 1.0, 1e-6);
        }
        if (cols > 1) {
            EXPECT_EQ(x[0], 0.0f);
        }
    }
}

TEST_P(AtEveryIsa, FullyMaskedRowIsUniformNotNaN) {
    std::vector<float> row(5, -3.4028234663852886e38f);
    k::softmax_rows(row.data(), 1, 5, 5);
    for (float v : row) EXPECT_FLOAT_EQ(v, 0.2f);
}

TEST_P(AtEveryIsa, StridedLayerNormLeavesThePaddingAlone) {
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
    k::add_layer_norm(y.data(), res.data(), rows, dim, g.data(), b.data(), 1e-12f, ld, 2);
    k::add_layer_norm(dense.data(), dense_res.data(), rows, dim, g.data(), b.data(), 1e-12f, dim, 1);
    for (size_t r = 0; r < rows; ++r) {
        for (size_t i = 0; i < dim; ++i) ASSERT_EQ(y[r * ld + i], dense[r * dim + i]) << r << " " << i;
        for (size_t i = dim; i < ld; ++i) ASSERT_EQ(y[r * ld + i], x[r * ld + i]) << "padding of row " << r;
    }
}

TEST_P(AtEveryIsa, ExpWithinTwoUlp) {
    std::vector<float> x;
    for (float v = -87.0f; v <= 88.0f; v += 0.01f) x.push_back(v);
    auto y = x;
    k::exp_inplace(y.data(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double e = std::exp(static_cast<double>(x[i]));
        worst = std::max(worst, std::fabs(y[i] - e) / e);
    }
    EXPECT_LE(worst, 2.5e-7);  // 2 ulp of float is 2.4e-7 relative
    std::vector<float> low{-100.f, -3.4e38f};
    k::exp_inplace(low.data(), low.size());
    EXPECT_LT(low[0], 1.17549435e-38f);  // below FLT_MIN: the vector kernels flush it to 0, libm keeps a denormal
    EXPECT_EQ(low[1], 0.f);
}

// A&S 7.1.26 approximates erf within 1.5e-7; evaluating it in float adds a few ulp (worst seen: 4.2e-7).
TEST_P(AtEveryIsa, ErfWithinAbramowitzStegunBoundPlusRounding) {
    std::vector<float> x;
    for (float v = -6.0f; v <= 6.0f; v += 0.001f) x.push_back(v);
    auto y = x;
    k::erf_inplace(y.data(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i)
        worst = std::max(worst, std::fabs(y[i] - std::erf(static_cast<double>(x[i]))));
    EXPECT_LE(worst, 5e-7);
}

TEST_P(AtEveryIsa, HalfAndBfloatConversion) {
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
TEST_P(AtEveryIsa, TopPCountMatchesTheHeapOnEveryLength) {
    std::mt19937 rng(7);
    std::vector<float> scratch;
    size_t checked = 0, mismatches = 0;
    size_t long_rows = 0, undecided = 0;  // rows the bisection leaves to the heap
    std::vector<size_t> lengths;
    for (size_t n = 0; n <= 80; ++n) lengths.push_back(n);
    for (size_t n : {96, 127, 128, 200, 383, 384, 511, 512, 513, 1000}) lengths.push_back(n);  // the bisection
    for (size_t n : lengths) {
        for (int trial = 0; trial < 40; ++trial) {
            std::vector<float> row =
                random_vector(n, static_cast<uint32_t>(n * 100 + trial), 1.0f + static_cast<float>(trial % 5));
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
#if ATTNSCOPE_X86_KERNELS
                if (k::use_avx2() && n > k::avx2::kTopPMaxLength && p < 1.0) {
                    std::vector<float> padded((n + 31) / 32 * 32);
                    ++long_rows;
                    undecided += k::avx2::top_p_count(row.data(), n, p, padded.data()) == 0;
                }
#endif
            }
        }
    }
    // Totals that meet p exactly, or miss it by one rounding, where only the largest-first double sum decides.
    for (size_t n : {128, 512, 1000}) {
        for (double p : {0.25, 0.5, 0.75, 0.9, 1.0}) {
            const std::vector<float> flat(n, 1.0f / static_cast<float>(n));
            std::vector<float> copy = flat;
            const size_t expect = k::top_p_count_heap(copy.data(), n, p);
            mismatches += k::top_p_count(flat.data(), n, p, scratch) != expect;
            EXPECT_EQ(k::top_p_count(flat.data(), n, p, scratch), expect) << "flat n=" << n << " p=" << p;
            for (double q : {std::nextafter(p, 0.0), std::nextafter(p, 2.0)}) {
                copy = flat;
                EXPECT_EQ(k::top_p_count(flat.data(), n, q, scratch), k::top_p_count_heap(copy.data(), n, q))
                    << "flat n=" << n << " p=" << q;
            }
            checked += 3;
        }
    }
    std::vector<float> odd(300, 0.003f);
    odd[7] = -0.001f;  // not a probability row: the heap decides
    std::vector<float> odd_copy = odd;
    EXPECT_EQ(k::top_p_count(odd.data(), odd.size(), 0.5, scratch),
              k::top_p_count_heap(odd_copy.data(), odd.size(), 0.5));
    odd[7] = NAN;
    odd_copy = odd;
    EXPECT_EQ(k::top_p_count(odd.data(), odd.size(), 0.5, scratch),
              k::top_p_count_heap(odd_copy.data(), odd.size(), 0.5));
    std::printf(
        "top_p_count: %zu rows of 0..1000 values, %zu differ from the heap; the bisection left %zu of %zu "
        "long rows to the heap\n",
        checked, mismatches, undecided, long_rows);
    EXPECT_LE(undecided * 20, long_rows);  // the fast path decides (almost) every row
    const std::vector<float> uniform(513, 1.0f / 513);
    EXPECT_EQ(k::top_p_count(uniform.data(), uniform.size(), 0.5, scratch), 257u);
}

TEST_P(AtEveryIsa, LogWithinTwoUlpOverTheAnalysesRange) {
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
    std::printf("log (%s): worst error %.3g (relative above 1, absolute below)\n", k::isa_name(GetParam()), worst);
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_LE(worst, 2.4e-7);  // 2 ulp of float
}

TEST(Kernels, ActivationStridesPadOnlyRowsThatAreWholeL1Ways) {
    // 4 KB = 1024 floats: one way of the 8-way L1.
    for (size_t floats : {1024u, 2048u, 3072u, 4096u}) EXPECT_EQ(k::activation_stride(floats), floats + 16) << floats;
    for (size_t floats : {256u, 384u, 512u, 768u, 1536u, 1000u})
        EXPECT_EQ(k::activation_stride(floats), floats) << floats;
}

TEST(Kernels, IsaLevelsAreOrderedAndCapped) {
    EXPECT_EQ(k::isa(), k::cpu_isa());
    k::cap_isa(k::Isa::Reference);
    EXPECT_EQ(k::isa(), k::Isa::Reference);
    EXPECT_FALSE(k::use_avx2());
    k::cap_isa(k::Isa::Avx512);
    EXPECT_EQ(k::isa(), k::cpu_isa());
#if !ATTNSCOPE_X86_KERNELS
    EXPECT_EQ(k::cpu_isa(), k::Isa::Reference);  // compiled out: only the reference kernels exist
#endif
}
