#include "kernels/kernels.h"
#include "kernels/vecmath_avx2.h"

namespace attnscope::kernels::avx2 {

void f16_to_f32(const uint16_t* in, float* out, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
    }
    for (; i < count; ++i) out[i] = _cvtsh_ss(in[i]);
}

}  // namespace attnscope::kernels::avx2
