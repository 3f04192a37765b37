// Attention's matmuls (kernels/attention_ops.h) give gemm_packed's bits at every ISA level: the AVX-512
// tiles that span several panels against the generic tiles (AVX2) and the reference, on the head sizes of
// the families (16–64) and odd ones, short and long inputs, partial panels and K over one 256-long block.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kernels/attention_ops.h"
#include "kernels/isa.h"
#include "kernels/packed_gemm.h"
#include "random_data.h"

namespace k = attnscope::kernels;

namespace {

struct IsaScope {
    explicit IsaScope(k::Isa level) { k::cap_isa(level); }
    ~IsaScope() { k::cap_isa(k::Isa::Avx512); }
};

struct Head {
    size_t rows, n, d;
    std::vector<float> q, keys_rows, values_rows;  // Q [rows][d], K [n][d], V [n][d]
    k::AlignedFloats keys, values;
    std::vector<float> p;  // [rows][n]: a row-stochastic-looking A for P·V
    Head(size_t rows_, size_t n_, size_t d_) : rows(rows_), n(n_), d(d_) {
        q = random_vector(rows * d, 1);
        keys_rows = random_vector(n * d, 2);
        values_rows = random_vector(n * d, 3);
        p = random_vector(rows * n, 4, 0.05f);
        keys = k::AlignedFloats(k::packed_floats(d, n));
        values = k::AlignedFloats(k::packed_floats(n, d));
        k::pack_transposed(keys_rows.data(), n, d, d, keys.data());
        k::pack_rows(values_rows.data(), n, d, d, values.data());
    }
    k::PackedB key_b() const { return {keys.data(), d, n}; }
    k::PackedB value_b() const { return {values.data(), n, d}; }
};

// The scores and the context as the engine computes them at one ISA level; the rows past `rows` in the
// output (and the columns past n or d) are sentinels that must survive.
std::pair<std::vector<float>, std::vector<float>> run(const Head& h, k::Isa level) {
    IsaScope scope(level);
    const size_t lds = h.n + 3, ldc = h.d + 5;
    std::vector<float> s((h.rows + 1) * lds, 7.0f), c((h.rows + 1) * ldc, 7.0f);
    k::attention_scores(h.rows, h.q.data(), h.d, h.key_b(), 0.125f, s.data(), lds);
    k::attention_context(h.rows, h.p.data(), h.n, h.value_b(), c.data(), ldc);
    return {s, c};
}

}  // namespace

TEST(AttentionOps, SameBitsAsTheGenericGemmAtEveryIsaLevel) {
    size_t cases = 0;
    double worst_vs_reference = 0;
    for (size_t d : {16, 24, 32, 48, 64, 80}) {
        for (size_t n : {1, 7, 16, 17, 63, 64, 65, 255, 256, 257, 513}) {
            for (size_t rows : {1, 5, 6, 7, 13, 25, 48}) {
                if (rows > n) continue;
                const Head h(rows, n, d);
                const auto generic = run(h, k::Isa::Avx2 <= k::cpu_isa() ? k::Isa::Avx2 : k::Isa::Reference);
                const auto fast = run(h, k::cpu_isa());
                const auto reference = run(h, k::Isa::Reference);
                ASSERT_EQ(0, std::memcmp(generic.first.data(), fast.first.data(), generic.first.size() * 4))
                    << "scores, rows " << rows << " n " << n << " d " << d;
                ASSERT_EQ(0, std::memcmp(generic.second.data(), fast.second.data(), generic.second.size() * 4))
                    << "context, rows " << rows << " n " << n << " d " << d;
                const size_t lds = n + 3, ldc = d + 5;
                for (size_t i = 0; i <= rows; ++i) {
                    for (size_t j = i == rows ? 0 : n; j < lds; ++j) ASSERT_EQ(fast.first[i * lds + j], 7.0f);
                    for (size_t j = i == rows ? 0 : d; j < ldc; ++j) ASSERT_EQ(fast.second[i * ldc + j], 7.0f);
                }
                for (size_t i = 0; i < fast.first.size(); ++i)
                    worst_vs_reference = std::max(worst_vs_reference,
                                                  std::fabs(static_cast<double>(fast.first[i]) - reference.first[i]));
                for (size_t i = 0; i < fast.second.size(); ++i)
                    worst_vs_reference = std::max(worst_vs_reference,
                                                  std::fabs(static_cast<double>(fast.second[i]) - reference.second[i]));
                ++cases;
            }
        }
    }
    std::printf(
        "attention ops: %zu shapes bit-identical between %s and the generic tiles; worst difference to the "
        "float64 reference %.3g\n",
        cases, k::isa_name(k::cpu_isa()), worst_vs_reference);
    EXPECT_LT(worst_vs_reference, 2e-5);
}
