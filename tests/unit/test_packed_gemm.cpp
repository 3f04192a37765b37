// gemm_packed against its reference on odd shapes, all three driver paths (few rows: K blocks shared by up
// to three row tiles, or one linear sweep of the packed weights; many rows: cache-blocked), every epilogue,
// and the packing helpers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/isa.h"
#include "kernels/packed_gemm.h"
#include "random_data.h"

namespace k = attnscope::kernels;
using attnscope::Activation;
using attnscope::WeightStorage;

TEST(PackedGemm, PackTransposedAndRowsLayout) {
    // W [n=18][k=3]: B = Wᵀ; element (kk, c) of panel p is W[16p + c][kk].
    auto w = random_vector(18 * 3, 1);
    k::AlignedFloats out(k::packed_floats(3, 18));
    k::pack_transposed(w.data(), 18, 3, 3, out.data());
    for (size_t c = 0; c < 18; ++c)
        for (size_t kk = 0; kk < 3; ++kk) EXPECT_EQ(out.data()[(c / 16 * 3 + kk) * 16 + c % 16], w[c * 3 + kk]);
    EXPECT_EQ(out.data()[(1 * 3 + 0) * 16 + 5], 0.f);  // padding columns are zero
    // pack_rows of the transpose gives the same panels.
    std::vector<float> wt(3 * 18);
    for (size_t c = 0; c < 18; ++c)
        for (size_t kk = 0; kk < 3; ++kk) wt[kk * 18 + c] = w[c * 3 + kk];
    k::AlignedFloats out2(k::packed_floats(3, 18));
    k::pack_rows(wt.data(), 3, 18, 18, out2.data());
    for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out.data()[i], out2.data()[i]);
}

struct Shape {
    size_t m, k, n;
};

class PackedGemmShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(PackedGemmShapes, MatchesReferenceWithEveryEpilogue) {
    const auto [m, kk, n] = GetParam();
    const size_t lda = kk + 3, ldc = n + 5;
    auto a = random_vector(m * lda, 2), w = random_vector(n * kk, 3, 0.1f), bias = random_vector(n, 4),
         res = random_vector(m * ldc, 5);
    k::AlignedFloats packed(k::packed_floats(kk, n));
    k::pack_transposed(w.data(), n, kk, kk, packed.data());
    const k::PackedB b{packed.data(), kk, n};
    std::vector<k::Epilogue> eps(4);
    eps[1].alpha = 0.125f;
    eps[2].bias = bias.data();
    eps[2].residual = res.data();
    eps[2].ldr = ldc;
    eps[3].bias = bias.data();
    eps[3].activate = true;
    eps[3].activation = Activation::GeluErf;
    for (size_t e = 0; e < eps.size(); ++e) {
        std::vector<float> c(m * ldc, 7.f), c_ref(m * ldc, 7.f);
        k::gemm_packed(m, a.data(), lda, b, 0, b.panels(), c.data(), ldc, eps[e]);
        k::ref::gemm_packed(m, a.data(), lda, b, 0, b.panels(), c_ref.data(), ldc, eps[e]);
        double worst = 0;
        for (size_t i = 0; i < c.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(c[i]) - c_ref[i]));
        EXPECT_LE(worst, 2e-5 * std::sqrt(static_cast<double>(kk) + 1))
            << "m=" << m << " k=" << kk << " n=" << n << " epilogue " << e;
        // Columns outside C's n (the ldc padding) are untouched.
        for (size_t i = 0; i < m; ++i)
            for (size_t j = n; j < ldc; ++j) ASSERT_EQ(c[i * ldc + j], 7.f);
    }
}

// m ≤ 96 takes the single-sweep path, m > 96 the blocked one; a B over 512 KB streams (other prefetch), and
// then up to 18 rows share K blocks between the row tiles; k crosses the 256 block; n has tails.
INSTANTIATE_TEST_SUITE_P(Kernels, PackedGemmShapes,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 7, 5}, Shape{2, 33, 17}, Shape{7, 256, 16},
                                           Shape{8, 257, 48}, Shape{13, 600, 31}, Shape{96, 64, 64}, Shape{97, 64, 64},
                                           Shape{200, 513, 40}, Shape{513, 64, 513}, Shape{64, 0, 16},
                                           Shape{13, 2100, 70}, Shape{5, 2100, 70}, Shape{40, 1100, 130}));

TEST(PackedGemm, PanelRangesWriteOnlyTheirColumns) {
    const size_t m = 5, kk = 20, n = 64;
    auto a = random_vector(m * kk, 6), w = random_vector(n * kk, 7);
    k::AlignedFloats packed(k::packed_floats(kk, n));
    k::pack_transposed(w.data(), n, kk, kk, packed.data());
    const k::PackedB b{packed.data(), kk, n};
    std::vector<float> c(m * n, -1.f), full(m * n);
    k::gemm_packed(m, a.data(), kk, b, 1, 3, c.data(), n, {});
    k::gemm_packed(m, a.data(), kk, b, 0, 4, full.data(), n, {});
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
            if (j >= 16 && j < 48)
                EXPECT_EQ(c[i * n + j], full[i * n + j]);
            else
                EXPECT_EQ(c[i * n + j], -1.f);
        }
}

TEST(PackedGemm, ParallelEqualsSerial) {
    const size_t m = 40, kk = 300, n = 200;
    auto a = random_vector(m * kk, 8), w = random_vector(n * kk, 9);
    k::AlignedFloats packed(k::packed_floats(kk, n));
    k::pack_transposed(w.data(), n, kk, kk, packed.data());
    const k::PackedB b{packed.data(), kk, n};
    std::vector<float> c1(m * n), c2(m * n);
    k::gemm_packed(m, a.data(), kk, b, 0, b.panels(), c1.data(), n, {});
    for (int threads : {1, 2, 3, 7}) {
        std::fill(c2.begin(), c2.end(), 0.f);
        k::gemm_packed_parallel(m, a.data(), kk, b, c2.data(), n, {}, threads);
        EXPECT_EQ(c1, c2) << threads
                          << " threads";  // each column is computed by the same code whichever thread runs it
    }
}

TEST(PackedGemm, RowsGiveTheSameBitsAloneOrInABigBatch) {
    // A sentence's numbers must not depend on the batch it is in: the few-rows path (one sweep over all of
    // K, or for up to three row tiles K blocks taken in turns with C carrying the sum — these 7-row pieces)
    // and the many-rows path (K in passes, C carried between them) add the same K blocks in the same
    // order. K values cover one pass, several passes, and a partial last block.
    for (size_t kk : {200, 768, 1000, 3072}) {
        const size_t m = 300, n = 40;
        auto a = random_vector(m * kk, 13), w = random_vector(n * kk, 14, 0.1f), bias = random_vector(n, 15),
             res = random_vector(m * n, 16);
        k::AlignedFloats packed(k::packed_floats(kk, n));
        k::pack_transposed(w.data(), n, kk, kk, packed.data());
        const k::PackedB b{packed.data(), kk, n};
        k::Epilogue ep;
        ep.bias = bias.data();
        ep.residual = res.data();
        ep.ldr = n;
        std::vector<float> batch(m * n), alone(m * n);
        k::gemm_packed(m, a.data(), kk, b, 0, b.panels(), batch.data(), n, ep);
        for (size_t r0 = 0; r0 < m; r0 += 7) {
            const size_t rows = std::min<size_t>(7, m - r0);
            k::Epilogue one = ep;
            one.residual = res.data() + r0 * n;
            k::gemm_packed(rows, a.data() + r0 * kk, kk, b, 0, b.panels(), alone.data() + r0 * n, n, one);
        }
        EXPECT_EQ(batch, alone) << "K = " << kk;
    }
}

TEST(PackedGemm, Avx512TilesGiveTheAvx2Bits) {
    // On an AVX-512 CPU the blocked path runs 12-row AVX-512 tiles; each lane must do exactly what the AVX2
    // tile does for its column, so both give the same bits — with every epilogue, partial panels, several
    // K passes and a partial last K block.
    if (k::cpu_isa() < k::Isa::Avx512) GTEST_SKIP() << "this CPU has no AVX-512F: only the AVX2 tiles exist here";
    struct Restore {
        ~Restore() { k::cap_isa(k::Isa::Avx512); }
    } restore;
    for (Shape sh :
         {Shape{97, 64, 64}, Shape{130, 768, 33}, Shape{200, 513, 40}, Shape{300, 3072, 48}, Shape{513, 64, 513}}) {
        auto a = random_vector(sh.m * sh.k, 17), w = random_vector(sh.n * sh.k, 18, 0.1f),
             bias = random_vector(sh.n, 19), res = random_vector(sh.m * sh.n, 20);
        k::AlignedFloats packed(k::packed_floats(sh.k, sh.n));
        k::pack_transposed(w.data(), sh.n, sh.k, sh.k, packed.data());
        const k::PackedB b{packed.data(), sh.k, sh.n};
        std::vector<k::Epilogue> eps(3);
        eps[0].alpha = 0.125f;
        eps[1].bias = bias.data();
        eps[1].residual = res.data();
        eps[1].ldr = sh.n;
        eps[2].bias = bias.data();
        eps[2].activate = true;
        for (const k::Epilogue& ep : eps) {
            std::vector<float> wide(sh.m * sh.n), narrow(sh.m * sh.n);
            k::cap_isa(k::Isa::Avx512);
            k::gemm_packed(sh.m, a.data(), sh.k, b, 0, b.panels(), wide.data(), sh.n, ep);
            k::cap_isa(k::Isa::Avx2);
            k::gemm_packed(sh.m, a.data(), sh.k, b, 0, b.panels(), narrow.data(), sh.n, ep);
            EXPECT_EQ(wide, narrow) << "m=" << sh.m << " k=" << sh.k << " n=" << sh.n;
        }
    }
}

class StorageTypes : public ::testing::TestWithParam<WeightStorage> {};

TEST_P(StorageTypes, KernelMatchesReferenceOnTheStoredValues) {
    // The kernel must compute exactly what the stored (rounded or quantised) weights say, on both paths.
    for (Shape sh : {Shape{5, 300, 40}, Shape{11, 600, 40}, Shape{130, 520, 33}}) {
        auto a = random_vector(sh.m * sh.k, 10), w = random_vector(sh.n * sh.k, 11, 0.1f),
             bias = random_vector(sh.n, 12);
        std::vector<const float*> rows;
        for (size_t c = 0; c < sh.n; ++c) rows.push_back(w.data() + c * sh.k);
        auto packed = k::pack_weights(rows.data(), sh.n, sh.k, GetParam());
        k::Epilogue ep;
        ep.bias = bias.data();
        std::vector<float> c(sh.m * sh.n), c_ref(sh.m * sh.n);
        k::gemm_packed(sh.m, a.data(), sh.k, packed.b, 0, packed.b.panels(), c.data(), sh.n, ep);
        k::ref::gemm_packed(sh.m, a.data(), sh.k, packed.b, 0, packed.b.panels(), c_ref.data(), sh.n, ep);
        double worst = 0;
        for (size_t i = 0; i < c.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(c[i]) - c_ref[i]));
        EXPECT_LE(worst, 1e-4) << attnscope::weight_storage_name(GetParam()) << " m=" << sh.m;
    }
}

TEST_P(StorageTypes, StoredWeightsStayCloseToFp32) {
    const size_t m = 4, kk = 256, n = 32;
    auto a = random_vector(m * kk, 13), w = random_vector(n * kk, 14, 0.05f);
    std::vector<const float*> rows;
    for (size_t c = 0; c < n; ++c) rows.push_back(w.data() + c * kk);
    auto exact = k::pack_weights(rows.data(), n, kk, WeightStorage::F32);
    auto fast = k::pack_weights(rows.data(), n, kk, GetParam());
    std::vector<float> c1(m * n), c2(m * n);
    k::gemm_packed(m, a.data(), kk, exact.b, 0, exact.b.panels(), c1.data(), n, {});
    k::gemm_packed(m, a.data(), kk, fast.b, 0, fast.b.panels(), c2.data(), n, {});
    double worst = 0, scale = 0;
    for (size_t i = 0; i < c1.size(); ++i) {
        worst = std::max(worst, std::fabs(static_cast<double>(c1[i]) - c2[i]));
        scale = std::max(scale, std::fabs(static_cast<double>(c1[i])));
    }
    // Relative error bounds of the storage formats: fp16 2^-11, bf16 2^-8, int8 1/254 of the row max.
    const double bound = GetParam() == WeightStorage::F32    ? 0
                         : GetParam() == WeightStorage::F16  ? 2e-3
                         : GetParam() == WeightStorage::BF16 ? 1e-2
                                                             : 3e-2;
    EXPECT_LE(worst / scale, bound) << attnscope::weight_storage_name(GetParam());
    if (GetParam() != WeightStorage::F32) {
        EXPECT_GT(worst, 0.0);
    }
}

INSTANTIATE_TEST_SUITE_P(Kernels, StorageTypes,
                         ::testing::Values(WeightStorage::F32, WeightStorage::F16, WeightStorage::BF16,
                                           WeightStorage::I8),
                         [](const auto& info) { return std::string(attnscope::weight_storage_name(info.param)); });
