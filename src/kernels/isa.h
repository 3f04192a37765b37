// The one place that decides which kernels run: the reference loops, the AVX2/FMA/F16C kernels or the
// AVX-512 GEMM tiles. Every dispatching call asks isa(); nothing else reads the CPU's features.
#pragma once

namespace attnscope::kernels {

// Ordered: a CPU that runs one level runs the levels below it.
enum class Isa { Reference = 0, Avx2 = 1, Avx512 = 2 };

const char* isa_name(Isa isa);  // "reference", "avx2", "avx512"

// What this CPU and this build can run: Reference when the x86 kernels are compiled out
// (ATTNSCOPE_X86_KERNELS=OFF, or not an x86-64 target) or the CPU lacks AVX2, FMA or F16C.
Isa cpu_isa();

// The level the kernels use: cpu_isa(), lowered by $ATTNSCOPE_ISA (reference, avx2) at start-up or by
// cap_isa(). Same bits at every level for the GEMM tiles; the reference loops differ in the last bits.
Isa isa();
inline bool use_avx2() {
    return isa() >= Isa::Avx2;
}
inline bool use_avx512() {
    return isa() >= Isa::Avx512;
}

// Tests and benchmarks: run the levels below the CPU's own. Process-wide; not for use while forwards run.
void cap_isa(Isa level);

}  // namespace attnscope::kernels
