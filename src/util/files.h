// Small file helpers that turn every I/O failure into a one-line attnscope::Error naming the path.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace attnscope::util {

// An open file descriptor, closed on destruction.
class UniqueFd {
  public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    ~UniqueFd();
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

// Opens `path` for reading and refuses anything that is not a regular file — a FIFO, a directory, a
// socket, a character device — before reading a byte. Every reader of model and tokenizer files goes
// through here: a FIFO named model.safetensors or config.json would otherwise block open() until a
// writer appears (O_NONBLOCK makes open return at once; it is cleared again for the reads), and
// /dev/zero would be read forever. *size receives the file's size.
UniqueFd open_regular_file(const std::filesystem::path& path, size_t* size);

// The whole of a regular file (see open_regular_file). `max_bytes` bounds what is read into memory.
std::string read_text_file(const std::filesystem::path& path, size_t max_bytes = size_t{1} << 32);
// Parses JSON; errors name the file and the position.
nlohmann::json read_json_file(const std::filesystem::path& path);
nlohmann::json parse_json(const std::string& text, const std::string& source);
// Atomically replaces `path` (write to a temporary sibling, then rename): no half-written results. A path
// that is not a regular file (a FIFO, a device) is written in place instead (see FileWriter).
void write_file_atomic(const std::filesystem::path& path, const std::string& contents);

}  // namespace attnscope::util
