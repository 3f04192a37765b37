// Static pictures of the attention views (head view, model view, one head's heatmap) as PNG or SVG,
// drawn with cairo. They are what a notebook output shows where no script runs (an untrusted notebook,
// nbconvert's HTML opened offline, a notebook viewer), so they are drawn from the same 8-bit copy of the
// attention that the output embeds for its canvas, with the same layout rules and colours as web/src.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope::render {

enum class Format { png, svg };

// The embedded copy: probabilities as 8-bit codes (p ≈ code / 255), [layers][heads][n][n], row-major.
struct Codes {
    const std::uint8_t* data = nullptr;
    int layers = 0, heads = 0, n = 0;
    std::uint8_t at(int l, int h, int i, int j) const {
        return data[((static_cast<std::size_t>(l) * heads + h) * n + i) * n + j];
    }
};

struct Labels {
    std::vector<std::string> tokens;    // n
    std::vector<std::uint8_t> special;  // n: 1 = drawn muted
    std::vector<int> layer_ids;         // the model's numbers of the embedded layers (layers)
    std::vector<int> head_ids;          // (heads)
    std::string caption;                // one line under the picture (what it shows, the rounding error)
    bool dark = false;
};

// Each returns the file's bytes. Throws attnscope::Error on inconsistent sizes or indices.
std::string head_view(const Codes& c, const Labels& labels, int layer, const std::vector<int>& heads, Format f);
std::string model_view(const Codes& c, const Labels& labels, Format f);
std::string heatmap(const Codes& c, const Labels& labels, int layer, int head, Format f);
// One value per head ([layers][heads], NaN = missing) as web/src/views/heatmapGrid.ts draws it.
std::string grid(const std::vector<std::vector<double>>& values, const Labels& labels, Format f);

// The atlas (web/src/views/atlasView.ts): small multiples, one L × H grid per statistic, then Clark et al.'s
// head map, each head a dot at its MDS position coloured by its class, larger for later layers.
struct NamedGrid {
    std::string label;
    std::vector<std::vector<double>> values;  // [layers][heads]
};
struct MapPoint {
    int layer = 0, head = 0;
    double x = 0, y = 0;
    std::string colour;  // the head map's class: cls, sep, punct, broad, next, prev, other
};
std::string atlas(const std::vector<NamedGrid>& grids, const std::vector<MapPoint>& head_map, double stress,
                  const Labels& labels, Format f);

}  // namespace attnscope::render
