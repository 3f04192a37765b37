#include "head_grid.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "terminal_render.h"
#include "text_width.h"

namespace attnscope::cli {

std::string render_head_grid(int layers, int heads, const std::function<double(int, int)>& value, const GridStyle& st) {
    double lo = st.vmin, hi = st.vmax;
    if (lo == hi) {
        lo = INFINITY;
        hi = -INFINITY;
        for (int l = 0; l < layers; ++l)
            for (int h = 0; h < heads; ++h) {
                lo = std::min(lo, value(l, h));
                hi = std::max(hi, value(l, h));
            }
        if (!(hi > lo)) hi = lo + 1;
    }
    const int width = st.decimals + 4;
    std::string out = "      ";
    for (int h = 0; h < heads; ++h) out += fmt::format("{:>{}}", fmt::format("h{}", h), width);
    out += "\n";
    for (int l = 0; l < layers; ++l) {
        std::string line = fmt::format("  L{:<3}", l);
        for (int h = 0; h < heads; ++h) {
            const double v = value(l, h);
            std::string cell = fmt::format("{:>{}.{}f}", v, width, st.decimals);
            if (st.color) {
                const double t = (v - lo) / (hi - lo);
                Rgb bg = viridis(t);
                Rgb fg = t > 0.6 ? Rgb{0, 0, 0} : Rgb{255, 255, 255};
                cell = ansi_background(bg) + ansi_foreground(fg) + cell + kAnsiReset;
            }
            line += cell;
        }
        out += line + "\n";
    }
    return out;
}

std::string render_label_grid(int layers, int heads, const std::function<std::string(int, int)>& label,
                              const std::function<int(int, int)>& colour, bool use_color) {
    // Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
    static const Rgb palette[] = {{230, 159, 0}, {86, 180, 233}, {0, 158, 115},   {240, 228, 66},
                                  {0, 114, 178}, {213, 94, 0},   {204, 121, 167}, {153, 153, 153}};
    std::string out = "      ";
    for (int h = 0; h < heads; ++h) out += fmt::format("{:>4}", fmt::format("h{}", h));
    out += "\n";
    for (int l = 0; l < layers; ++l) {
        std::string line = fmt::format("  L{:<3}", l);
        for (int h = 0; h < heads; ++h) {
            std::string cell = pad_to_width(label(l, h), 3);
            if (use_color) cell = ansi_foreground(palette[static_cast<size_t>(colour(l, h)) % 8]) + cell + kAnsiReset;
            line += " " + cell;
        }
        out += line + "\n";
    }
    return out;
}

}  // namespace attnscope::cli
