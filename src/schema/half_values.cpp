// The compact display data of the explorer's stream: float32 → IEEE half with the largest error it made
// (schema::to_half), measured by converting back, so what a view states about its precision is what this
// data has; and the model view's max-pooled thumbnails (schema::thumbnails).
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

void thumbnails(const float* heads, int num_heads, size_t n, size_t size, float* out) {
    std::vector<size_t> column(n);
    for (size_t j = 0; j < n; ++j) column[j] = j * size / n;
    for (int h = 0; h < num_heads; ++h) {
        const float* m = heads + static_cast<size_t>(h) * n * n;
        float* pooled = out + static_cast<size_t>(h) * size * size;
        std::fill(pooled, pooled + size * size, 0.0f);
        for (size_t i = 0; i < n; ++i) {
            float* row = pooled + (i * size / n) * size;
            const float* in = m + i * n;
            for (size_t j = 0; j < n; ++j) row[column[j]] = std::max(row[column[j]], in[j]);
        }
    }
}

}  // namespace attnscope::schema
