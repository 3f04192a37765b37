#include "kernels/machine_probe.h"

#include "kernels/avx2.h"
#include "kernels/isa.h"

namespace attnscope::kernels {

double measure_peak_gflops(int threads) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::measure_peak_gflops(threads);
#endif
    return 0.0;
}

double measure_read_bandwidth(int threads, size_t bytes) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx2()) return avx2::measure_read_bandwidth(threads, bytes);
#endif
    return 0.0;
}

}  // namespace attnscope::kernels
