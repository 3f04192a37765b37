#include "surface.h"

#include <cairo-svg.h>

#include <algorithm>
#include <cmath>

#include "attnscope/error.h"

namespace attnscope::render {

namespace {

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::array<double, 3> hex(unsigned v) {
    return {((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0};
}

// web/style.css's --bg, --fg, --muted, --line.
Theme theme(bool dark) {
    if (dark) return {hex(0x111316), hex(0xe6e6e9), hex(0x9a9aa3), hex(0x33373f)};
    return {hex(0xffffff), hex(0x1d1d1f), hex(0x6b6b73), hex(0xd7d9de)};
}

// web/src/colors.ts: viridis by 9 stops, linear between them.
std::array<double, 3> viridis(double t) {
    static const int stops[9][3] = {{68, 1, 84},    {71, 44, 122}, {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                                    {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}};
    const double x = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 8;
    const int i = std::min(7, static_cast<int>(x));
    const double f = x - i;
    std::array<double, 3> c{};
    for (int k = 0; k < 3; ++k) c[k] = (stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f) / 255.0;
    return c;
}

// web/src/colors.ts: Okabe–Ito then Paul Tol's muted colours.
std::array<double, 3> head_colour(int h, bool dark) {
    static const unsigned colours[16] = {0xE69F00, 0x56B4E9, 0x009E73, 0xF0E442, 0x0072B2, 0xD55E00,
                                         0xCC79A7, 0x000000, 0x332288, 0x88CCEE, 0x44AA99, 0x117733,
                                         0x999933, 0xDDCC77, 0xCC6677, 0xAA4499};
    const unsigned c = colours[h % 16];
    return dark && c == 0 ? hex(0xdddddd) : hex(c);
}

Surface::Surface(double width, double height, Format f, double png_scale) : format_(f), width_(width), height_(height) {
    if (!(width >= 1 && height >= 1 && width <= 32767 / png_scale && height <= 32767 / png_scale)) {
        throw Error("render: picture size " + std::to_string(width) + " x " + std::to_string(height) +
                    " is out of range");
    }
    if (f == Format::svg) {
        surface_ = cairo_svg_surface_create_for_stream(append, &out_, width, height);
    } else {
        surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(std::ceil(width * png_scale)),
                                              static_cast<int>(std::ceil(height * png_scale)));
    }
    cr_ = cairo_create(surface_);
    if (cairo_status(cr_) != CAIRO_STATUS_SUCCESS) {
        const std::string why = cairo_status_to_string(cairo_status(cr_));
        cairo_destroy(cr_);
        cairo_surface_destroy(surface_);
        throw Error("render: cairo cannot create the surface: " + why);
    }
    if (f == Format::png) cairo_scale(cr_, png_scale, png_scale);
}

Surface::~Surface() {
    if (cr_) cairo_destroy(cr_);
    if (surface_) cairo_surface_destroy(surface_);
}

void Surface::fill(const std::array<double, 3>& rgb) {
    cairo_set_source_rgb(cr_, rgb[0], rgb[1], rgb[2]);
    cairo_rectangle(cr_, 0, 0, width_, height_);
    cairo_fill(cr_);
}

void Surface::text(double x, double y, const std::string& s, double size, const std::array<double, 3>& rgb, int align,
                   bool mono, double angle) {
    cairo_save(cr_);
    cairo_select_font_face(cr_, mono ? "monospace" : "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    cairo_set_source_rgb(cr_, rgb[0], rgb[1], rgb[2]);
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    cairo_translate(cr_, x, y);
    if (angle != 0.0) cairo_rotate(cr_, angle * M_PI / 180.0);
    const double dx = align < 0 ? 0 : align > 0 ? -e.x_advance : -e.x_advance / 2;
    cairo_move_to(cr_, dx, size * 0.35);
    cairo_show_text(cr_, s.c_str());
    cairo_restore(cr_);
}

std::string Surface::finish() {
    cairo_destroy(cr_);
    cr_ = nullptr;
    if (format_ == Format::png) {
        const cairo_status_t st = cairo_surface_write_to_png_stream(surface_, append, &out_);
        if (st != CAIRO_STATUS_SUCCESS)
            throw Error(std::string("render: cannot encode the PNG: ") + cairo_status_to_string(st));
    }
    cairo_surface_finish(surface_);
    cairo_surface_destroy(surface_);
    surface_ = nullptr;
    return std::move(out_);
}

void check_codes(const Codes& c, const Labels& labels) {
    if (!c.data || c.layers <= 0 || c.heads <= 0 || c.n <= 0) throw Error("render: no attention to draw");
    if (static_cast<int>(labels.tokens.size()) != c.n) {
        throw Error("render: " + std::to_string(labels.tokens.size()) + " tokens for an attention over " +
                    std::to_string(c.n));
    }
    if (!labels.special.empty() && static_cast<int>(labels.special.size()) != c.n)
        throw Error("render: special mask has the wrong length");
    if (!labels.layer_ids.empty() && static_cast<int>(labels.layer_ids.size()) != c.layers)
        throw Error("render: layer_ids has the wrong length");
    if (!labels.head_ids.empty() && static_cast<int>(labels.head_ids.size()) != c.heads)
        throw Error("render: head_ids has the wrong length");
}

}  // namespace attnscope::render
