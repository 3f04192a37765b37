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
#include "io/tensor_file.h"

namespace attnscope::io {

class SafetensorsFile : public TensorFile {
  public:
    // Throws Error naming the file and the defect for anything the reference reader would refuse.
    explicit SafetensorsFile(const std::filesystem::path& path);

    const std::map<std::string, TensorView>& tensors() const override { return tensors_; }
    const TensorView* find(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const MappedFile& file() const override { return *file_; }

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
