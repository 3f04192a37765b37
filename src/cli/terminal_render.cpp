#include "terminal_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "text_width.h"

namespace attnscope::cli {

std::string ansi_background(Rgb c) {
    return fmt::format("\x1b[48;2;{};{};{}m", c.r, c.g, c.b);
}
std::string ansi_foreground(Rgb c) {
    return fmt::format("\x1b[38;2;{};{};{}m", c.r, c.g, c.b);
}

std::string render_columns(const std::vector<std::string>& row_names, const std::vector<std::vector<std::string>>& rows,
                           size_t width, size_t indent) {
    size_t name_w = 0;
    for (const auto& n : row_names) name_w = std::max(name_w, display_width(n));
    size_t ncols = 0;
    for (const auto& r : rows) ncols = std::max(ncols, r.size());
    std::vector<size_t> col_w(ncols, 0);
    for (const auto& r : rows)
        for (size_t c = 0; c < r.size(); ++c) col_w[c] = std::max(col_w[c], display_width(r[c]));
    std::string out;
    size_t start = 0;
    const size_t prefix = indent + name_w + 2;
    while (start < ncols || (start == 0 && ncols == 0)) {
        size_t end = start, used = prefix;
        while (end < ncols && (end == start || used + col_w[end] + 2 <= width)) used += col_w[end++] + 2;
        if (start > 0) out += "\n";
        for (size_t r = 0; r < rows.size(); ++r) {
            std::string line(indent, ' ');
            line += pad_to_width(row_names[r], name_w) + "  ";
            for (size_t c = start; c < end && c < rows[r].size(); ++c) line += pad_to_width(rows[r][c], col_w[c] + 2);
            while (!line.empty() && line.back() == ' ') line.pop_back();
            out += line + "\n";
        }
        if (ncols == 0) break;
        start = end;
    }
    return out;
}

namespace {

// The code points of a label, each with its display width, truncated to max_width columns.
std::vector<std::pair<std::string, int>> label_glyphs(const std::string& label, size_t max_width) {
    std::vector<std::pair<std::string, int>> out;
    for (auto& [g, w] : glyphs(truncate_to_width(label, max_width))) {
        if (w > 0) out.emplace_back(std::move(g), w);
    }
    return out;
}

}  // namespace

std::string render_heatmap(const float* m, size_t rows, size_t cols, const std::vector<std::string>& row_labels,
                           const std::vector<std::string>& col_labels, const HeatmapStyle& style) {
    const size_t cell = style.values ? 5 : 2;
    float vmax = 0.f;
    for (size_t i = 0; i < rows * cols; ++i) vmax = std::max(vmax, m[i]);
    if (vmax <= 0.f) vmax = 1.f;

    size_t label_w = 0;
    std::vector<std::string> rlabels;
    for (size_t i = 0; i < rows; ++i) {
        std::string l = fmt::format(
            "{:>3} {}", i, truncate_to_width(i < row_labels.size() ? row_labels[i] : "", style.max_label_width));
        label_w = std::max(label_w, display_width(l));
        rlabels.push_back(std::move(l));
    }
    std::string out;
    // Column labels, vertical: line k shows the k-th glyph of every label.
    std::vector<std::vector<std::pair<std::string, int>>> glyphs;
    size_t depth = 0;
    for (size_t j = 0; j < cols; ++j) {
        glyphs.push_back(label_glyphs(j < col_labels.size() ? col_labels[j] : "", style.max_label_width));
        depth = std::max(depth, glyphs.back().size());
    }
    for (size_t k = 0; k < depth; ++k) {
        std::string line(label_w + 1, ' ');
        for (size_t j = 0; j < cols; ++j) {
            if (k < glyphs[j].size()) {
                line += glyphs[j][k].first;
                line.append(cell - std::min<size_t>(cell, static_cast<size_t>(glyphs[j][k].second)), ' ');
            } else {
                line.append(cell, ' ');
            }
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    static const char kShades[] = " .:-=+*#%@";
    for (size_t i = 0; i < rows; ++i) {
        std::string line = pad_to_width(rlabels[i], label_w) + " ";
        for (size_t j = 0; j < cols; ++j) {
            const float v = m[i * cols + j];
            const double t = v / vmax;
            if (style.values) {
                std::string num = v >= 0.995f ? "1.00" : fmt::format("{:.2f}", v).substr(1);
                if (style.color) {
                    Rgb bg = viridis(t);
                    Rgb fg = t > 0.6 ? Rgb{0, 0, 0} : Rgb{255, 255, 255};
                    line += ansi_background(bg) + ansi_foreground(fg) + fmt::format("{:>4} ", num) + kAnsiReset;
                } else {
                    line += fmt::format("{:>4} ", num);
                }
            } else if (style.color) {
                line += ansi_background(viridis(t)) + "  " + kAnsiReset;
            } else {
                char c = kShades[std::min<size_t>(9, static_cast<size_t>(std::lround(t * 9)))];
                line += std::string(2, c);
            }
        }
        out += line + "\n";
    }
    // Legend.
    std::string legend = std::string(label_w + 1, ' ') + "scale: 0 ";
    if (style.color) {
        for (int k = 0; k <= 16; ++k) legend += ansi_background(viridis(k / 16.0)) + " " + kAnsiReset;
    } else {
        legend += kShades;
    }
    legend += fmt::format(" {:.3f} (max)", vmax);
    out += legend + "\n";
    return out;
}

}  // namespace attnscope::cli
