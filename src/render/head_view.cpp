// The head view as a picture: web/src/views/headView.ts's layout (queries left, keys right, one line per
// weight ≥ 1%, colour per head, opacity by weight in ten levels), drawn with cairo.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "attnscope/error.h"
#include "surface.h"

namespace attnscope::render {

namespace {

constexpr int kMinCode = 3;  // 3 / 255 ≈ 0.0118: the first code at or above 1%
// The canvas's frame budget (headView.ts: LINE_BUDGET, PIXEL_BUDGET), so the picture shows the lines the
// canvas shows; beyond it the strongest are drawn and the caption says so. It also keeps the PNG small: at
// 512 tokens a 20,000-line picture was 1.1 MB, a third of the whole output, embedded twice.
constexpr std::size_t kMaxLines = 6000;
constexpr double kMaxPixels = 1.2e6;
constexpr int kLevels = 10;
constexpr std::size_t kStrokeBatch = 32;

std::size_t utf8_length(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
    return n;
}

}  // namespace

std::string head_view(const Codes& c, const Labels& labels, int layer, const std::vector<int>& heads, Format f) {
    check_codes(c, labels);
    if (layer < 0 || layer >= c.layers) throw Error("render: layer " + std::to_string(layer) + " is out of range");
    for (int h : heads) {
        if (h < 0 || h >= c.heads) throw Error("render: head " + std::to_string(h) + " is out of range");
    }
    const int n = c.n;
    const double row_h = std::max(6, std::min(20, 3000 / n));
    std::size_t longest = 1;
    for (const auto& t : labels.tokens) longest = std::max(longest, utf8_length(t));
    const double label_w = std::min(160.0, std::max(50.0, longest * std::min(8.0, row_h * 0.6) + 12));
    const double gap = 220, top = 22;
    const double width = std::max(label_w * 2 + gap, 600.0), height = top + 8 + n * row_h + 22;
    const Theme th = theme(labels.dark);
    Surface s(width, height, f, 1.0);
    s.fill(th.bg);
    cairo_t* cr = s.cr();
    const double font = std::min(12.0, std::max(5.0, row_h - 2));
    auto y = [&](int i) { return top + i * row_h + row_h / 2; };
    const int shown_layer = labels.layer_ids.empty() ? layer : labels.layer_ids[layer];
    s.text(4, 10, "layer " + std::to_string(shown_layer), 11, th.muted, -1, false);
    for (int i = 0; i < n; ++i) {
        const bool sp = !labels.special.empty() && labels.special[i];
        s.text(label_w, y(i), labels.tokens[i], font, sp ? th.muted : th.fg, 1);
        s.text(label_w + gap, y(i), labels.tokens[i], font, sp ? th.muted : th.fg, -1);
    }
    // The threshold that keeps at most kMaxLines lines and kMaxPixels pixels of line (cairo's rasterising
    // time follows the length): a histogram over the 256 codes, like the canvas's.
    std::array<std::size_t, 256> count{};
    std::array<double, 256> pixels{};
    for (int h : heads) {
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                const int code = c.at(layer, h, i, j);
                ++count[code];
                pixels[code] += std::max(gap, std::abs(i - j) * row_h);
            }
        }
    }
    int threshold = kMinCode;
    std::size_t kept = 0, total = 0;
    double px = 0;
    for (int code = 255; code >= kMinCode; --code) total += count[code];
    for (int code = 255; code >= kMinCode; --code) {
        if (kept + count[code] > kMaxLines || px + pixels[code] > kMaxPixels) {
            threshold = code + 1;
            break;
        }
        kept += count[code];
        px += pixels[code];
    }
    if (threshold == kMinCode) kept = total;
    const double x0 = label_w + 4, x1 = label_w + gap - 4;
    const double share = 1.0 / std::sqrt(static_cast<double>(std::max<std::size_t>(1, heads.size())));
    cairo_set_line_width(cr, 1.0);
    for (int h : heads) {
        const int head_id = labels.head_ids.empty() ? h : labels.head_ids[h];
        const auto colour = head_colour(head_id, labels.dark);
        // Lines grouped by opacity level and stroked a few dozen at a time: cairo tessellates a stroked path
        // as one polygon, so one path of thousands of crossing segments was quadratic (25 s for a 512-token
        // layer, measured), and one stroke per line pays its compositing set-up 6,000 times (~3 s).
        std::array<std::vector<std::array<int, 2>>, kLevels> levels;
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                const int code = c.at(layer, h, i, j);
                if (code >= threshold) levels[std::min(kLevels - 1, code * kLevels / 256)].push_back({i, j});
            }
        }
        for (int level = 0; level < kLevels; ++level) {
            const double alpha = std::min(1.0, (level + 1.0) / kLevels * share) * 0.95 + 0.05;
            cairo_set_source_rgba(cr, colour[0], colour[1], colour[2], alpha);
            const auto& segs = levels[level];
            for (std::size_t k = 0; k < segs.size(); ++k) {
                cairo_move_to(cr, x0, y(segs[k][0]));
                cairo_line_to(cr, x1, y(segs[k][1]));
                if ((k + 1) % kStrokeBatch == 0 || k + 1 == segs.size()) cairo_stroke(cr);
            }
        }
    }
    std::string caption = std::to_string(kept) + " lines";
    if (threshold > kMinCode)
        caption = "the " + std::to_string(kept) + " strongest of " + std::to_string(total) + " lines ≥ 1%";
    if (!labels.caption.empty()) caption += " · " + labels.caption;
    s.text(4, height - 10, caption, 11, th.muted, -1, false);
    return s.finish();
}

}  // namespace attnscope::render
