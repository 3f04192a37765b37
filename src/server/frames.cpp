#include "frames.h"

#include <cstring>

namespace attnscope::server {

namespace {
void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
}  // namespace

std::string frame_header(const nlohmann::json& header, size_t payload_bytes) {
    const std::string json = header.dump();
    std::string out;
    out.reserve(8 + json.size());
    put_u32(out, static_cast<uint32_t>(json.size()));
    out += json;
    put_u32(out, static_cast<uint32_t>(payload_bytes));
    return out;
}

std::string frame(const nlohmann::json& header, const float* data, size_t count) {
    std::string out = frame_header(header, count * 4);
    if (count) out.append(reinterpret_cast<const char*>(data), count * 4);
    return out;
}

}  // namespace attnscope::server
