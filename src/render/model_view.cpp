// The model view and one head's heatmap as pictures: web/src/views/modelView.ts (every head a thumbnail,
// max-pooled to at most 96 pixels, each on its own scale) and detailView.ts (n × n cells, viridis, labels).
#include <algorithm>
#include <cmath>
#include <vector>

#include "attnscope/error.h"
#include "surface.h"

namespace attnscope::render {

namespace {

constexpr int kMaxPixels = 96;

// One head as an s × s image: max-pooled codes, scaled so the head's largest is the top of viridis.
cairo_surface_t* thumbnail(const Codes& c, int l, int h, int s) {
    std::vector<int> pooled(static_cast<std::size_t>(s) * s, 0);
    const int n = c.n;
    int max = 0;
    for (int i = 0; i < n; ++i) {
        const int pi = i * s / n;
        for (int j = 0; j < n; ++j) {
            int& p = pooled[static_cast<std::size_t>(pi) * s + j * s / n];
            p = std::max(p, static_cast<int>(c.at(l, h, i, j)));
        }
    }
    for (int v : pooled) max = std::max(max, v);
    cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s, s);
    cairo_surface_flush(img);
    unsigned char* px = cairo_image_surface_get_data(img);
    const int stride = cairo_image_surface_get_stride(img);
    for (int i = 0; i < s; ++i) {
        auto* row = reinterpret_cast<std::uint32_t*>(px + static_cast<std::size_t>(i) * stride);
        for (int j = 0; j < s; ++j) {
            const auto rgb =
                viridis(max > 0 ? pooled[static_cast<std::size_t>(i) * s + j] / static_cast<double>(max) : 0.0);
            row[j] = (static_cast<std::uint32_t>(rgb[0] * 255) << 16) |
                     (static_cast<std::uint32_t>(rgb[1] * 255) << 8) | static_cast<std::uint32_t>(rgb[2] * 255);
        }
    }
    cairo_surface_mark_dirty(img);
    return img;
}

// "L3", "H7" (built by appending: GCC 12 warns falsely on "H" + std::to_string(...) at -O3).
std::string axis(char prefix, int id) {
    std::string s(1, prefix);
    s += std::to_string(id);
    return s;
}

std::size_t utf8_length(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
    return n;
}

}  // namespace

std::string model_view(const Codes& c, const Labels& labels, Format f) {
    check_codes(c, labels);
    const int cell = std::max(36, std::min(84, 900 / c.heads - 3));
    const double width = 40 + c.heads * (cell + 3.0), height = 22 + c.layers * (cell + 3.0) + 22;
    const Theme th = theme(labels.dark);
    Surface s(width, height, f, 1.0);
    s.fill(th.bg);
    cairo_t* cr = s.cr();
    const int px = std::min(c.n, kMaxPixels);
    for (int h = 0; h < c.heads; ++h) {
        const int id = labels.head_ids.empty() ? h : labels.head_ids[h];
        s.text(40 + h * (cell + 3.0) + cell / 2.0, 10, axis('H', id), 11, th.muted, 0, false);
    }
    for (int l = 0; l < c.layers; ++l) {
        const int id = labels.layer_ids.empty() ? l : labels.layer_ids[l];
        const double y = 22 + l * (cell + 3.0);
        s.text(30, y + cell / 2.0, axis('L', id), 11, th.muted, 1, false);
        for (int h = 0; h < c.heads; ++h) {
            cairo_surface_t* img = thumbnail(c, l, h, px);
            cairo_save(cr);
            cairo_translate(cr, 40 + h * (cell + 3.0), y);
            cairo_scale(cr, static_cast<double>(cell) / px, static_cast<double>(cell) / px);
            cairo_set_source_surface(cr, img, 0, 0);
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
            cairo_paint(cr);
            cairo_restore(cr);
            cairo_surface_destroy(img);
        }
    }
    s.text(
        4, height - 10,
        labels.caption.empty() ? "each pattern on its own scale" : "each pattern on its own scale · " + labels.caption,
        11, th.muted, -1, false);
    return s.finish();
}

std::string heatmap(const Codes& c, const Labels& labels, int layer, int head, Format f) {
    check_codes(c, labels);
    if (layer < 0 || layer >= c.layers || head < 0 || head >= c.heads) {
        throw Error("render: layer " + std::to_string(layer) + ", head " + std::to_string(head) + " is out of range");
    }
    const int n = c.n;
    const int cell = std::max(3, std::min(30, 720 / n));
    std::size_t longest = 4;
    for (const auto& t : labels.tokens) longest = std::max(longest, utf8_length(t));
    const bool with_labels = cell >= 8;
    const double left = with_labels ? std::min(140.0, longest * 7.0 + 12) : 24;
    const double top = with_labels ? std::min(120.0, longest * 6.0 + 14) : 24;
    const double width = std::max(left + n * cell + 10.0, 600.0), height = top + n * cell + 34 + 18;
    const Theme th = theme(labels.dark);
    Surface s(width, height, f, 1.0);
    s.fill(th.bg);
    cairo_t* cr = s.cr();
    const int lid = labels.layer_ids.empty() ? layer : labels.layer_ids[layer];
    const int hid = labels.head_ids.empty() ? head : labels.head_ids[head];
    s.text(4, 10, "layer " + std::to_string(lid) + " · head " + std::to_string(hid), 11, th.muted, -1, false);
    int max = 0;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) max = std::max(max, static_cast<int>(c.at(layer, head, i, j)));
    if (max == 0) max = 255;
    const double inner = cell - (cell > 6 ? 1 : 0);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
            const auto rgb = viridis(c.at(layer, head, i, j) / static_cast<double>(max));
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_rectangle(cr, left + j * cell, top + i * cell, inner, inner);
            cairo_fill(cr);
        }
    }
    if (with_labels) {
        const double size = std::min(12, cell - 1);
        for (int i = 0; i < n; ++i) {
            const bool sp = !labels.special.empty() && labels.special[i];
            s.text(left - 6, top + i * cell + cell / 2.0, labels.tokens[i], size, sp ? th.muted : th.fg, 1);
            s.text(left + i * cell + cell / 2.0, top - 6, labels.tokens[i], size, sp ? th.muted : th.fg, -1, true, -60);
        }
    }
    const double y = top + n * cell + 12;
    for (int k = 0; k < 64; ++k) {
        const auto rgb = viridis(k / 63.0);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, left + k * 3, y, 3, 10);
        cairo_fill(cr);
    }
    char range[64];
    std::snprintf(range, sizeof range, "0 … %.3f  (rows: queries, columns: keys)", max / 255.0);
    s.text(left + 200, y + 5, range, 11, th.muted, -1, false);
    if (!labels.caption.empty()) s.text(4, height - 9, labels.caption, 11, th.muted, -1, false);
    return s.finish();
}

}  // namespace attnscope::render
