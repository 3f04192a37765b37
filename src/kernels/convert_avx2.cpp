// F16C conversions, and the explorer's display data (halves with their error, max-pooling rows).
#include <algorithm>
#include <cmath>

#include "kernels/avx2.h"
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

void f32_to_f16(const float* in, uint16_t* out, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
    }
    for (; i < count; ++i) out[i] = _cvtss_sh(in[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

float f32_to_f16_error(const float* in, uint16_t* out, size_t count) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    __m256 worst = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 v = _mm256_loadu_ps(in + i);
        const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
        worst = _mm256_max_ps(worst, _mm256_and_ps(magnitude, _mm256_sub_ps(_mm256_cvtph_ps(h), v)));
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, worst);
    float w = 0.0f;
    for (float l : lanes) w = std::max(w, l);
    for (; i < count; ++i) {
        out[i] = _cvtss_sh(in[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        w = std::max(w, std::fabs(_cvtsh_ss(out[i]) - in[i]));
    }
    return w;
}

void max_into(float* acc, const float* in, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8)
        _mm256_storeu_ps(acc + i, _mm256_max_ps(_mm256_loadu_ps(acc + i), _mm256_loadu_ps(in + i)));
    for (; i < count; ++i) acc[i] = std::max(acc[i], in[i]);
}

}  // namespace attnscope::kernels::avx2
