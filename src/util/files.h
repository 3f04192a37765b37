// Small file helpers that turn every I/O failure into a one-line attnscope::Error naming the path.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace attnscope::util {

std::string read_text_file(const std::filesystem::path& path);
// Parses JSON; errors name the file and the position.
nlohmann::json read_json_file(const std::filesystem::path& path);
nlohmann::json parse_json(const std::string& text, const std::string& source);
// Atomically replaces `path` (write to a temporary sibling, then rename): no half-written results. A path
// that is not a regular file (a FIFO, a device) is written in place instead (see FileWriter).
void write_file_atomic(const std::filesystem::path& path, const std::string& contents);

}  // namespace attnscope::util
