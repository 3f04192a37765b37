#include "io/mapped_file.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "attnscope/error.h"
#include "util/files.h"

namespace attnscope::io {

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
    // Refuses FIFOs, directories and devices before mapping (see open_regular_file).
    util::UniqueFd fd = util::open_regular_file(path, &size_);
    if (size_ > 0) {
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (p == MAP_FAILED) throw Error(fmt::format("{}: cannot memory-map: {}", path.string(), std::strerror(errno)));
        data_ = static_cast<const uint8_t*>(p);
    }
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

void MappedFile::prefetch(size_t offset, size_t length) const {
    if (!data_ || offset >= size_) return;
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_t start = offset / page * page;
    size_t end = std::min(size_, offset + length);
    ::madvise(const_cast<uint8_t*>(data_) + start, end - start, MADV_WILLNEED);
}

void MappedFile::release(const void* ptr, size_t length) const {
    const auto* p = static_cast<const uint8_t*>(ptr);
    if (!data_ || p < data_ || p + length > data_ + size_) return;
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    // Only whole pages inside the range: neighbouring tensors keep theirs.
    size_t begin = (static_cast<size_t>(p - data_) + page - 1) / page * page;
    size_t end = (static_cast<size_t>(p - data_) + length) / page * page;
    if (end > begin) ::madvise(const_cast<uint8_t*>(data_) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace attnscope::io
