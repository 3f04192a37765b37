// Display width of UTF-8 text in a terminal (East Asian wide characters take two columns).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope::cli {

size_t display_width(std::string_view utf8);
// Cuts `utf8` to at most `width` columns, ending in "…" when it had to cut.
std::string truncate_to_width(std::string_view utf8, size_t width);
// Each code point of `utf8` with its display width (an invalid byte is "?").
std::vector<std::pair<std::string, int>> glyphs(std::string_view utf8);
// Pads with spaces on the right to `width` columns.
std::string pad_to_width(std::string_view utf8, size_t width);

}  // namespace attnscope::cli
