#include "output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "attnscope/error.h"

namespace attnscope::cli {

Output::Output(const std::string& path, bool atomic) : path_(path) {
    if (path.empty() || path == "-") {
        f_ = stdout;
        return;
    }
    tmp_ = atomic ? fmt::format("{}.tmp{}", path, static_cast<long>(::getpid())) : path;
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) throw Error(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
}

Output::~Output() {
    if (f_ && f_ != stdout) {
        std::fclose(f_);
        if (!committed_ && tmp_ != path_) std::remove(tmp_.c_str());
    }
}

void Output::write(std::string_view bytes) {
    if (bytes.empty()) return;
    if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) {
        throw Error(fmt::format("{}: write failed: {}", f_ == stdout ? std::string("stdout") : path_, std::strerror(errno)));
    }
}

void Output::flush() { std::fflush(f_); }

void Output::commit() {
    if (f_ == stdout) {
        std::fflush(stdout);
        return;
    }
    if (std::fclose(f_) != 0) {
        f_ = nullptr;
        std::remove(tmp_.c_str());
        throw Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
    }
    f_ = nullptr;
    if (tmp_ != path_) {
        std::error_code ec;
        std::filesystem::rename(tmp_, path_, ec);
        if (ec) {
            std::remove(tmp_.c_str());
            throw Error(fmt::format("{}: cannot move the result into place: {}", path_, ec.message()));
        }
    }
    committed_ = true;
}

}  // namespace attnscope::cli
