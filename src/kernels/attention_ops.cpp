// Dispatch of attention's matmuls: the AVX-512 tiles where the CPU and the shapes allow, gemm_packed otherwise.
#include "kernels/attention_ops.h"

#include "kernels/isa.h"

namespace attnscope::kernels {

void attention_scores(size_t rows, const float* q, size_t ldq, const PackedB& keys, float alpha, float* s, size_t lds) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx512() && keys.type == WeightStorage::F32 && avx512::attention_shapes_fit(keys.k))
        return avx512::attention_scores(rows, q, ldq, keys, alpha, s, lds);
#endif
    Epilogue ep;
    ep.alpha = alpha;
    gemm_packed(rows, q, ldq, keys, 0, keys.panels(), s, lds, ep);
}

void attention_context(size_t rows, const float* p, size_t ldp, const PackedB& values, float* c, size_t ldc) {
#if ATTNSCOPE_X86_KERNELS
    if (use_avx512() && values.type == WeightStorage::F32 && avx512::attention_shapes_fit(values.n))
        return avx512::attention_context(rows, p, ldp, values, c, ldc);
#endif
    gemm_packed(rows, p, ldp, values, 0, values.panels(), c, ldc, Epilogue{});
}

}  // namespace attnscope::kernels
