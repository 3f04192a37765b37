// Is the GEMM's register tile what limits it? The engine's AVX2 6×16 tile (six broadcasts, two B vectors,
// twelve FMAs per k step) against two AVX-512 tiles (12×16 with one zmm per row, 6×32 over two panels),
// all in steady state with A and B in L1, one core; then the 6×16 tile against AVX-512 12×16 and 24×16
// tiles inside the loop nest of the engine's blocked path (M blocks of 96 rows, groups of 8 panels, K = 768
// in one pass, so A and B come from L2). docs/performance.md quotes its output.
//
//     g++ -O3 -std=c++20 bench/register_tile.cpp -o /tmp/register_tile && /tmp/register_tile
// (needs a CPU with AVX-512F for the last two columns)
#include <immintrin.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>
// kEngineLoop = false: steady state, the accumulators summed into c[16]; true: as in the engine's blocked
// path, B prefetched 6 KB ahead into L1 and the six rows of C stored (row stride ldc).
template <bool kEngineLoop>
__attribute__((target("avx2,fma"), noinline)) void k6x16(size_t K, const float* a, size_t lda, const float* b, float* c,
                                                         size_t ldc) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
           c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda, *a5 = a + 5 * lda;
    for (size_t p = 0; p < K; ++p) {
        if constexpr (kEngineLoop) _mm_prefetch(reinterpret_cast<const char*>(b + 1536), _MM_HINT_T0);
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        b += 16;
        __m256 x = _mm256_broadcast_ss(a0 + p);
        c00 = _mm256_fmadd_ps(x, b0, c00);
        c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a1 + p);
        c10 = _mm256_fmadd_ps(x, b0, c10);
        c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a2 + p);
        c20 = _mm256_fmadd_ps(x, b0, c20);
        c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a3 + p);
        c30 = _mm256_fmadd_ps(x, b0, c30);
        c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a4 + p);
        c40 = _mm256_fmadd_ps(x, b0, c40);
        c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a5 + p);
        c50 = _mm256_fmadd_ps(x, b0, c50);
        c51 = _mm256_fmadd_ps(x, b1, c51);
    }
    if constexpr (kEngineLoop) {
        __m256* r[12] = {&c00, &c01, &c10, &c11, &c20, &c21, &c30, &c31, &c40, &c41, &c50, &c51};
        for (int i = 0; i < 6; ++i) {
            _mm256_storeu_ps(c + i * ldc, *r[2 * i]);
            _mm256_storeu_ps(c + i * ldc + 8, *r[2 * i + 1]);
        }
    } else {
        __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c00, c01), _mm256_add_ps(c10, c11)),
                                 _mm256_add_ps(_mm256_add_ps(c20, c21), _mm256_add_ps(c30, c31)));
        s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c40, c41), _mm256_add_ps(c50, c51)));
        _mm256_storeu_ps(c, s);
    }
}
#define ROW(i) __m512 c##i = _mm512_setzero_ps();
__attribute__((target("avx512f"), noinline)) void k12x16(size_t K, const float* a, size_t lda, const float* b,
                                                         float* c) {
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11) const float* ar[12];
    for (int i = 0; i < 12; ++i) ar[i] = a + i * lda;
    for (size_t p = 0; p < K; ++p) {
        __m512 b0 = _mm512_load_ps(b);
        b += 16;
#define F(i) c##i = _mm512_fmadd_ps(_mm512_set1_ps(ar[i][p]), b0, c##i);
        F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11)
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    _mm512_storeu_ps(c, s);
}
__attribute__((target("avx512f"), noinline)) void k6x32(size_t K, const float* a, size_t lda, const float* b,
                                                        const float* b2, float* c) {
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11) const float* ar[6];
    for (int i = 0; i < 6; ++i) ar[i] = a + i * lda;
    for (size_t p = 0; p < K; ++p) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b2);
        b += 16;
        b2 += 16;
        __m512 x;
        x = _mm512_set1_ps(ar[0][p]);
        c0 = _mm512_fmadd_ps(x, b0, c0);
        c1 = _mm512_fmadd_ps(x, b1, c1);
        x = _mm512_set1_ps(ar[1][p]);
        c2 = _mm512_fmadd_ps(x, b0, c2);
        c3 = _mm512_fmadd_ps(x, b1, c3);
        x = _mm512_set1_ps(ar[2][p]);
        c4 = _mm512_fmadd_ps(x, b0, c4);
        c5 = _mm512_fmadd_ps(x, b1, c5);
        x = _mm512_set1_ps(ar[3][p]);
        c6 = _mm512_fmadd_ps(x, b0, c6);
        c7 = _mm512_fmadd_ps(x, b1, c7);
        x = _mm512_set1_ps(ar[4][p]);
        c8 = _mm512_fmadd_ps(x, b0, c8);
        c9 = _mm512_fmadd_ps(x, b1, c9);
        x = _mm512_set1_ps(ar[5][p]);
        c10 = _mm512_fmadd_ps(x, b0, c10);
        c11 = _mm512_fmadd_ps(x, b1, c11);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    _mm512_storeu_ps(c, s);
}
// One macro call per register reads as the tile it is: kept as written.
// clang-format off
// The blocked path's AVX-512 tiles: C rows stored, B prefetched 6 KB ahead into L1 as in the engine.
#define BZ(i) __m512 c##i = _mm512_setzero_ps();
#define BF(i) c##i = _mm512_fmadd_ps(_mm512_set1_ps(a[i * lda + p]), b0, c##i);
#define BS(i) _mm512_storeu_ps(c + i * ldc, c##i);
template <int R>
__attribute__((target("avx512f"), noinline)) void bz16(size_t K, const float* a, size_t lda, const float* b, float* c, size_t ldc) {
    BZ(0) BZ(1) BZ(2) BZ(3) BZ(4) BZ(5) BZ(6) BZ(7) BZ(8) BZ(9) BZ(10) BZ(11)
    BZ(12) BZ(13) BZ(14) BZ(15) BZ(16) BZ(17) BZ(18) BZ(19) BZ(20) BZ(21) BZ(22) BZ(23)
    for (size_t p = 0; p < K; ++p) {
        _mm_prefetch(reinterpret_cast<const char*>(b + 1536), _MM_HINT_T0);
        __m512 b0 = _mm512_load_ps(b); b += 16;
        BF(0) BF(1) BF(2) BF(3) BF(4) BF(5) BF(6) BF(7) BF(8) BF(9) BF(10) BF(11)
        if constexpr (R > 12) { BF(12) BF(13) BF(14) BF(15) BF(16) BF(17) BF(18) BF(19) BF(20) BF(21) BF(22) BF(23) }
    }
    BS(0) BS(1) BS(2) BS(3) BS(4) BS(5) BS(6) BS(7) BS(8) BS(9) BS(10) BS(11)
    if constexpr (R > 12) { BS(12) BS(13) BS(14) BS(15) BS(16) BS(17) BS(18) BS(19) BS(20) BS(21) BS(22) BS(23) }
}
// clang-format on

// The engine's blocked loop nest over an m × 768 × 768 product with one of the tiles above.
void blocked_pass(int tile_rows, const std::vector<float>& A, const float* B, std::vector<float>& C, size_t m) {
    const size_t K = 768, N = 768, panels = N / 16, Mc = 96, Nc = 8;
    for (size_t g0 = 0; g0 < panels; g0 += Nc)
        for (size_t m0 = 0; m0 < m; m0 += Mc)
            for (size_t p = g0; p < g0 + Nc; ++p)
                for (size_t r = m0; r < m0 + Mc; r += static_cast<size_t>(tile_rows)) {
                    const float* a = A.data() + r * K;
                    float* c = C.data() + r * N + p * 16;
                    const float* b = B + p * K * 16;
                    if (tile_rows == 6)
                        k6x16<true>(K, a, K, b, c, N);
                    else if (tile_rows == 12)
                        bz16<12>(K, a, K, b, c, N);
                    else
                        bz16<24>(K, a, K, b, c, N);
                }
}

template <class F>
double gflops(F&& kernel, int calls, double flops_per_call) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) kernel();
    return flops_per_call * calls / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 1e9;
}

int main() {
    const size_t K = 256, lda = 768;
    std::vector<float> a(12 * lda, 0.001f);
    float* b = static_cast<float*>(aligned_alloc(64, K * 16 * 4 * 2));
    for (size_t i = 0; i < K * 32; ++i) b[i] = 0.5f;
    alignas(64) float c[16];
    const double flops = 2.0 * 12 * 16 * K;  // per call of the 12-row kernels; the 6-row one is called twice
    const char* names[3] = {"AVX2 6x16", "AVX-512 12x16", "AVX-512 6x32"};
    std::vector<double> rates[3];
    for (int rep = 0; rep < 8; ++rep) {  // interleaved, so that a noisy neighbour hits all three alike
        const int calls = 100000;
        const double r0 = gflops(
            [&] {
                k6x16<false>(K, a.data(), lda, b, c, 0);
                k6x16<false>(K, a.data() + 6 * lda, lda, b, c, 0);
            },
            calls, flops);
        const double r1 = gflops([&] { k12x16(K, a.data(), lda, b, c); }, calls, flops);
        const double r2 = gflops([&] { k6x32(K, a.data(), lda, b, b + K * 16, c); }, calls, flops);
        if (rep == 0) continue;  // warm-up
        rates[0].push_back(r0);
        rates[1].push_back(r1);
        rates[2].push_back(r2);
    }
    std::printf("steady state, operands in L1, one core, 7 runs: GFLOP/s median (min-max)\n");
    for (int k = 0; k < 3; ++k) {
        std::sort(rates[k].begin(), rates[k].end());
        std::printf("  %-14s %6.1f (%.1f-%.1f)\n", names[k], rates[k][rates[k].size() / 2], rates[k].front(),
                    rates[k].back());
    }
    std::free(b);

    // Blocked path: 4032 rows (42 M blocks of 96), A and B from L2. Run two copies at once to see both
    // cores busy (they share the L3 and the memory bus, as the engine's two threads do).
    const size_t m = 4032;
    std::vector<float> A(m * 768, 0.001f), C(m * 768);
    float* B = static_cast<float*>(aligned_alloc(64, 768 * 768 * 4));
    for (size_t i = 0; i < 768 * 768; ++i) B[i] = 0.5f;
    const int tile_rows[3] = {6, 12, 24};
    const char* tile_names[3] = {"AVX2 6x16", "AVX-512 12x16", "AVX-512 24x16"};
    std::vector<double> blocked[3];
    for (int rep = 0; rep < 6; ++rep) {
        for (int t = 0; t < 3; ++t) {
            const double r = gflops([&] { blocked_pass(tile_rows[t], A, B, C, m); }, 3, 2.0 * m * 768 * 768);
            if (rep > 0) blocked[t].push_back(r);
        }
    }
    std::printf("blocked loop nest, %zu x 768 x 768, one core, 5 runs: GFLOP/s median (min-max)\n", m);
    for (int t = 0; t < 3; ++t) {
        std::sort(blocked[t].begin(), blocked[t].end());
        std::printf("  %-14s %6.1f (%.1f-%.1f)\n", tile_names[t], blocked[t][blocked[t].size() / 2], blocked[t].front(),
                    blocked[t].back());
    }
    std::free(B);
    return c[0] == 12345.0f && C[0] == 12345.0f;  // keeps the results live
}
