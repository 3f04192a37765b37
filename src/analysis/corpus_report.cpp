#include "attnscope/corpus_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "analysis/corpus_json.h"
#include "attnscope/colour.h"
#include "schema/json_values.h"
#include "util/files.h"

namespace attnscope::analysis {

using nlohmann::json;

namespace {

json document_json(const CorpusStats& stats, const json& results) {
    return {{"state", CorpusStatsJson::to_json(stats)}, {"results", results}};
}

std::string report_html(const CorpusStats& c, const json& r, const std::string& title);

}  // namespace

std::string corpus_results_csv(const CorpusStats& c) {
    std::string out = "layer,head";
    for (int s = 0; s < kNumStats; ++s) out += fmt::format(",{}", stat_info(s).key);
    for (int s = 0; s < kNumStats; ++s) out += fmt::format(",{}_token_weighted", stat_info(s).key);
    out += ",pattern";
    for (int p = 0; p < kNumPatterns; ++p) out += fmt::format(",{}", pattern_name(static_cast<Pattern>(p)));
    out += c.has_importance() ? ",importance\n" : "\n";
    for (int l = 0; l < c.layers(); ++l) {
        for (int h = 0; h < c.heads(); ++h) {
            const int i = l * c.heads() + h;
            out += fmt::format("{},{}", l, h);
            for (int s = 0; s < kNumStats; ++s) out += fmt::format(",{}", c.document_weighted(i, s));
            for (int s = 0; s < kNumStats; ++s) out += fmt::format(",{}", c.token_weighted(i, s));
            out += fmt::format(",{}", pattern_name(c.majority_pattern(i)));
            for (int p = 0; p < kNumPatterns; ++p)
                out += fmt::format(",{}", c.pattern_count(i, static_cast<Pattern>(p)));
            out += c.has_importance() ? fmt::format(",{}\n", c.importance(i)) : "\n";
        }
    }
    return out;
}

namespace {

std::string escape(const std::string& s) {
    std::string o;
    for (char ch : s) {
        switch (ch) {
            case '&':
                o += "&amp;";
                break;
            case '<':
                o += "&lt;";
                break;
            case '>':
                o += "&gt;";
                break;
            case '"':
                o += "&quot;";
                break;
            default:
                o += ch;
        }
    }
    return o;
}

std::string hex(Rgb c) {
    return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b);
}

// An L × H heatmap as inline SVG with a tooltip per cell.
std::string heatmap_svg(int L, int H, const std::function<double(int, int)>& v, const std::string& label) {
    double lo = INFINITY, hi = -INFINITY;
    for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h) {
            lo = std::min(lo, v(l, h));
            hi = std::max(hi, v(l, h));
        }
    if (!(hi > lo)) hi = lo + 1;
    const int cell = 26, left = 40, top = 22;
    std::string s =
        fmt::format("<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' role='img' aria-label='{}'>",
                    left + H * cell + 10, top + L * cell + 24, escape(label));
    for (int h = 0; h < H; ++h)
        s += fmt::format("<text x='{}' y='16' class='ax'>{}</text>", left + h * cell + cell / 2, h);
    for (int l = 0; l < L; ++l) {
        s += fmt::format("<text x='{}' y='{}' class='ay'>{}</text>", left - 6, top + l * cell + cell / 2 + 4, l);
        for (int h = 0; h < H; ++h) {
            const double x = v(l, h);
            s += fmt::format(
                "<rect x='{}' y='{}' width='{}' height='{}' fill='{}'><title>layer {} head {}: {:.4f}</title></rect>",
                left + h * cell, top + l * cell, cell - 1, cell - 1, hex(viridis((x - lo) / (hi - lo))), l, h, x);
        }
    }
    s += fmt::format("<text x='{}' y='{}' class='lg'>{:.3f} … {:.3f}</text></svg>", left, top + L * cell + 16, lo, hi);
    return s;
}

const char* pattern_colour(const std::string& p) {
    // Okabe–Ito, colour-blind safe.
    if (p == "vertical") return "#E69F00";
    if (p == "diagonal") return "#56B4E9";
    if (p == "vertical+diagonal") return "#009E73";
    if (p == "block") return "#CC79A7";
    return "#999999";
}

const char* map_colour(const std::string& c) {
    if (c == "cls") return "#E69F00";
    if (c == "sep") return "#56B4E9";
    if (c == "punct") return "#009E73";
    if (c == "broad") return "#F0E442";
    if (c == "next") return "#0072B2";
    if (c == "prev") return "#D55E00";
    return "#999999";
}

}  // namespace

std::string corpus_report_html(const CorpusStats& c, const std::string& title) {
    return report_html(c, schema::corpus_json(c), title);
}

namespace {

std::string report_html(const CorpusStats& c, const json& r, const std::string& title) {
    const int L = c.layers(), H = c.heads();
    std::string h =
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>" + escape(title) +
        "</title><style>"
        "body{font:14px system-ui,sans-serif;margin:24px;color:#222;background:#fff}"
        "h1{font-size:20px}h2{font-size:16px;margin-top:28px}.grid{display:flex;flex-wrap:wrap;gap:18px}"
        "figure{margin:0}figcaption{font-size:13px;margin-bottom:4px}"
        ".ax,.ay,.lg{font-size:10px;fill:#555}.ax{text-anchor:middle}.ay{text-anchor:end}"
        "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
        ".key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}"
        "@media (prefers-color-scheme: dark){body{background:#111;color:#ddd}.ax,.ay,.lg{fill:#aaa}}"
        "</style></head><body>";
    h += "<h1>" + escape(title) + "</h1>";
    h += fmt::format(
        "<p>{} inputs, {} tokens, {} lines skipped · model {} · {} layers × {} heads · uniform-attention "
        "entropy {:.3f} nats</p>",
        c.docs(), c.tokens(), c.skipped.size(), escape(c.model_name()), L, H, c.uniform_entropy());
    h += "<h2>Statistics per head (document-weighted means)</h2><div class='grid'>";
    for (int s = 0; s < kNumStats; ++s) {
        const auto& info = stat_info(s);
        h += fmt::format("<figure><figcaption>{} ({})</figcaption>{}</figure>", escape(info.label), info.unit,
                         heatmap_svg(
                             L, H, [&](int l, int hh) { return c.document_weighted(l * H + hh, s); }, info.label));
    }
    h += "</div>";
    if (c.has_importance()) {
        h += "<h2>Head importance (single-head ablation: mean relative change of the final hidden states)</h2>";
        h += heatmap_svg(
            L, H, [&](int l, int hh) { return c.importance(l * H + hh); }, "importance");
    }
    // Pattern grid.
    h += "<h2>Pattern types (majority label per head)</h2><p class='key'>";
    for (int p = 0; p < kNumPatterns; ++p) {
        const char* name = pattern_name(static_cast<Pattern>(p));
        h += fmt::format("<span style='background:{}'></span>{}", pattern_colour(name), name);
    }
    h += "</p>";
    {
        const int cell = 26, left = 40, top = 22;
        std::string s = fmt::format("<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}'>",
                                    left + H * cell + 10, top + L * cell + 6);
        for (int hh = 0; hh < H; ++hh)
            s += fmt::format("<text x='{}' y='16' class='ax'>{}</text>", left + hh * cell + cell / 2, hh);
        for (int l = 0; l < L; ++l) {
            s += fmt::format("<text x='{}' y='{}' class='ay'>{}</text>", left - 6, top + l * cell + cell / 2 + 4, l);
            for (int hh = 0; hh < H; ++hh) {
                const auto& head = r["heads"][static_cast<size_t>(l * H + hh)];
                const std::string p = head["pattern"];
                s += fmt::format(
                    "<rect x='{}' y='{}' width='{}' height='{}' fill='{}'><title>layer {} head {}: {} (V {:.2f}, Dg "
                    "{:.2f}, Bk {:.2f})</title></rect>",
                    left + hh * cell, top + l * cell, cell - 1, cell - 1, pattern_colour(p), l, hh, p,
                    head["pattern_features"]["vertical"].get<double>(),
                    head["pattern_features"]["diagonal"].get<double>(),
                    head["pattern_features"]["block"].get<double>());
            }
        }
        h += s + "</svg>";
    }
    // Per-layer proportions as stacked bars.
    h += "<h2>Pattern proportions per layer</h2>";
    {
        const int bar_w = 360, row_h = 18, left = 40;
        std::string s = fmt::format("<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}'>",
                                    left + bar_w + 10, L * row_h + 10);
        for (int l = 0; l < L; ++l) {
            const auto& counts = r["layers"][static_cast<size_t>(l)]["patterns"];
            double total = 0;
            for (const auto& [k, v] : counts.items()) total += v.get<double>();
            double x = left;
            s += fmt::format("<text x='{}' y='{}' class='ay'>{}</text>", left - 6, l * row_h + 13, l);
            for (int p = 0; p < kNumPatterns; ++p) {
                const char* name = pattern_name(static_cast<Pattern>(p));
                const double w = total > 0 ? counts[name].get<double>() / total * bar_w : 0;
                s += fmt::format(
                    "<rect x='{:.1f}' y='{}' width='{:.1f}' height='{}' fill='{}'><title>layer {}: {} "
                    "{:.1f}%</title></rect>",
                    x, l * row_h + 2, w, row_h - 3, pattern_colour(name), l, name, total > 0 ? 100 * w / bar_w : 0);
                x += w;
            }
        }
        h += s + "</svg>";
    }
    if (r.contains("head_map")) {
        h += fmt::format(
            "<h2>Head map (Clark et al. 2019: JS distances over {} inputs, metric MDS, stress {:.3g})</h2><p "
            "class='key'>",
            r["head_map"]["docs"].get<uint64_t>(), r["head_map"]["stress"].get<double>());
        for (const char* k : {"cls", "sep", "punct", "broad", "next", "prev", "other"}) {
            h += fmt::format("<span style='background:{}'></span>{}", map_colour(k), k);
        }
        h += "</p>";
        double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
        for (const auto& head : r["heads"]) {
            const double x = head["map_xy"][0], y = head["map_xy"][1];
            xmin = std::min(xmin, x);
            xmax = std::max(xmax, x);
            ymin = std::min(ymin, y);
            ymax = std::max(ymax, y);
        }
        const double size = 420, pad = 16;
        const double sx = xmax > xmin ? (size - 2 * pad) / (xmax - xmin) : 1,
                     sy = ymax > ymin ? (size - 2 * pad) / (ymax - ymin) : 1;
        std::string s = fmt::format("<svg xmlns='http://www.w3.org/2000/svg' width='{0}' height='{0}'>", size);
        for (const auto& head : r["heads"]) {
            const double x = pad + (head["map_xy"][0].get<double>() - xmin) * sx,
                         y = pad + (head["map_xy"][1].get<double>() - ymin) * sy;
            const int l = head["layer"], hh = head["head"];
            s += fmt::format(
                "<circle cx='{:.1f}' cy='{:.1f}' r='{:.1f}' fill='{}' fill-opacity='0.85'><title>layer {} head {} "
                "({})</title></circle>",
                x, y, 3.0 + 4.0 * l / std::max(1, L - 1), map_colour(head["map_colour"].get<std::string>()), l, hh,
                head["map_colour"].get<std::string>());
        }
        h += s + "</svg><p>Marker size grows with the layer.</p>";
    }
    if (!c.skipped.empty()) {
        h += "<h2>Skipped lines</h2><table><tr><th>line</th><th style='text-align:left'>error</th></tr>";
        for (size_t i = 0; i < std::min<size_t>(c.skipped.size(), 200); ++i) {
            h += fmt::format("<tr><td>{}</td><td style='text-align:left'>{}</td></tr>", c.skipped[i].line,
                             escape(c.skipped[i].error));
        }
        h += "</table>";
    }
    h += "<p>Made by attnscope. Definitions: docs/analyses.md.</p></body></html>\n";
    return h;
}

}  // namespace

std::string corpus_document(const CorpusStats& stats) {
    return document_json(stats, schema::corpus_json(stats)).dump(1) + "\n";
}

std::vector<std::string> write_corpus_outputs(const CorpusStats& stats, const std::string& prefix,
                                              const std::string& title) {
    const json results = schema::corpus_json(stats);
    std::vector<std::string> written;
    auto write = [&](const std::string& path, const std::string& content) {
        util::write_file_atomic(path, content);
        written.push_back(path);
    };
    write(prefix + ".json", document_json(stats, results).dump(1) + "\n");
    write(prefix + ".csv", corpus_results_csv(stats));
    write(prefix + ".html", report_html(stats, results, title));
    return written;
}

void write_corpus_state(const CorpusStats& stats, const std::filesystem::path& path) {
    util::write_file_atomic(path, json{{"state", CorpusStatsJson::to_json(stats)}}.dump() + "\n");
}

CorpusStats read_corpus_state(const std::filesystem::path& path) {
    return CorpusStats::from_json_text(util::read_text_file(path), path.string());
}

}  // namespace attnscope::analysis
