#include "util/files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "attnscope/error.h"
#include "util/file_writer.h"

namespace attnscope::util {

std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw Error(fmt::format("{}: read failed", path.string()));
    return ss.str();
}

nlohmann::json parse_json(const std::string& text, const std::string& source) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        std::string what = e.what();
        // nlohmann's message starts with "[json.exception.parse_error.101] "; keep the readable part.
        auto pos = what.find("] ");
        throw Error(fmt::format("{}: invalid JSON: {}", source, pos == std::string::npos ? what : what.substr(pos + 2)));
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
