// AVX2 vector math shared by the *_avx2.cpp kernels. Include only from files compiled with -mavx2 -mfma.
#pragma once

#include <immintrin.h>

#include "kernels/avx2.h"

namespace attnscope::kernels::avx2 {

// exp(x): Cody-Waite range reduction x = n·ln2 + r and a degree-6 polynomial (the classic Cephes expf
// coefficients), within 2 ulp of std::exp (tests/unit/test_kernels.cpp measures it). Results below
// FLT_MIN (x < -87.34) are flushed to 0: in a softmax they are below any observable probability.
inline __m256 exp256(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.3762626647949f);
    const __m256 lo = _mm256_set1_ps(-87.3365478515625f);
    const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
    const __m256 c1 = _mm256_set1_ps(0.693359375f);
    const __m256 c2 = _mm256_set1_ps(-2.12194440e-4f);
    __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_min_ps(x, hi);
    x = _mm256_max_ps(x, lo);
    __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(fx, c1, x);
    r = _mm256_fnmadd_ps(fx, c2, r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 r2 = _mm256_mul_ps(r, r);
    __m256 y = _mm256_fmadd_ps(p, r2, r);
    y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
    // 2^n by building the exponent field; n is in [-126, 127] after the clamps.
    __m256i n = _mm256_cvtps_epi32(fx);
    n = _mm256_add_epi32(n, _mm256_set1_epi32(127));
    n = _mm256_slli_epi32(n, 23);
    y = _mm256_mul_ps(y, _mm256_castsi256_ps(n));
    return _mm256_andnot_ps(underflow, y);
}

// ln(x) for x > 0 (0 is read as FLT_MIN, so 0·ln 0 = 0): x = m·2^e with m in [√½, √2), then
// ln m = 2·atanh(t) with t = (m − 1)/(m + 1), |t| < 0.172, whose odd series needs four terms for float
// accuracy. Why not Cephes' logf polynomial: this is 1.3-1.4x faster in the head map's inner loop (one
// division instead of nine FMAs) at the same accuracy (worst 1.1e-7 against 8.1e-8 over e^-40..e^5;
// tests/unit/test_kernels.cpp). Used by the analyses (entropy, Jensen–Shannon), not by the forward pass.
inline __m256 log256(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256i sqrt_half = _mm256_set1_epi32(0x3f3504f3);  // the bits of √½
    const __m256i shifted =
        _mm256_sub_epi32(_mm256_castps_si256(_mm256_max_ps(x, _mm256_set1_ps(1.17549435e-38f))), sqrt_half);
    const __m256 e = _mm256_cvtepi32_ps(_mm256_srai_epi32(shifted, 23));
    const __m256 m =
        _mm256_castsi256_ps(_mm256_add_epi32(_mm256_and_si256(shifted, _mm256_set1_epi32(0x007FFFFF)), sqrt_half));
    const __m256 t = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
    const __m256 t2 = _mm256_mul_ps(t, t);
    __m256 y = _mm256_set1_ps(2.0f / 9);
    y = _mm256_fmadd_ps(y, t2, _mm256_set1_ps(2.0f / 7));
    y = _mm256_fmadd_ps(y, t2, _mm256_set1_ps(2.0f / 5));
    y = _mm256_fmadd_ps(y, t2, _mm256_set1_ps(2.0f / 3));
    y = _mm256_mul_ps(_mm256_mul_ps(y, t2), t);
    // e·ln 2 in two parts (0.693359375 is exact in a few bits) so the sum keeps float accuracy.
    y = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), y);
    y = _mm256_add_ps(y, _mm256_add_ps(t, t));
    return _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), y);
}

// erf(x) by Abramowitz & Stegun 7.1.26: 1.5e-7 approximation error, 4.2e-7 worst measured once evaluated
// in float (tests/unit/test_kernels.cpp). Only GELU uses it, where that is 2e-7 of the output; a
// vectorised form matters because GELU runs n·3072 times per layer.
inline __m256 erf256(__m256 x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 sign = _mm256_and_ps(x, sign_mask);
    __m256 ax = _mm256_andnot_ps(sign_mask, x);
    __m256 t =
        _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), ax, _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    p = _mm256_mul_ps(p, t);
    __m256 e = exp256(_mm256_mul_ps(_mm256_xor_ps(ax, sign_mask), ax));  // exp(-x^2)
    __m256 y = _mm256_fnmadd_ps(p, e, _mm256_set1_ps(1.0f));
    return _mm256_or_ps(y, sign);
}

inline __m256 gelu_erf256(__m256 x) {
    __m256 e = erf256(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f)));
    return _mm256_mul_ps(_mm256_mul_ps(x, _mm256_set1_ps(0.5f)), _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
}

inline __m256 gelu_tanh256(__m256 x) {
    // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), with tanh(u) = 1 - 2/(e^{2u} + 1)
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.79788456080286536f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
    __m256 e = exp256(_mm256_add_ps(u, u));
    __m256 t = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                             _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(_mm256_set1_ps(1.0f), t));
}

inline __m256 silu256(__m256 x) {
    __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

inline __m256 activate256(__m256 x, Activation act) {
    switch (act) {
        case Activation::GeluErf:
            return gelu_erf256(x);
        case Activation::GeluTanh:
            return gelu_tanh256(x);
        case Activation::Relu:
            return _mm256_max_ps(x, _mm256_setzero_ps());
        case Activation::Silu:
            return silu256(x);
    }
    return x;
}

inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    __m128 shuf = _mm_movehdup_ps(lo);
    __m128 sums = _mm_add_ps(lo, shuf);
    shuf = _mm_movehl_ps(shuf, sums);
    sums = _mm_add_ss(sums, shuf);
    return _mm_cvtss_f32(sums);
}

inline float hmax256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_max_ps(lo, hi);
    lo = _mm_max_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_max_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

}  // namespace attnscope::kernels::avx2
