// safetensors reader: validates the header as the reference implementation does (size limits, dtype
// sizes, contiguous non-overlapping offsets, no duplicates) and hands out zero-copy views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/mapped_file.h"

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

class SafetensorsFile {
public:
    // Throws Error naming the file and the defect for anything the reference reader would refuse.
    explicit SafetensorsFile(const std::filesystem::path& path);

    const std::map<std::string, TensorView>& tensors() const { return tensors_; }
    const TensorView* find(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const MappedFile& file() const { return *file_; }

    static constexpr uint64_t kMaxHeaderSize = 100'000'000;

private:
    std::unique_ptr<MappedFile> file_;
    std::map<std::string, TensorView> tensors_;
    std::map<std::string, std::string> metadata_;
};

// Parses a header without a file (for tests and fuzzing): `bytes` is the whole file content.
void validate_safetensors_bytes(const uint8_t* bytes, size_t size, const std::string& source,
                                std::map<std::string, TensorView>* tensors = nullptr,
                                std::map<std::string, std::string>* metadata = nullptr);

}  // namespace attnscope::io
