// L × H grids for the terminal: one value per head, coloured by the viridis scale, with the layer and
// head indices on the axes.
#pragma once

#include <functional>
#include <string>

namespace attnscope::cli {

struct GridStyle {
    bool color = true;
    int decimals = 2;
    double vmin = 0, vmax = 1;  // colour scale; equal = derive from the data
};

std::string render_head_grid(int layers, int heads, const std::function<double(int layer, int head)>& value,
                             const GridStyle& style);
// One short label per head (e.g. a pattern glyph), coloured by `colour` (an index into a palette).
std::string render_label_grid(int layers, int heads, const std::function<std::string(int, int)>& label,
                              const std::function<int(int, int)>& colour, bool use_color);

}  // namespace attnscope::cli
