// A tensor inside a checkpoint: name, dtype, shape and its bytes (a view into a memory map, or into a
// buffer the file object owns).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace attnscope::io {

enum class DType { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, OTHER };

const char* dtype_name(DType d);
// Bits per element; 0 for dtypes we only know by name (sub-byte and exotic float formats).
size_t dtype_bits(DType d);

struct TensorView {
    std::string name;
    DType dtype = DType::OTHER;
    std::string dtype_name;  // as written in the header (also for dtypes we cannot read)
    std::vector<int64_t> shape;
    const uint8_t* data = nullptr;
    size_t nbytes = 0;
    const std::filesystem::path* file = nullptr;

    size_t numel() const {
        size_t n = 1;
        for (auto d : shape) n *= static_cast<size_t>(d);
        return n;
    }
};

}  // namespace attnscope::io
