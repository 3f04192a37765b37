// The GEMM-level tables behind two choices of the engine, each printed with the thread count:
//   1. the packed-weight GEMM against OpenBLAS's sgemm on BERT's linear-layer shapes;
//   2. the activation row stride (kernels::activation_stride): dense against padded rows.
// A developer benchmark over the kernels (not a face of the library): build/attnscope_bench_gemm [--threads N]
#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>
#include <vector>

#include <cstdlib>
#include <cstring>

#include "cli/timing_stats.h"
#include "kernels/packed_gemm.h"
#include "kernels/threads.h"

namespace attnscope::cli {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// OpenBLAS sgemm, Y[m][n] = X[m][k] · W[n][k]ᵀ, as a linear layer calls it.
void blas_sgemm_nt(size_t m, size_t n, size_t k, const float* x, const float* w, float* y) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                1.0f, x, static_cast<int>(k), w, static_cast<int>(k), 0.0f, y, static_cast<int>(n));
}

// A linear layer's random weights W [out][in], as PyTorch stores them and as the engine packs them.
struct RandomWeights {
    std::vector<float> w;
    kernels::PackedWeights packed;
};

RandomWeights random_weights(size_t in, size_t out, std::mt19937& rng) {
    std::normal_distribution<float> dist(0.f, 1.f);
    RandomWeights r;
    r.w.resize(out * in);
    for (auto& v : r.w) v = dist(rng) * 0.05f;
    std::vector<const float*> rows;
    for (size_t c = 0; c < out; ++c) rows.push_back(r.w.data() + c * in);
    r.packed = kernels::pack_weights(rows.data(), out, in, WeightStorage::F32);
    return r;
}

// The measured reason for a hand-written GEMM: the engine's packed-weight kernel against OpenBLAS's
// sgemm (which packs the weights on every call) on the shapes of BERT's linear layers.
void gemm_comparison(int threads) {
    fmt::print(
        "\nGEMM  Y[n][out] = X[n][in] · W[out][in]ᵀ, fp32, {} threads, the same W every call (in cache): "
        "GFLOP/s, median of 20\n",
        threads);
    fmt::print("{:>5} {:>5} {:>5} {:>12} {:>12} {:>8}\n", "n", "in", "out", "attnscope", "OpenBLAS", "ratio");
    std::mt19937 rng(5);
    std::normal_distribution<float> dist(0.f, 1.f);
    for (size_t n : {8, 16, 32, 128, 512, 4096}) {
        for (auto [in, out] : {std::pair<size_t, size_t>{768, 768}, {768, 3072}, {3072, 768}}) {
            std::vector<float> x(n * in), y(n * out);
            for (auto& v : x) v = dist(rng);
            const auto [w, packed] = random_weights(in, out, rng);
            auto time_it = [&](auto&& fn) {
                for (int i = 0; i < 3; ++i) fn();
                std::vector<double> t;
                for (int i = 0; i < 20; ++i) {
                    auto t0 = std::chrono::steady_clock::now();
                    fn();
                    t.push_back(ms_since(t0));
                }
                return 2.0 * n * in * out / (summarize(t).median * 1e-3) / 1e9;
            };
            double ours =
                time_it([&] { kernels::gemm_packed_parallel(n, x.data(), in, packed.b, y.data(), out, {}, threads); });
            double blas = time_it([&] { blas_sgemm_nt(n, out, in, x.data(), w.data(), y.data()); });
            fmt::print("{:>5} {:>5} {:>5} {:>12.1f} {:>12.1f} {:>7.2f}×\n", n, in, out, ours, blas, ours / blas);
        }
    }
}

// Rows of A that are a multiple of 4 KB long all start in one L1 set; the forward pads them by 64 bytes
// (kernels::activation_stride). Both strides run alternately in the same loop, so a noisy neighbour hits
// both alike; the table gives each one's median and the ratio, for strides the rule pads and for some it
// leaves alone.
void activation_stride_comparison(int threads) {
    fmt::print(
        "\nA's row stride  Y[m][out] = X[m][in] · W, fp32, {} threads: GFLOP/s with dense rows (stride = in) "
        "and padded rows (in + 16), alternating, median of 9\n",
        threads);
    fmt::print("{:>5} {:>5} {:>5} {:>8} {:>10} {:>10} {:>8}\n", "m", "in", "out", "padded?", "dense", "padded",
               "ratio");
    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.f, 1.f);
    for (size_t m : {512, 2048}) {
        for (auto [in, out] :
             {std::pair<size_t, size_t>{768, 3072}, {1536, 384}, {1024, 4096}, {3072, 768}, {4096, 1024}}) {
            const auto packed = random_weights(in, out, rng).packed;
            std::vector<float> y(m * out);
            std::vector<float> dense(m * in), padded(m * (in + 16));
            for (auto& v : dense) v = dist(rng);
            for (size_t r = 0; r < m; ++r) std::copy_n(dense.begin() + r * in, in, padded.begin() + r * (in + 16));
            std::vector<double> t[2];
            auto run = [&](int v) {
                const float* a = v ? padded.data() : dense.data();
                auto t0 = std::chrono::steady_clock::now();
                kernels::gemm_packed_parallel(m, a, v ? in + 16 : in, packed.b, y.data(), out, {}, threads);
                return ms_since(t0);
            };
            run(0);
            run(1);
            for (int rep = 0; rep < 9; ++rep)
                for (int v = 0; v < 2; ++v) t[v].push_back(run(v));
            const double flop = 2.0 * m * in * out;
            const double g_dense = flop / (summarize(t[0]).median * 1e-3) / 1e9,
                         g_padded = flop / (summarize(t[1]).median * 1e-3) / 1e9;
            fmt::print("{:>5} {:>5} {:>5} {:>8} {:>10.1f} {:>10.1f} {:>7.2f}×\n", m, in, out,
                       kernels::activation_stride(in) != in ? "yes" : "no", g_dense, g_padded, g_padded / g_dense);
        }
    }
}

}  // namespace
}  // namespace attnscope::cli

int main(int argc, char** argv) {
    int threads = attnscope::kernels::default_threads();
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = std::atoi(argv[++i]);
        } else {
            fmt::print(stderr, "usage: attnscope_bench_gemm [--threads N]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 256) {
        fmt::print(stderr, "attnscope_bench_gemm: --threads must be 1..256\n");
        return 2;
    }
    openblas_set_num_threads(threads);
    attnscope::cli::gemm_comparison(threads);
    attnscope::cli::activation_stride_comparison(threads);
    return 0;
}
