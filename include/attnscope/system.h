// Facts about the machine and the build that the faces report (info, bench, the server's /api/model):
// which kernels run, how many threads a call gets by default, memory in use, the machine's measured limits.
#pragma once

#include <cstddef>
#include <string>

namespace attnscope::system {

struct SystemInfo {
    std::string cpu_model;  // /proc/cpuinfo's model name
    int logical_cpus = 0;
    int default_threads = 0;  // what a call with threads = 0 uses
    std::string kernels;      // "avx512", "avx2" or "reference": the ISA level the kernels run at
    bool cpu_avx2 = false;    // the CPU's own features, whatever this build or $ATTNSCOPE_ISA does with them
    bool cpu_avx512 = false;
    std::string compiler;    // e.g. "GCC 12.2.0"
    std::string build_type;  // "Release (-O3 -DNDEBUG)" or "Debug"
    std::string version;     // the library's version
    std::string unicode;     // the Unicode version of the tokenizer's tables
};

SystemInfo system_info();

// Peak resident set size of this process so far, in bytes (reset_peak_rss starts it over).
size_t peak_rss_bytes();
void reset_peak_rss();
size_t current_rss_bytes();

// GFLOP/s of independent FMA chains on `threads` threads (best of several short runs); 0 where only the
// reference kernels run.
double measure_peak_gflops(int threads);
// GB/s reading a buffer larger than the caches on `threads` threads (best of several passes).
double measure_read_bandwidth(int threads, size_t bytes = size_t(1) << 30);

}  // namespace attnscope::system
