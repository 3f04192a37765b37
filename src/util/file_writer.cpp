#include "attnscope/file_writer.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "attnscope/error.h"

namespace attnscope::util {

namespace fs = std::filesystem;

namespace {
constexpr const char* kStdout = "standard output";
}

FileWriter::FileWriter(const fs::path& path, Mode mode) {
    if (path.empty() || path == "-") {
        f_ = stdout;
        name_ = kStdout;
        return;
    }
    name_ = path.string();
    target_ = path;
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) throw Error(fmt::format("{}: is a folder, not a file to write", name_));
    if (exists && S_ISREG(st.st_mode)) {
        // Through a symbolic link the rename replaces the file it points at, not the link.
        std::error_code ec;
        fs::path resolved = fs::canonical(path, ec);
        if (!ec) target_ = resolved;
    }
    // Only a regular file (or a new one) may be replaced by a rename; anything else is written in place.
    const bool regular = !exists || S_ISREG(st.st_mode);
    if (mode == Mode::Atomic && regular) {
        tmp_ = target_;
        tmp_ += fmt::format(".tmp{}", static_cast<long>(::getpid()));
    }
    const fs::path& open_path = tmp_.empty() ? target_ : tmp_;
    f_ = std::fopen(open_path.c_str(), "wb");
    if (!f_) throw Error(fmt::format("{}: cannot write: {}", name_, std::strerror(errno)));
}

FileWriter::~FileWriter() {
    if (f_ && f_ != stdout) {
        std::fclose(f_);
        if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
    }
}

void FileWriter::fail(const char* what, int err) {
    if (f_ && f_ != stdout) {
        std::fclose(f_);
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
    }
    if (f_ != stdout) f_ = nullptr;
    throw Error(fmt::format("{}: {}: {}", name_, what, std::strerror(err ? err : EIO)));
}

void FileWriter::write(std::string_view bytes) {
    if (!f_) throw Error(fmt::format("{}: written after it was closed", name_));
    if (bytes.empty()) return;
    errno = 0;
    if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) fail("write failed", errno);
}

void FileWriter::flush() {
    if (!f_) return;
    errno = 0;
    if (std::fflush(f_) != 0 || std::ferror(f_)) fail("write failed", errno);
}

void FileWriter::commit() {
    if (f_ == stdout) {
        flush();
        return;
    }
    if (!f_) throw Error(fmt::format("{}: committed twice", name_));
    errno = 0;
    const bool failed = std::fflush(f_) != 0 || std::ferror(f_);
    const int err = errno;
    FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0 || failed) {
        const int e = failed ? err : errno;
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
        throw Error(fmt::format("{}: write failed: {}", name_, std::strerror(e ? e : EIO)));
    }
    if (!tmp_.empty()) {
        std::error_code ec;
        fs::rename(tmp_, target_, ec);
        if (ec) {
            ::unlink(tmp_.c_str());
            throw Error(fmt::format("{}: cannot move the result into place: {}", name_, ec.message()));
        }
    }
    committed_ = true;
}

void write_stdout(std::string_view bytes) {
    if (bytes.empty()) return;
    errno = 0;
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
        throw Error(fmt::format("{}: write failed: {}", kStdout, std::strerror(errno ? errno : EIO)));
    }
}

void flush_stdout() {
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        const int e = errno;
        std::clearerr(stdout);  // reported once, here
        throw Error(fmt::format("{}: write failed: {}", kStdout, std::strerror(e ? e : EIO)));
    }
}

}  // namespace attnscope::util
