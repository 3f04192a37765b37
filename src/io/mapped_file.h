// A read-only memory map of a whole file. Weights are used straight from the map (zero copies for F32).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace attnscope::io {

class MappedFile {
  public:
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }
    // Ask the kernel to read the byte range ahead (MADV_WILLNEED); a hint only.
    void prefetch(size_t offset, size_t length) const;
    // Drop the resident pages of [ptr, ptr + length) (MADV_DONTNEED): for data that has been copied
    // elsewhere (packed weights). The mapping stays valid; a later read faults the pages back in.
    void release(const void* ptr, size_t length) const;

  private:
    std::filesystem::path path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace attnscope::io
