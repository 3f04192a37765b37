#include "text_width.h"

#include <utf8proc.h>

namespace attnscope::cli {
namespace {

template <typename F>
void each_code_point(std::string_view s, F f) {
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    size_t pos = 0;
    while (pos < s.size()) {
        utf8proc_int32_t cp = 0;
        auto len = utf8proc_iterate(p + pos, static_cast<utf8proc_ssize_t>(s.size() - pos), &cp);
        if (len <= 0) {
            cp = '?';
            len = 1;
        }
        int w = utf8proc_charwidth(cp);
        if (!f(pos, static_cast<size_t>(len), w < 0 ? 0 : w)) return;
        pos += static_cast<size_t>(len);
    }
}

}  // namespace

size_t display_width(std::string_view utf8) {
    size_t width = 0;
    each_code_point(utf8, [&](size_t, size_t, int w) {
        width += static_cast<size_t>(w);
        return true;
    });
    return width;
}

std::string truncate_to_width(std::string_view utf8, size_t width) {
    if (display_width(utf8) <= width) return std::string(utf8);
    if (width == 0) return std::string();
    std::string out;
    size_t used = 0;
    each_code_point(utf8, [&](size_t pos, size_t len, int w) {
        if (used + static_cast<size_t>(w) > width - 1) return false;
        out.append(utf8.substr(pos, len));
        used += static_cast<size_t>(w);
        return true;
    });
    return out + "…";
}

std::string pad_to_width(std::string_view utf8, size_t width) {
    std::string out(utf8);
    size_t w = display_width(utf8);
    if (w < width) out.append(width - w, ' ');
    return out;
}

std::vector<std::pair<std::string, int>> glyphs(std::string_view utf8) {
    std::vector<std::pair<std::string, int>> out;
    each_code_point(utf8, [&](size_t pos, size_t len, int w) {
        out.emplace_back(std::string(utf8.substr(pos, len)), w);
        return true;
    });
    return out;
}

}  // namespace attnscope::cli
