// NumPy .npy (format 1.0) writer for float32 C-order arrays.
#pragma once

#include <string>
#include <vector>

namespace attnscope::cli {

std::string npy_header(const std::vector<size_t>& shape);
// Writes header + data to `path` atomically.
void write_npy(const std::string& path, const float* data, const std::vector<size_t>& shape);

}  // namespace attnscope::cli
