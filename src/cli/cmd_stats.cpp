// attnscope stats: the published per-head analyses of one input — statistics (Clark et al.), pattern
// types (Kovaleva et al.), norm-based attention (Kobayashi et al.) and the head map — as a terminal
// grid, JSON or CSV.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "attnscope/saved_attentions.h"
#include "commands.h"
#include "common.h"
#include "head_grid.h"
#include "json_writer.h"
#include "output.h"

namespace attnscope::cli {
namespace {

struct StatsOptions {
    InputOptions input;
    std::string format = "table";
    std::string stat = "entropy";
    bool norms = false;
    bool head_map = false;
    std::string attentions, tokens;
};

int find_stat(const std::string& key) {
    for (int s = 0; s < analysis::kNumStats; ++s)
        if (key == analysis::stat_info(s).key) return s;
    std::string all;
    for (int s = 0; s < analysis::kNumStats; ++s) all += std::string(s ? ", " : "") + analysis::stat_info(s).key;
    throw Error(fmt::format("--stat {}: expected one of {}", key, all));
}

const char* pattern_glyph(analysis::Pattern p) {
    switch (p) {
        case analysis::Pattern::Vertical:
            return "V";
        case analysis::Pattern::Diagonal:
            return "D";
        case analysis::Pattern::VerticalDiagonal:
            return "V+D";
        case analysis::Pattern::Block:
            return "B";
        case analysis::Pattern::Heterogeneous:
            return "·";
    }
    return "?";
}

void stats_command(const StatsOptions& o) {
    if (o.format != "table" && o.format != "json" && o.format != "csv") {
        throw Error(fmt::format("--format {}: expected table, json or csv", o.format));
    }
    const int chosen = find_stat(o.stat);
    const bool external = !o.attentions.empty();
    if (external && o.norms) throw Error("--norms needs the model's weights: it cannot run on --attentions");
    LoadedModel lm;
    tokenizer::Encoding enc;
    Trace trace;
    std::string cls = "[CLS]", sep = "[SEP]", name;
    if (external) {
        auto saved = load_saved_attentions(o.attentions, o.tokens);
        trace = std::move(saved.trace);
        enc = std::move(saved.encoding);
        name = o.attentions;
    } else {
        lm = load_model(o.input.model, o.input.quiet);
        enc = encode_input(lm, o.input);
        ForwardOptions fo;
        fo.threads = o.input.threads;
        fo.capture.qkv = o.norms;
        trace = lm.model->forward(enc, fo);
        cls = lm.model->tokenizer().config().cls_token;
        sep = lm.model->tokenizer().config().sep_token;
        name = lm.location.name;
    }
    const auto tokens = analysis::TokenClasses::from_encoding(enc, cls, sep);
    const auto stats = analysis::head_statistics(trace, tokens);
    const auto patterns = analysis::classify_heads(trace, tokens);
    const int L = trace.num_layers, H = trace.num_heads;
    std::vector<analysis::HeadNorms> norms;
    if (o.norms) {
        const auto& c = lm.model->config();
        for (int l = 0; l < L; ++l) {
            for (int h = 0; h < H; ++h) {
                const auto wo = lm.model->output_projection(l, h);
                norms.push_back(analysis::head_norms(trace.attention(l, h), trace.value(l, h), trace.seq_len,
                                                     static_cast<size_t>(trace.head_dim), wo.data(),
                                                     static_cast<size_t>(c.hidden_size), tokens));
            }
        }
    }
    std::vector<double> layout, distances;
    double stress = 0;
    if (o.head_map) {
        analysis::add_head_distances(trace, distances);
        layout = analysis::metric_mds(distances, static_cast<size_t>(L * H), &stress);
    }

    if (o.format == "json") {
        nlohmann::json j;
        if (!external)
            j["model"] = model_json(lm);
        else
            j["attentions"] = o.attentions;
        j["encoding"] = encoding_json(enc);
        j["uniform_entropy"] = stats.uniform_entropy;
        j["heads"] = nlohmann::json::array();
        for (int l = 0; l < L; ++l) {
            for (int h = 0; h < H; ++h) {
                const size_t i = static_cast<size_t>(l * H + h);
                nlohmann::json head = {{"layer", l}, {"head", h}};
                for (int s = 0; s < analysis::kNumStats; ++s)
                    head[analysis::stat_info(s).key] = stats.values[i][static_cast<size_t>(s)];
                head["pattern"] = analysis::pattern_name(patterns[i].label);
                head["pattern_features"] = {{"vertical", patterns[i].vertical},
                                            {"diagonal", patterns[i].diagonal},
                                            {"block", patterns[i].block},
                                            {"block_uniform", patterns[i].block_uniform}};
                head["map_colour"] = analysis::head_map_colour(stats.values[i]);
                if (!norms.empty()) {
                    head["norms"] = {{"value_norms", norms[i].value_norms},
                                     {"special_attention_share", norms[i].special_attention_share},
                                     {"special_norm_share", norms[i].special_norm_share},
                                     {"spearman_attention_vs_norm", norms[i].spearman}};
                }
                if (!layout.empty()) head["map_xy"] = {layout[i * 2], layout[i * 2 + 1]};
                j["heads"].push_back(head);
            }
        }
        if (!layout.empty()) {
            j["head_map_stress"] = stress;
            j["head_distances"] = distances;  // [LH][LH], Clark's D
        }
        print_out("{}\n", j.dump());
        return;
    }
    if (o.format == "csv") {
        std::string header = "layer,head";
        for (int s = 0; s < analysis::kNumStats; ++s) header += std::string(",") + analysis::stat_info(s).key;
        header += ",pattern,vertical,diagonal,block,map_colour";
        if (!norms.empty()) header += ",special_attention_share,special_norm_share,spearman_attention_vs_norm";
        if (!layout.empty()) header += ",map_x,map_y";
        print_out("{}\n", header);
        for (int l = 0; l < L; ++l) {
            for (int h = 0; h < H; ++h) {
                const size_t i = static_cast<size_t>(l * H + h);
                std::string line = fmt::format("{},{}", l, h);
                for (int s = 0; s < analysis::kNumStats; ++s)
                    line += fmt::format(",{}", stats.values[i][static_cast<size_t>(s)]);
                line +=
                    fmt::format(",{},{},{},{},{}", analysis::pattern_name(patterns[i].label), patterns[i].vertical,
                                patterns[i].diagonal, patterns[i].block, analysis::head_map_colour(stats.values[i]));
                if (!norms.empty()) {
                    line += fmt::format(",{},{},{}", norms[i].special_attention_share, norms[i].special_norm_share,
                                        norms[i].spearman);
                }
                if (!layout.empty()) line += fmt::format(",{},{}", layout[i * 2], layout[i * 2 + 1]);
                print_out("{}\n", line);
            }
        }
        return;
    }
    const bool color = use_color();
    print_out("{} · {} tokens · statistics per head (docs/analyses.md)\n\n", name, enc.size());
    const auto& info = analysis::stat_info(chosen);
    print_out("{} ({}){}:\n", info.label, info.unit,
              chosen == analysis::kEntropy ? fmt::format(", uniform attention = {:.2f}", stats.uniform_entropy) : "");
    GridStyle gs;
    gs.color = color;
    if (std::string(info.unit) == "share")
        gs.vmax = 1.0;
    else
        gs.vmax = gs.vmin;  // derive the scale from the data
    print_out("{}", render_head_grid(
                        L, H, [&](int l, int h) { return stats.at(l, h)[static_cast<size_t>(chosen)]; }, gs));
    print_out("\npattern types (V vertical, D diagonal, V+D both, B block, · heterogeneous):\n");
    print_out(
        "{}",
        render_label_grid(
            L, H,
            [&](int l, int h) { return std::string(pattern_glyph(patterns[static_cast<size_t>(l * H + h)].label)); },
            [&](int l, int h) { return static_cast<int>(patterns[static_cast<size_t>(l * H + h)].label); }, color));
    if (!norms.empty()) {
        print_out("\nshare of [CLS]/[SEP]: by attention weight α (left) and by α‖f(x)‖ (right), Kobayashi et al.:\n");
        GridStyle ns;
        ns.color = color;
        print_out(
            "{}",
            render_head_grid(
                L, H, [&](int l, int h) { return norms[static_cast<size_t>(l * H + h)].special_attention_share; }, ns));
        print_out(
            "{}",
            render_head_grid(
                L, H, [&](int l, int h) { return norms[static_cast<size_t>(l * H + h)].special_norm_share; }, ns));
    }
    if (!layout.empty()) print_out("\nhead map: MDS stress {:.3g}; coordinates with --format json or csv\n", stress);
    print_out("\n(--stat KEY picks the grid: ");
    for (int s = 0; s < analysis::kNumStats; ++s) print_out("{}{}", s ? ", " : "", analysis::stat_info(s).key);
    print_out(")\n");
}

}  // namespace

void register_stats(CLI::App& app) {
    auto o = std::make_shared<StatsOptions>();
    auto* cmd = app.add_subcommand("stats", "Per-head statistics, pattern types, norms and head map of one input");
    add_input_options(cmd, o->input);
    cmd->add_option("--format,-f", o->format, "table (default), json or csv");
    cmd->add_option("--stat,-s", o->stat, "The statistic drawn as an L × H grid in the table (default entropy)");
    cmd->add_flag("--norms", o->norms, "Also the norm-based analysis (Kobayashi et al. 2020)");
    cmd->add_flag("--head-map", o->head_map, "Also Clark et al.'s head map: JS distances between heads and a 2-D MDS");
    cmd->add_option("--attentions", o->attentions,
                    "Analyse these attentions (.npy [L, H, n, n]) instead of running a model");
    cmd->add_option("--tokens", o->tokens, "With --attentions: the tokens (.tokens.json or a JSON list of strings)");
    cmd->callback([o] { stats_command(*o); });
}

}  // namespace attnscope::cli
