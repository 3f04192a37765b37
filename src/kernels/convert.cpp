// Reference F16 conversions for F16 checkpoints (converted once at load time) and CPUs without F16C.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/forward_ops.h"

namespace attnscope::kernels::ref {
namespace {

float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1F;
    const uint32_t mant = h & 0x3FF;
    float f;
    if (exp == 0) {
        f = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal
    } else if (exp == 31) {
        f = mant ? NAN : INFINITY;
    } else {
        f = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
    }
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
    std::memcpy(&f, &bits, 4);
    return f;
}

}  // namespace

void f16_to_f32(const uint16_t* in, float* out, size_t count) {
    for (size_t i = 0; i < count; ++i) out[i] = half_to_float(in[i]);
}

void f32_to_f16(const float* in, uint16_t* out, size_t count) {
    // Round to nearest even through the bit pattern (normal range; tiny values flush to 0).
    for (size_t i = 0; i < count; ++i) {
        uint32_t x;
        std::memcpy(&x, in + i, 4);
        uint32_t sign = (x >> 16) & 0x8000;
        int32_t e = static_cast<int32_t>((x >> 23) & 0xFF) - 127 + 15;
        uint32_t mant = x & 0x7FFFFF;
        if (e <= 0) {
            out[i] = static_cast<uint16_t>(sign);
        } else if (e >= 31) {
            out[i] = static_cast<uint16_t>(sign | 0x7C00);
        } else {
            uint32_t h = sign | (static_cast<uint32_t>(e) << 10) | (mant >> 13);
            uint32_t rest = mant & 0x1FFF;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
            out[i] = static_cast<uint16_t>(h);
        }
    }
}

float f32_to_f16_error(const float* in, uint16_t* out, size_t count) {
    f32_to_f16(in, out, count);
    float worst = 0.0f;
    for (size_t i = 0; i < count; ++i) {
        float back;
        f16_to_f32(out + i, &back, 1);
        worst = std::max(worst, std::fabs(back - in[i]));
    }
    return worst;
}

void max_into(float* acc, const float* in, size_t count) {
    for (size_t i = 0; i < count; ++i) acc[i] = std::max(acc[i], in[i]);
}

}  // namespace attnscope::kernels::ref
