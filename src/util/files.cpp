#include "util/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "attnscope/error.h"
#include "attnscope/file_writer.h"

namespace attnscope::util {

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

namespace {

const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

}  // namespace

UniqueFd open_regular_file(const std::filesystem::path& path, size_t* size) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (fd.get() < 0) throw Error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw Error(fmt::format("{}: cannot stat: {}", path.string(), std::strerror(errno)));
    if (!S_ISREG(st.st_mode)) {
        throw Error(fmt::format("{}: is {}, not a regular file (attnscope reads model files only from regular files)",
                                path.string(), file_kind(st.st_mode)));
    }
    // Regular files never block; clear the flag anyway so that every later read is an ordinary one.
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
        throw Error(fmt::format("{}: cannot set file flags: {}", path.string(), std::strerror(errno)));
    }
    if (size) *size = static_cast<size_t>(st.st_size);
    return fd;
}

std::string read_text_file(const std::filesystem::path& path, size_t max_bytes) {
    size_t size = 0;
    UniqueFd fd = open_regular_file(path, &size);
    if (size > max_bytes) {
        throw Error(
            fmt::format("{}: {} bytes is more than the {}-byte limit for this file", path.string(), size, max_bytes));
    }
    std::string out(size, '\0');
    size_t have = 0;
    while (have < size) {
        const ssize_t got = ::read(fd.get(), out.data() + have, size - have);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw Error(fmt::format("{}: read failed: {}", path.string(), std::strerror(errno)));
        if (got == 0) break;  // the file shrank while we read it: keep what is there
        have += static_cast<size_t>(got);
    }
    out.resize(have);
    return out;
}

nlohmann::json parse_json(const std::string& text, const std::string& source) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        // Not only parse_error: a number beyond double's range (1e512) is an out_of_range (found by
        // fuzz_config). nlohmann's message starts with "[json.exception.parse_error.101] "; keep the rest.
        std::string what = e.what();
        auto pos = what.find("] ");
        throw Error(
            fmt::format("{}: invalid JSON: {}", source, pos == std::string::npos ? what : what.substr(pos + 2)));
    }
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
    return parse_json(read_text_file(path), path.string());
}

void write_file_atomic(const std::filesystem::path& path, const std::string& contents) {
    FileWriter out(path, FileWriter::Mode::Atomic);
    out.write(contents);
    out.commit();
}

}  // namespace attnscope::util
