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
    return kernels::f32_to_f16_error(data, out, count);
}

// Rows first, then columns: each pixel row's input rows are max-ed element-wise into one row (a vector
// kernel), which is then pooled along its column runs — a branch-free vector pass over the n² values
// instead of a gather-like max per value (4–5 ms a 512-token layer, on the cores the forward was using).
// Max is exact in any order, so the pixels are the same.
void thumbnails(const float* heads, int num_heads, size_t n, size_t size, float* out) {
    std::vector<size_t> column_end(size);  // one past the last key of each pixel column
    for (size_t j = 0; j < n; ++j) column_end[j * size / n] = j + 1;
    std::vector<float> rows(n);
    for (int h = 0; h < num_heads; ++h) {
        const float* m = heads + static_cast<size_t>(h) * n * n;
        float* pooled = out + static_cast<size_t>(h) * size * size;
        size_t i = 0;
        for (size_t p = 0; p < size; ++p) {
            float* acc = rows.data();
            std::fill(acc, acc + n, 0.0f);
            for (; i < n && i * size / n == p; ++i) kernels::max_into(acc, m + i * n, n);
            size_t j = 0;
            for (size_t q = 0; q < size; ++q) {
                float v = 0.0f;
                for (; j < column_end[q]; ++j) v = std::max(v, acc[j]);
                pooled[p * size + q] = v;
            }
        }
    }
}

}  // namespace attnscope::schema
