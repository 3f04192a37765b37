// The compact display encoding (schema::to_half): float32 → IEEE half with the largest error it made,
// measured by converting back, so what a view states about its precision is what this data has.
#include <algorithm>
#include <cmath>
#include <vector>

#include "attnscope/schema.h"
#include "kernels/forward_ops.h"

namespace attnscope::schema {

double to_half(const float* data, size_t count, uint16_t* out) {
    constexpr size_t kBlock = 4096;  // converted back a block at a time, while it is in L1
    float back[kBlock];
    float worst = 0;
    for (size_t at = 0; at < count; at += kBlock) {
        const size_t m = std::min(kBlock, count - at);
        kernels::f32_to_f16(data + at, out + at, m);
        kernels::f16_to_f32(out + at, back, m);
        for (size_t i = 0; i < m; ++i) worst = std::max(worst, std::fabs(back[i] - data[at + i]));
    }
    return worst;
}

}  // namespace attnscope::schema
