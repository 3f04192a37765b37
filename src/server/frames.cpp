#include "frames.h"

#include <cstring>

namespace attnscope::server {

namespace {
void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
}  // namespace

std::string frame(const nlohmann::json& header, const float* data, size_t count) {
    const std::string json = header.dump();
    std::string out;
    out.reserve(8 + json.size() + count * 4);
    put_u32(out, static_cast<uint32_t>(json.size()));
    out += json;
    put_u32(out, static_cast<uint32_t>(count * 4));
    if (count) out.append(reinterpret_cast<const char*>(data), count * 4);
    return out;
}

std::string base64(const void* data, size_t bytes) {
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto* p = static_cast<const unsigned char*>(data);
    std::string out;
    out.reserve((bytes + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes; i += 3) {
        const uint32_t v = (static_cast<uint32_t>(p[i]) << 16) | (static_cast<uint32_t>(p[i + 1]) << 8) | p[i + 2];
        out.push_back(k[(v >> 18) & 63]);
        out.push_back(k[(v >> 12) & 63]);
        out.push_back(k[(v >> 6) & 63]);
        out.push_back(k[v & 63]);
    }
    if (i < bytes) {
        uint32_t v = static_cast<uint32_t>(p[i]) << 16;
        if (i + 1 < bytes) v |= static_cast<uint32_t>(p[i + 1]) << 8;
        out.push_back(k[(v >> 18) & 63]);
        out.push_back(k[(v >> 12) & 63]);
        out.push_back(i + 1 < bytes ? k[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

}  // namespace attnscope::server
