// The GEMM-level tables of `attnscope bench --gemm`: the measured reasons behind two choices of the engine.
#pragma once

namespace attnscope::cli {

// The packed-weight GEMM against OpenBLAS's sgemm on BERT's linear-layer shapes.
void gemm_comparison(int threads);
// The packed-weight GEMM reading A with dense rows against rows padded by kernels::activation_stride.
void activation_stride_comparison(int threads);

}  // namespace attnscope::cli
