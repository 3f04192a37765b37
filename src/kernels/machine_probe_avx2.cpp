#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernels/avx2.h"

namespace attnscope::kernels::avx2 {
namespace {

// 12 independent accumulators cover FMA latency × throughput (4 cycles × 2 pipes) with room to spare.
__attribute__((noinline)) float fma_chains(long iterations, float seed) {
    __m256 a[12];
    for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(seed + static_cast<float>(i));
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it) {
        for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], m, c);
    }
    __m256 s = a[0];
    for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, a[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

double measure_peak_gflops(int threads) {
    const long iterations = 20'000'000;
    double best = 0;
    volatile float sink = 0;
    for (int rep = 0; rep < 5; ++rep) {
        auto t0 = std::chrono::steady_clock::now();
        float acc = 0;
#pragma omp parallel num_threads(threads) reduction(+ : acc)
        acc += fma_chains(iterations, static_cast<float>(omp_get_thread_num()));
        double s = seconds_since(t0);
        sink = sink + acc;
        best = std::max(best, static_cast<double>(iterations) * 12 * 8 * 2 * threads / s / 1e9);
    }
    return best;
}

double measure_read_bandwidth(int threads, size_t bytes) {
    const size_t n = bytes / sizeof(float);
    std::unique_ptr<float, decltype(&std::free)> buf(static_cast<float*>(std::aligned_alloc(64, n * sizeof(float))),
                                                     &std::free);
    if (!buf) return 0.0;
    float* p = buf.get();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long i = 0; i < static_cast<long>(n); ++i) p[i] = 1.0f;  // first touch by the thread that reads it
    double best = 0;
    volatile float sink = 0;
    for (int rep = 0; rep < 5; ++rep) {
        auto t0 = std::chrono::steady_clock::now();
        float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
        {
            const int t = omp_get_thread_num(), nt = omp_get_num_threads();
            const size_t begin = n / static_cast<size_t>(nt) * static_cast<size_t>(t) / 8 * 8;
            const size_t end =
                t == nt - 1 ? n / 8 * 8 : n / static_cast<size_t>(nt) * static_cast<size_t>(t + 1) / 8 * 8;
            __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
            for (size_t i = begin; i + 32 <= end; i += 32) {
                s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
                s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
                s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
                s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
            }
            float out[8];
            _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
            total += out[0];
        }
        double s = seconds_since(t0);
        sink = sink + total;
        best = std::max(best, static_cast<double>(n * sizeof(float)) / s / 1e9);
    }
    return best;
}

}  // namespace attnscope::kernels::avx2
