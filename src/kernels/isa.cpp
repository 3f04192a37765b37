#include "kernels/isa.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace attnscope::kernels {
namespace {

Isa detect() {
#if ATTNSCOPE_X86_KERNELS
    // libgcc's checks include the OS's XSAVE support for the ymm and zmm state.
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") || !__builtin_cpu_supports("f16c")) {
        return Isa::Reference;
    }
    return __builtin_cpu_supports("avx512f") ? Isa::Avx512 : Isa::Avx2;
#else
    return Isa::Reference;
#endif
}

int initial_cap() {
    const char* env = std::getenv("ATTNSCOPE_ISA");
    if (env == nullptr) return static_cast<int>(Isa::Avx512);
    if (std::strcmp(env, "reference") == 0) return static_cast<int>(Isa::Reference);
    if (std::strcmp(env, "avx2") == 0) return static_cast<int>(Isa::Avx2);
    return static_cast<int>(Isa::Avx512);
}

std::atomic<int> g_cap{initial_cap()};

}  // namespace

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::Reference:
            return "reference";
        case Isa::Avx2:
            return "avx2";
        case Isa::Avx512:
            return "avx512";
    }
    return "reference";
}

Isa cpu_isa() {
    static const Isa best = detect();
    return best;
}

Isa isa() {
    return static_cast<Isa>(std::min(static_cast<int>(cpu_isa()), g_cap.load(std::memory_order_relaxed)));
}

void cap_isa(Isa level) {
    g_cap.store(static_cast<int>(level));
}

}  // namespace attnscope::kernels
