// Facts about the machine for benchmark reports, and its measured limits.
#pragma once

#include <cstddef>
#include <string>

namespace attnscope::util {

struct MachineInfo {
    std::string cpu_model;
    int logical_cpus = 0;
    bool avx2 = false, avx512 = false;
    std::string blas;      // OpenBLAS build description
    std::string compiler;  // e.g. "GCC 12.2.0"
    std::string build_type;
};

MachineInfo machine_info();
// Peak resident set size of this process so far, in bytes.
size_t peak_rss_bytes();
// Starts the peak over (Linux clear_refs "5"), e.g. after a benchmark's own probe buffers are freed.
void reset_peak_rss();
size_t current_rss_bytes();

}  // namespace attnscope::util
