// A cairo surface that writes PNG or SVG into a string, and the colours the web views use.
#pragma once

#include <cairo.h>

#include <array>
#include <string>
#include <vector>

#include "attnscope/render.h"

namespace attnscope::render {

struct Theme {
    std::array<double, 3> bg, fg, muted, line;
};
Theme theme(bool dark);

std::array<double, 3> hex(unsigned rgb);  // 0xRRGGBB
std::array<double, 3> viridis(double t);
std::array<double, 3> head_colour(int h, bool dark);

class Surface {
  public:
    Surface(double width, double height, Format f, double png_scale = 2.0);
    ~Surface();
    Surface(const Surface&) = delete;
    Surface& operator=(const Surface&) = delete;
    cairo_t* cr() const { return cr_; }
    void fill(const std::array<double, 3>& rgb);
    // Left-, right- or centre-aligned text at (x, y), vertically centred; angle in degrees.
    void text(double x, double y, const std::string& s, double size, const std::array<double, 3>& rgb, int align = -1,
              bool mono = true, double angle = 0.0);
    std::string finish();  // the file's bytes

  private:
    Format format_;
    std::string out_;
    cairo_surface_t* surface_ = nullptr;
    cairo_t* cr_ = nullptr;
    double width_, height_;
};

void check_codes(const Codes& c, const Labels& labels);
void check_grid(const std::vector<std::vector<double>>& values, const Labels& labels);
// One value per head as an L × H grid at (ox, oy), as web/src/views/heatmapGrid.ts paints it; returns its height.
double paint_grid(Surface& s, const std::vector<std::vector<double>>& values, const Labels& labels, double ox,
                  double oy, double cell, const Theme& th);

}  // namespace attnscope::render
