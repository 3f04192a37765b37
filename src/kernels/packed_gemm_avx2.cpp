// AVX2 driver and micro-kernels for gemm_packed (see packed_gemm.h for the layout and the why).
// A is read in place, row by row (six broadcast streams): packing it, as BLIS does, cost more here than it
// saved — its strided scalar stores took ~10% of the time at n = 128 × 32 (perf), because every A block
// is used by only N/16 panels.
#include <algorithm>
#include <vector>

#include "kernels/isa.h"
#include "kernels/packed_gemm.h"
#include "kernels/vecmath_avx2.h"

namespace attnscope::kernels::avx2 {
namespace {

constexpr size_t kKc = kKBlock;
// K per pass over C in the blocked path: C is read back and rewritten once per pass, so for BERT's
// K = 768 a single pass (no read-back at all) and for K = 3072 four instead of twelve. perf showed the
// read-back (finish_row) at 16% of a batch-32 forward with 256-long passes.
constexpr size_t kKPass = 768;
constexpr size_t kMc = 96;                     // M block: the packed A block (96 × 256 floats, 96 KB) stays in L2
constexpr size_t kMr = 6;                      // rows per micro-tile: 12 accumulators + 2 B vectors + 1 broadcast
constexpr size_t kStreamedBytes = 512 * 1024;  // a B this big is not in L2: it streams from L3 or DRAM
constexpr size_t kInterleavedTiles = 3;        // up to 18 rows: K blocks shared by the row tiles (see gemm_packed)
constexpr size_t kNc = 8;  // panels per group in the blocked path: 8 × 48 KB of B slices + the A block fit L2

enum Phase { kFirst = 1, kLast = 2 };

// Where the weights come from decides the software prefetch. Few rows of a big B (a linear layer's
// weights, more than kStreamedBytes): every weight is read once, from DRAM, and the stream is only as fast
// as the misses in flight. A T0 prefetch holds one of the L1's few miss buffers for a whole DRAM round
// trip; a T1 prefetch 12 KB ahead waits in the L2's larger queue, and the hardware L1 prefetcher brings
// the lines on from L2. bench: bert-base n = 8 13.2-14.2 → 11.2-11.3 ms, n = 16
// 19.2-21 → 16.2-16.6 ms (T1 at 8, 12, 16 and 24 KB; 12-16 KB best). Many rows: the weight slices are in
// L2 already and the T0 prefetch fetches them into L1 (T1 there was 2-5% slower at n = 512); so are attention's
// packed Kᵀ and V (128 KB per head at n = 512), whatever the rows.
enum class Source { Dram, L2 };

// Loads the 16 weights of one k step of a panel as two fp32 vectors, whatever the storage.
template <WeightStorage T>
inline void load_b(const uint8_t* bp, __m256& b0, __m256& b1) {
    if constexpr (T == WeightStorage::F32) {
        b0 = _mm256_load_ps(reinterpret_cast<const float*>(bp));
        b1 = _mm256_load_ps(reinterpret_cast<const float*>(bp) + 8);
    } else if constexpr (T == WeightStorage::F16) {
        b0 = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(bp)));
        b1 = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(bp) + 1));
    } else if constexpr (T == WeightStorage::BF16) {
        const __m128i lo = _mm_load_si128(reinterpret_cast<const __m128i*>(bp));
        const __m128i hi = _mm_load_si128(reinterpret_cast<const __m128i*>(bp) + 1);
        b0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(lo), 16));
        b1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(hi), 16));
    } else {
        const __m128i q = _mm_load_si128(reinterpret_cast<const __m128i*>(bp));
        b0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
        b1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
    }
}

// Reads one row of C (a partial sum from the previous K block) into two vectors.
inline void load_row(const float* c, size_t cols, __m256& v0, __m256& v1) {
    if (cols == kPanel) {
        v0 = _mm256_loadu_ps(c);
        v1 = _mm256_loadu_ps(c + 8);
        return;
    }
    alignas(32) float tmp[16] = {0};
    std::copy(c, c + cols, tmp);
    v0 = _mm256_load_ps(tmp);
    v1 = _mm256_load_ps(tmp + 8);
}

template <int R>
inline void finish_row(__m256 v0, __m256 v1, float* c, size_t cols, int phase, const Epilogue& ep, size_t row,
                       size_t col, const float* col_scale) {
    const bool full = cols == kPanel;
    alignas(32) float tmp[16];
    if (!(phase & kFirst)) {
        // The sum of the earlier K blocks, which the caller kept in C.
        __m256 p0, p1;
        load_row(c, cols, p0, p1);
        v0 = _mm256_add_ps(p0, v0);
        v1 = _mm256_add_ps(p1, v1);
    }
    if (phase & kLast) {
        if (col_scale) {
            // int8 weights: the per-column scale applies to the finished raw sum.
            v0 = _mm256_mul_ps(v0, _mm256_loadu_ps(col_scale + col));
            v1 = _mm256_mul_ps(v1, _mm256_loadu_ps(col_scale + col + 8));
        }
        if (ep.alpha != 1.0f) {
            const __m256 al = _mm256_set1_ps(ep.alpha);
            v0 = _mm256_mul_ps(v0, al);
            v1 = _mm256_mul_ps(v1, al);
        }
        auto add_vec = [&](const float* src) {
            __m256 a0, a1;
            load_row(src, cols, a0, a1);
            v0 = _mm256_add_ps(v0, a0);
            v1 = _mm256_add_ps(v1, a1);
        };
        if (ep.bias) add_vec(ep.bias + col);
        if (ep.residual) add_vec(ep.residual + row * ep.ldr + col);
        if (ep.activate) {
            v0 = activate256(v0, ep.activation);
            v1 = activate256(v1, ep.activation);
        }
    }
    if (full) {
        _mm256_storeu_ps(c, v0);
        _mm256_storeu_ps(c + 8, v1);
    } else {
        _mm256_store_ps(tmp, v0);
        _mm256_store_ps(tmp + 8, v1);
        std::copy(tmp, tmp + cols, c);
    }
}

// C's rows as the tile's running total (layout of `total` in tile()). Kept out of line: inside tile() it
// changed GCC's register allocation of the accumulators and halved the kernel's speed.
[[gnu::noinline]] void load_partial_sums(const float* c, size_t ldc, size_t cols, int rows, float* total) {
    for (int r = 0; r < rows; ++r) {
        __m256 p0, p1;
        load_row(c + static_cast<size_t>(r) * ldc, cols, p0, p1);
        _mm256_store_ps(total + r * 16, p0);
        _mm256_store_ps(total + r * 16 + 8, p1);
    }
}

// One R×16 tile of C over a kc-long slice: A panel kc × R (k-major), B panel kc × 16. The accumulators
// are named variables, not an array: GCC keeps an array of __m256 in memory and stores it back every
// iteration, which halves the kernel's speed (one store port).
template <int R, WeightStorage T, Source S>
void tile(size_t kc, const float* ap, size_t lda, const uint8_t* bp, float* c, size_t ldc, size_t cols, int phase,
          const Epilogue& ep, size_t row0, size_t col0, const float* col_scale) {
    constexpr size_t kStep = kPanel * (T == WeightStorage::F32 ? 4 : T == WeightStorage::I8 ? 1 : 2);
    // K is summed in blocks of kKc, each block from zero, and the block sums added in order: shorter
    // chains than one long FMA chain (its error grows with K), and the same numbers whether the caller
    // blocks K itself (many rows: C carries the sum between calls) or passes all of K at once (few rows:
    // the sum is carried in `total` here) — so a sequence's result does not depend on the batch it is in.
    alignas(32) float total[2 * R * 8];
    const float* a0 = ap;
    const float* a1 = ap + lda;
    const float* a2 = ap + 2 * lda;
    const float* a3 = ap + 3 * lda;
    const float* a4 = ap + 4 * lda;
    const float* a5 = ap + 5 * lda;
    // A later pass of the blocked path with several K blocks: C holds the sum of the earlier blocks, and
    // this pass's blocks are added to it one after the other — the same order as one pass over all of K.
    const bool carry = kc > kKc && !(phase & kFirst);
    if (carry) load_partial_sums(c, ldc, cols, R, total);
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    for (size_t k0 = 0; k0 < kc || k0 == 0; k0 += kKc) {
        const size_t k1 = std::min(kc, k0 + kKc);
        c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (size_t p = k0; p < k1; ++p) {
            if constexpr (S == Source::Dram) {
                _mm_prefetch(reinterpret_cast<const char*>(bp + 12288), _MM_HINT_T1);
            } else {
                _mm_prefetch(reinterpret_cast<const char*>(bp + 6144), _MM_HINT_T0);
            }
            __m256 b0, b1;
            load_b<T>(bp, b0, b1);
            bp += kStep;
            __m256 a = _mm256_broadcast_ss(a0 + p);
            c00 = _mm256_fmadd_ps(a, b0, c00);
            c01 = _mm256_fmadd_ps(a, b1, c01);
            if constexpr (R > 1) {
                a = _mm256_broadcast_ss(a1 + p);
                c10 = _mm256_fmadd_ps(a, b0, c10);
                c11 = _mm256_fmadd_ps(a, b1, c11);
            }
            if constexpr (R > 2) {
                a = _mm256_broadcast_ss(a2 + p);
                c20 = _mm256_fmadd_ps(a, b0, c20);
                c21 = _mm256_fmadd_ps(a, b1, c21);
            }
            if constexpr (R > 3) {
                a = _mm256_broadcast_ss(a3 + p);
                c30 = _mm256_fmadd_ps(a, b0, c30);
                c31 = _mm256_fmadd_ps(a, b1, c31);
            }
            if constexpr (R > 4) {
                a = _mm256_broadcast_ss(a4 + p);
                c40 = _mm256_fmadd_ps(a, b0, c40);
                c41 = _mm256_fmadd_ps(a, b1, c41);
            }
            if constexpr (R > 5) {
                a = _mm256_broadcast_ss(a5 + p);
                c50 = _mm256_fmadd_ps(a, b0, c50);
                c51 = _mm256_fmadd_ps(a, b1, c51);
            }
        }
        if (kc <= kKc) break;  // one block: the accumulators are the sum
        __m256* acc[12] = {&c00, &c01, &c10, &c11, &c20, &c21, &c30, &c31, &c40, &c41, &c50, &c51};
        for (int i = 0; i < 2 * R; ++i) {
            __m256 t = k0 > 0 || carry ? _mm256_add_ps(_mm256_load_ps(total + i * 8), *acc[i]) : *acc[i];
            _mm256_store_ps(total + i * 8, t);
        }
        if (k1 == kc) {
            for (int i = 0; i < 2 * R; ++i) *acc[i] = _mm256_load_ps(total + i * 8);
        }
    }
    // Several K blocks here: the earlier passes' sum is already in the accumulators.
    if (kc > kKc) phase |= kFirst;
    finish_row<R>(c00, c01, c, cols, phase, ep, row0, col0, col_scale);
    if constexpr (R > 1) finish_row<R>(c10, c11, c + ldc, cols, phase, ep, row0 + 1, col0, col_scale);
    if constexpr (R > 2) finish_row<R>(c20, c21, c + 2 * ldc, cols, phase, ep, row0 + 2, col0, col_scale);
    if constexpr (R > 3) finish_row<R>(c30, c31, c + 3 * ldc, cols, phase, ep, row0 + 3, col0, col_scale);
    if constexpr (R > 4) finish_row<R>(c40, c41, c + 4 * ldc, cols, phase, ep, row0 + 4, col0, col_scale);
    if constexpr (R > 5) finish_row<R>(c50, c51, c + 5 * ldc, cols, phase, ep, row0 + 5, col0, col_scale);
}

using TileFn = void (*)(size_t, const float*, size_t, const uint8_t*, float*, size_t, size_t, int, const Epilogue&,
                        size_t, size_t, const float*);
template <WeightStorage T, Source S>
constexpr TileFn kTilesOf[kMr + 1] = {nullptr,       tile<1, T, S>, tile<2, T, S>, tile<3, T, S>,
                                      tile<4, T, S>, tile<5, T, S>, tile<6, T, S>};

template <Source S>
const TileFn* tiles_for(WeightStorage t) {
    switch (t) {
        case WeightStorage::F16:
            return kTilesOf<WeightStorage::F16, S>;
        case WeightStorage::BF16:
            return kTilesOf<WeightStorage::BF16, S>;
        case WeightStorage::I8:
            return kTilesOf<WeightStorage::I8, S>;
        default:
            return kTilesOf<WeightStorage::F32, S>;
    }
}

struct RowTile {
    size_t offset, rows;
};

// Splits mb rows into tiles of at most max_rows, as even as possible (8 rows → 4 + 4, not 6 + 2).
void plan_tiles(size_t mb, std::vector<RowTile>& tiles, size_t max_rows = kMr) {
    tiles.clear();
    const size_t count = (mb + max_rows - 1) / max_rows;
    const size_t base = mb / count, extra = mb % count;
    size_t offset = 0;
    for (size_t t = 0; t < count; ++t) {
        size_t rows = base + (t < extra ? 1 : 0);
        tiles.push_back({offset, rows});
        offset += rows;
    }
}

// The blocked path's tile on an AVX-512 CPU: twelve rows' sums from the AVX-512 kernel, then the same
// epilogue as the AVX2 tile.
void wide_tile(int rows, size_t kc, const float* ap, size_t lda, const uint8_t* bp, float* c, size_t ldc, size_t cols,
               int phase, const Epilogue& ep, size_t row0, size_t col0) {
    alignas(64) float sums[avx512::kTileRows512 * 16];
    avx512::tile_sums(rows, kc, ap, lda, reinterpret_cast<const float*>(bp), c, ldc, cols,
                      kc > kKc && !(phase & kFirst), sums);
    if (kc > kKc) phase |= kFirst;  // the earlier passes' sum is already in `sums`
    for (int r = 0; r < rows; ++r) {
        finish_row<1>(_mm256_load_ps(sums + 16 * r), _mm256_load_ps(sums + 16 * r + 8),
                      c + static_cast<size_t>(r) * ldc, cols, phase, ep, row0 + static_cast<size_t>(r), col0, nullptr);
    }
}

}  // namespace

void gemm_packed(size_t m, const float* a, size_t lda, const PackedB& b, size_t p0, size_t p1, float* c, size_t ldc,
                 const Epilogue& ep) {
    if (m == 0 || p0 >= p1) return;
    thread_local std::vector<RowTile> tiles;
    const size_t bytes = storage_bytes(b.type);
    const size_t K = b.k;
    if (K == 0) {
        // A·B is empty: the result is the epilogue of zeros.
        for (size_t p = p0; p < p1; ++p) {
            const size_t cols = std::min(kPanel, b.n - p * kPanel);
            for (size_t i = 0; i < m; ++i)
                finish_row<1>(_mm256_setzero_ps(), _mm256_setzero_ps(), c + i * ldc + p * kPanel, cols, kFirst | kLast,
                              ep, i, p * kPanel, nullptr);
        }
        return;
    }
    if (m <= kMc) {
        // Few rows (short inputs): sweep the packed weights in memory order, panel after panel, each over the
        // whole K (no K blocks: C is stored once per tile). The weight stream is one linear read that the
        // prefetcher (and the software prefetch in tile()) runs ahead of; A (m × K) stays in L2.
        const bool streamed = K * b.panels() * kPanel * bytes > kStreamedBytes;
        const TileFn* kTiles = streamed ? tiles_for<Source::Dram>(b.type) : tiles_for<Source::L2>(b.type);
        plan_tiles(m, tiles);
        if (streamed && tiles.size() <= kInterleavedTiles && tiles.size() > 1) {
            // A handful of rows, so the forward waits on the weight stream: the row tiles take turns on each
            // 256-long K block while it is in L1, instead of each sweeping the whole panel (the second sweep
            // from L2, with no DRAM read in flight meanwhile). C carries the sum between blocks, in the same
            // order as the whole-K tile. bench: bert-base n = 8 13.7-14.9 → 10.6-11.7 ms; no gain at n = 32.
            for (size_t p = p0; p < p1; ++p) {
                const size_t cols = std::min(kPanel, b.n - p * kPanel);
                for (size_t k0 = 0; k0 < K; k0 += kKc) {
                    const size_t kc = std::min(kKc, K - k0);
                    const int phase = (k0 == 0 ? kFirst : 0) | (k0 + kc >= K ? kLast : 0);
                    const uint8_t* bp = b.panel_bytes(p) + k0 * kPanel * bytes;
                    for (const RowTile& t : tiles) {
                        kTiles[t.rows](kc, a + t.offset * lda + k0, lda, bp, c + t.offset * ldc + p * kPanel, ldc, cols,
                                       phase, ep, t.offset, p * kPanel, b.column_scale);
                    }
                }
            }
            return;
        }
        for (size_t p = p0; p < p1; ++p) {
            const size_t cols = std::min(kPanel, b.n - p * kPanel);
            for (const RowTile& t : tiles) {
                kTiles[t.rows](K, a + t.offset * lda, lda, b.panel_bytes(p), c + t.offset * ldc + p * kPanel, ldc, cols,
                               kFirst | kLast, ep, t.offset, p * kPanel, b.column_scale);
            }
        }
        return;
    }
    const TileFn* kTiles = tiles_for<Source::L2>(b.type);
    const bool wide = b.type == WeightStorage::F32 && use_avx512();
    const size_t tile_rows = wide ? static_cast<size_t>(avx512::kTileRows512) : kMr;
    // Equal M blocks of at most kMc rows (128 rows → 64 + 64, not 96 + 32 with its short tiles).
    const size_t m_blocks = (m + kMc - 1) / kMc;
    const size_t block_rows = (m + m_blocks - 1) / m_blocks;
    // Many rows (long inputs, batches): for each pass of kKPass over K, groups of kNc panels whose slices stay
    // in L2 while every M block passes over them; each M block's rows come from L2 too.
    for (size_t k0 = 0; k0 < K; k0 += kKPass) {
        const size_t kc = std::min(kKPass, K - k0);
        const int phase = (k0 == 0 ? kFirst : 0) | (k0 + kc >= K ? kLast : 0);
        for (size_t g0 = p0; g0 < p1; g0 += kNc) {
            const size_t g1 = std::min(p1, g0 + kNc);
            for (size_t m0 = 0; m0 < m; m0 += block_rows) {
                const size_t mb = std::min(block_rows, m - m0);
                plan_tiles(mb, tiles, tile_rows);
                // The next M block's rows will be read by six broadcast streams that the hardware prefetcher
                // picks up too late; fetch them into L2 while this block runs (~16 panels of work).
                for (size_t r = m0 + mb; r < std::min(m, m0 + 2 * mb); ++r)
                    for (size_t kk = 0; kk < kc; kk += 16)
                        _mm_prefetch(reinterpret_cast<const char*>(a + r * lda + k0 + kk), _MM_HINT_T1);
                for (size_t p = g0; p < g1; ++p) {
                    const uint8_t* bp = b.panel_bytes(p) + k0 * kPanel * bytes;
                    const size_t cols = std::min(kPanel, b.n - p * kPanel);
                    for (const RowTile& t : tiles) {
                        const float* at = a + (m0 + t.offset) * lda + k0;
                        float* ct = c + (m0 + t.offset) * ldc + p * kPanel;
                        if (wide) {
                            wide_tile(static_cast<int>(t.rows), kc, at, lda, bp, ct, ldc, cols, phase, ep,
                                      m0 + t.offset, p * kPanel);
                        } else {
                            kTiles[t.rows](kc, at, lda, bp, ct, ldc, cols, phase, ep, m0 + t.offset, p * kPanel,
                                           b.column_scale);
                        }
                    }
                }
            }
        }
    }
}

}  // namespace attnscope::kernels::avx2
