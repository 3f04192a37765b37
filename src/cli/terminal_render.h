// Terminal presentation: aligned column tables that wrap to the terminal width, colour scales, and the
// attention heatmap with token labels on both axes.
#pragma once

#include <string>
#include <vector>

#include "attnscope/colour.h"

namespace attnscope::cli {

std::string ansi_background(Rgb c);
std::string ansi_foreground(Rgb c);
inline constexpr const char* kAnsiReset = "\x1b[0m";

// Rows of labelled cells, e.g. {"token", {"[CLS]", "the", ...}}; columns line up across rows and the
// table wraps into blocks that fit `width`.
std::string render_columns(const std::vector<std::string>& row_names, const std::vector<std::vector<std::string>>& rows,
                           size_t width, size_t indent = 3);

struct HeatmapStyle {
    bool color = true;    // 24-bit background colour; otherwise ASCII shades
    bool values = false;  // print each value (two decimals) instead of a block
    size_t max_label_width = 12;
};

// rows × cols matrix (row-major); row labels on the left, column labels written vertically on top.
std::string render_heatmap(const float* m, size_t rows, size_t cols, const std::vector<std::string>& row_labels,
                           const std::vector<std::string>& col_labels, const HeatmapStyle& style);

}  // namespace attnscope::cli
