#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "attnscope/system.h"
#include "attnscope/version.h"
#include "kernels/isa.h"
#include "kernels/machine_probe.h"
#include "kernels/threads.h"
#include "tokenizer/unicode.h"

namespace attnscope::system {

SystemInfo system_info() {
    SystemInfo m;
    std::ifstream cpu("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpu, line)) {
        if (line.rfind("model name", 0) == 0 && m.cpu_model.empty()) {
            auto pos = line.find(':');
            if (pos != std::string::npos) m.cpu_model = line.substr(pos + 2);
        }
    }
    m.logical_cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    m.default_threads = kernels::default_threads();
    m.kernels = kernels::isa_name(kernels::isa());
#if defined(__x86_64__)
    m.cpu_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    m.cpu_avx512 = __builtin_cpu_supports("avx512f");
#endif
#if defined(__clang__)
    m.compiler = fmt::format("Clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
    m.compiler = fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#endif
#ifdef NDEBUG
    m.build_type = "Release (-O3 -DNDEBUG)";
#else
    m.build_type = "Debug";
#endif
    m.version = kVersion;
    m.unicode = tokenizer::unicode::unicode_version();
    return m;
}

size_t peak_rss_bytes() {
    // VmHWM honours reset_peak_rss(); getrusage's ru_maxrss cannot be reset.
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<size_t>(ru.ru_maxrss) * 1024;
}

void reset_peak_rss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
}

size_t current_rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

double measure_peak_gflops(int threads) {
    return kernels::measure_peak_gflops(kernels::resolve_threads(threads));
}

double measure_read_bandwidth(int threads, size_t bytes) {
    return kernels::measure_read_bandwidth(kernels::resolve_threads(threads), bytes);
}

}  // namespace attnscope::system
