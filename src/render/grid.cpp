// One value per head as an L × H grid (web/src/views/heatmapGrid.ts): viridis between the grid's own
// minimum and maximum, the range written under it. The statistics view's picture.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "attnscope/error.h"
#include "surface.h"

namespace attnscope::render {

// The grid at (ox, oy): head numbers above, layer numbers left, the range under it; NaN cells drawn as lines.
double paint_grid(Surface& s, const std::vector<std::vector<double>>& values, const Labels& labels, double ox,
                  double oy, double cell, const Theme& th) {
    const int L = static_cast<int>(values.size());
    const int H = L > 0 ? static_cast<int>(values[0].size()) : 0;
    cairo_t* cr = s.cr();
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& row : values) {
        for (double v : row) {
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    if (!(hi > lo)) hi = (std::isfinite(lo) ? lo : (lo = 0)) + 1;
    for (int h = 0; h < H; ++h) {
        const int id = labels.head_ids.empty() ? h : labels.head_ids[h];
        s.text(ox + 34 + h * cell + cell / 2, oy + 10, std::to_string(id), 10, th.muted, 0, false);
    }
    for (int l = 0; l < L; ++l) {
        const int id = labels.layer_ids.empty() ? l : labels.layer_ids[l];
        s.text(ox + 28, oy + 20 + l * cell + cell / 2, std::to_string(id), 10, th.muted, 1, false);
        for (int h = 0; h < H; ++h) {
            const double v = values[l][h];
            const auto rgb = std::isfinite(v) ? viridis((v - lo) / (hi - lo)) : th.line;
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_rectangle(cr, ox + 34 + h * cell, oy + 20 + l * cell, cell - 1, cell - 1);
            cairo_fill(cr);
        }
    }
    char range[96];
    std::snprintf(range, sizeof range, "%.3f … %.3f", lo, hi);
    s.text(ox + 34, oy + 20 + L * cell + 10, range, 10, th.muted, -1, false);
    return 20 + L * cell + 18;
}

void check_grid(const std::vector<std::vector<double>>& values, const Labels& labels) {
    const int L = static_cast<int>(values.size());
    const int H = L > 0 ? static_cast<int>(values[0].size()) : 0;
    if (L == 0 || H == 0) throw Error("render: no values to draw");
    for (const auto& row : values) {
        if (static_cast<int>(row.size()) != H) throw Error("render: grid rows differ in length");
    }
    if (!labels.layer_ids.empty() && static_cast<int>(labels.layer_ids.size()) != L)
        throw Error("render: layer_ids has the wrong length");
    if (!labels.head_ids.empty() && static_cast<int>(labels.head_ids.size()) != H)
        throw Error("render: head_ids has the wrong length");
}

std::string grid(const std::vector<std::vector<double>>& values, const Labels& labels, Format f) {
    check_grid(values, labels);
    const int L = static_cast<int>(values.size()), H = static_cast<int>(values[0].size());
    const double cell = 26;
    const double width = std::max(34 + H * cell + 10, 600.0), height = 20 + L * cell + 18 + 22;
    const Theme th = theme(labels.dark);
    Surface s(width, height, f, 1.0);
    s.fill(th.bg);
    paint_grid(s, values, labels, 0, 0, cell, th);
    if (!labels.caption.empty()) s.text(4, height - 10, labels.caption, 11, th.muted, -1, false);
    return s.finish();
}

}  // namespace attnscope::render
