// The atlas as a picture: web/src/views/atlasView.ts's small multiples (four grids a row, the same cell size
// rule) and its head map (the same class colours and dot sizes), for outputs where no script runs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "attnscope/error.h"
#include "surface.h"

namespace attnscope::render {

namespace {

constexpr double kMapSize = 360;
constexpr int kPerRow = 4;

// atlasView.ts's MAP_COLOURS, in its legend's order.
const std::vector<std::pair<std::string, unsigned>>& map_colours() {
    static const std::vector<std::pair<std::string, unsigned>> c = {
        {"cls", 0xE69F00},  {"sep", 0x56B4E9},  {"punct", 0x009E73}, {"broad", 0xF0E442},
        {"next", 0x0072B2}, {"prev", 0xD55E00}, {"other", 0x999999}};
    return c;
}

std::array<double, 3> class_colour(const std::string& name) {
    for (const auto& [key, v] : map_colours()) {
        if (key == name) return hex(v);
    }
    return hex(0x999999);
}

void paint_map(Surface& s, const std::vector<MapPoint>& points, int layers, double oy, const Theme& th) {
    cairo_t* cr = s.cr();
    double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
    for (const auto& p : points) {
        x0 = std::min(x0, p.x);
        x1 = std::max(x1, p.x);
        y0 = std::min(y0, p.y);
        y1 = std::max(y1, p.y);
    }
    const double scale = (kMapSize - 24) / std::max({x1 - x0, y1 - y0, 1e-9});
    cairo_set_source_rgb(cr, th.line[0], th.line[1], th.line[2]);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, 0.5, oy + 0.5, kMapSize - 1, kMapSize - 1);
    cairo_stroke(cr);
    for (const auto& p : points) {
        const auto c = class_colour(p.colour);
        cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.85);
        const double r = 2.5 + 4.0 * p.layer / std::max(1, layers - 1);
        cairo_arc(cr, 12 + (p.x - x0) * scale, oy + 12 + (p.y - y0) * scale, r, 0, 2 * M_PI);
        cairo_fill(cr);
    }
    double lx = kMapSize + 16;
    double ly = oy + 10;
    for (const auto& [key, v] : map_colours()) {
        const auto c = hex(v);
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_rectangle(cr, lx, ly - 5, 10, 10);
        cairo_fill(cr);
        s.text(lx + 16, ly, key, 11, th.fg, -1, false);
        ly += 18;
    }
}

}  // namespace

std::string atlas(const std::vector<NamedGrid>& grids, const std::vector<MapPoint>& head_map, double stress,
                  const Labels& labels, Format f) {
    if (grids.empty()) throw Error("render: the atlas needs at least one statistic");
    for (const auto& g : grids) check_grid(g.values, labels);
    const int L = static_cast<int>(grids[0].values.size()), H = static_cast<int>(grids[0].values[0].size());
    for (const auto& g : grids) {
        if (static_cast<int>(g.values.size()) != L || static_cast<int>(g.values[0].size()) != H)
            throw Error("render: the atlas's grids differ in shape");
    }
    for (const auto& p : head_map) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) throw Error("render: a head map position is not finite");
    }
    const double cell = std::max(6.0, std::min(14.0, std::floor(180.0 / H)));
    const double grid_w = 34 + H * cell, grid_h = 20 + L * cell + 18;
    const int rows = (static_cast<int>(grids.size()) + kPerRow - 1) / kPerRow;
    const double grids_h = rows * (grid_h + 24);
    const double map_h = head_map.empty() ? 0 : kMapSize + 28;
    const double width = std::max(kPerRow * (grid_w + 20), kMapSize + 120);
    const double height = grids_h + map_h + 22;
    const Theme th = theme(labels.dark);
    Surface s(width, height, f, 1.0);
    s.fill(th.bg);
    for (std::size_t k = 0; k < grids.size(); ++k) {
        const double x = static_cast<double>(k % kPerRow) * (grid_w + 20);
        const double y = static_cast<double>(k / kPerRow) * (grid_h + 24);
        s.text(x, y + 8, grids[k].label, 11, th.muted, -1, false);
        paint_grid(s, grids[k].values, labels, x, y + 14, cell, th);
    }
    if (!head_map.empty()) {
        char title[128];
        std::snprintf(title, sizeof title, "head map (Jensen–Shannon distances, metric MDS) · stress %.3g", stress);
        s.text(0, grids_h + 8, title, 11, th.muted, -1, false);
        paint_map(s, head_map, L, grids_h + 18, th);
    }
    if (!labels.caption.empty()) s.text(4, height - 10, labels.caption, 11, th.muted, -1, false);
    return s.finish();
}

}  // namespace attnscope::render
