// Shared by the libFuzzer harnesses. A harness passes the fuzzer's bytes to one parser and catches only
// attnscope::Error — the one way a parser may refuse input. Anything else that escapes (a json
// type_error, std::out_of_range, bad_alloc) is a finding: libFuzzer sees the abort and keeps the input.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace attnscope::fuzz {

// The bytes as a regular file, for parsers that take a path: a memfd, named through /proc/self/fd.
// One per process, rewritten for every input (no disk traffic, nothing left behind).
class MemFile {
  public:
    MemFile() : fd_(::memfd_create("attnscope-fuzz", MFD_CLOEXEC)) {
        if (fd_ < 0) std::abort();
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    const std::filesystem::path& write(const uint8_t* data, size_t size) {
        if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size)) std::abort();
        return path_;
    }

  private:
    int fd_;
    std::filesystem::path path_;
};

// A private folder for harnesses that read a model folder's files (tokenizer.json, vocab.txt, ...),
// removed when the fuzzer exits.
inline const std::filesystem::path& scratch_dir() {
    static char name[] = "/tmp/attnscope-fuzz-XXXXXX";  // a plain array: still there when atexit runs
    static const std::filesystem::path dir = [] {
        if (!::mkdtemp(name)) std::abort();
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(name, ec);
        });
        return std::filesystem::path(name);
    }();
    return dir;
}

}  // namespace attnscope::fuzz
