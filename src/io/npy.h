// Reading NumPy .npy arrays (format 1.0–3.0, little-endian float32 or float64, C order), so the analyses
// run on attention tensors from any source — a PyTorch dump, another tool — not only attnscope's own.
#pragma once

#include <filesystem>
#include <vector>

namespace attnscope::io {

struct NpyArray {
    std::vector<size_t> shape;
    std::vector<float> data;  // converted to fp32
};

NpyArray read_npy(const std::filesystem::path& path);

}  // namespace attnscope::io
