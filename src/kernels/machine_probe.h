// Micro-benchmarks of the machine's own limits, so every benchmark result can be shown as a share of
// what the hardware can do: peak fp32 FMA throughput and streaming read bandwidth.
#pragma once

#include <cstddef>

namespace attnscope::kernels {

// GFLOP/s of independent AVX2 FMA chains (0 where the AVX2 kernels do not run) on `threads` threads (best of several
// short runs).
double measure_peak_gflops(int threads);
// GB/s reading a `bytes` buffer (larger than the caches) on `threads` threads (best of several passes).
double measure_read_bandwidth(int threads, size_t bytes = size_t(1) << 30);

}  // namespace attnscope::kernels
