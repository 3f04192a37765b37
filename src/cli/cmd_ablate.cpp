// attnscope fill-mask and attnscope ablate: the masked-LM head's predictions, and what ablating heads
// (zeroed as transformers 4.x head_mask does, uniform, or mean) changes in them and in the hidden states.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "attnscope/ablation.h"
#include "attnscope/error.h"
#include "commands.h"
#include "common.h"
#include "head_grid.h"
#include "json_writer.h"
#include "output.h"

namespace attnscope::cli {
namespace {

struct AblateOptions {
    InputOptions input;
    std::string heads;
    std::string mode = "zero";
    size_t top_k = 5;
    bool rank = false;
    std::string format = "table";
};

HeadAblation parse_mode(const std::string& m) {
    if (m == "zero") return HeadAblation::Zero;
    if (m == "uniform") return HeadAblation::Uniform;
    if (m == "mean") return HeadAblation::Mean;
    throw Error(fmt::format("--ablation {}: expected zero (transformers head_mask), uniform or mean", m));
}

// Mean ablation needs each head's average output: over this input's tokens.
ForwardOptions ablation_options(const LoadedModel& lm, const tokenizer::Encoding& enc, const AblateOptions& o) {
    const auto& c = lm.model->config();
    ForwardOptions fo;
    fo.threads = o.input.threads;
    fo.ablation = parse_mode(o.mode);
    if (!o.heads.empty()) fo.head_mask = analysis::parse_head_list(o.heads, c.num_hidden_layers, c.num_attention_heads);
    if (fo.ablation == HeadAblation::Mean) {
        ForwardOptions cap;
        cap.capture.context = true;
        fo.mean_context = analysis::mean_head_outputs({lm.model->forward(enc, cap)});
    }
    return fo;
}

nlohmann::json predictions_json(const std::vector<analysis::MaskPredictions>& p) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& m : p) {
        nlohmann::json top = nlohmann::json::array();
        for (const auto& t : m.top) top.push_back({{"token", t.token}, {"id", t.id}, {"probability", t.probability}});
        a.push_back({{"position", m.position}, {"top", top}});
    }
    return a;
}

void print_predictions(const char* title, const std::vector<analysis::MaskPredictions>& p) {
    print_out("{}\n", title);
    for (const auto& m : p) {
        std::string line = fmt::format("  position {:>3}:", m.position);
        for (const auto& t : m.top) line += fmt::format("  {} {:.3f}", t.token, t.probability);
        print_out("{}\n", line);
    }
}

void fill_mask_command(const AblateOptions& o) {
    if (o.format != "table" && o.format != "json")
        throw Error(fmt::format("--format {}: expected table or json", o.format));
    if (o.top_k == 0) throw Error("--top-k must be at least 1");
    LoadedModel lm = load_model(o.input.model, o.input.quiet);
    const tokenizer::Encoding enc = encode_input(lm, o.input);
    ForwardOptions plain;
    plain.threads = o.input.threads;
    const auto before = analysis::fill_mask(*lm.model, enc, o.top_k, plain);
    std::vector<analysis::MaskPredictions> after;
    std::vector<double> change;
    if (!o.heads.empty()) {
        const ForwardOptions fo = ablation_options(lm, enc, o);
        after = analysis::fill_mask(*lm.model, enc, o.top_k, fo);
        change = analysis::hidden_state_change(lm.model->forward(enc, plain), lm.model->forward(enc, fo));
    }
    if (o.format == "json") {
        nlohmann::json j;
        j["model"] = model_json(lm);
        j["encoding"] = encoding_json(enc);
        j["predictions"] = predictions_json(before);
        if (!o.heads.empty()) {
            j["ablated_heads"] = o.heads;
            j["ablation"] = o.mode;
            j["ablated_predictions"] = predictions_json(after);
            j["hidden_state_change"] = change;
        }
        print_out("{}\n", j.dump());
        return;
    }
    print_predictions("predictions:", before);
    if (!o.heads.empty()) {
        print_predictions(fmt::format("\nwith heads {} ablated ({}):", o.heads, o.mode).c_str(), after);
        const double mean = std::accumulate(change.begin(), change.end(), 0.0) / static_cast<double>(change.size());
        print_out("\nfinal hidden states changed by {:.4f} on average (relative L2 per token)\n", mean);
    }
}

void ablate_command(const AblateOptions& o) {
    if (o.format != "table" && o.format != "json" && o.format != "csv") {
        throw Error(fmt::format("--format {}: expected table, json or csv", o.format));
    }
    if (o.heads.empty() == !o.rank) throw Error("give either --heads L:H,... to ablate, or --rank to rank every head");
    LoadedModel lm = load_model(o.input.model, o.input.quiet);
    const auto& c = lm.model->config();
    const tokenizer::Encoding enc = encode_input(lm, o.input);
    const int L = c.num_hidden_layers, H = c.num_attention_heads;
    if (o.rank) {
        ForwardOptions fo = ablation_options(lm, enc, o);
        const auto importance = analysis::head_importance(*lm.model, {enc}, fo.ablation, fo.mean_context);
        std::vector<size_t> order(importance.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return importance[a] > importance[b]; });
        if (o.format == "json") {
            nlohmann::json j;
            j["model"] = model_json(lm);
            j["ablation"] = o.mode;
            j["ranking"] = nlohmann::json::array();
            for (size_t r = 0; r < order.size(); ++r) {
                j["ranking"].push_back({{"rank", r + 1},
                                        {"layer", order[r] / static_cast<size_t>(H)},
                                        {"head", order[r] % static_cast<size_t>(H)},
                                        {"importance", importance[order[r]]}});
            }
            print_out("{}\n", j.dump());
        } else if (o.format == "csv") {
            print_out("rank,layer,head,importance\n");
            for (size_t r = 0; r < order.size(); ++r)
                print_out("{},{},{},{}\n", r + 1, order[r] / static_cast<size_t>(H), order[r] % static_cast<size_t>(H),
                          importance[order[r]]);
        } else {
            print_out("single-head ablation ({}): mean relative change of the final hidden states\n\n", o.mode);
            GridStyle gs;
            gs.color = use_color();
            gs.decimals = 3;
            gs.vmax = gs.vmin;
            print_out("{}", render_head_grid(
                                L, H, [&](int l, int h) { return importance[static_cast<size_t>(l * H + h)]; }, gs));
            print_out("\nmost important:");
            for (size_t r = 0; r < std::min<size_t>(10, order.size()); ++r)
                print_out(" {}:{} ({:.3f})", order[r] / static_cast<size_t>(H), order[r] % static_cast<size_t>(H),
                          importance[order[r]]);
            print_out("\n");
        }
        return;
    }
    ForwardOptions plain;
    plain.threads = o.input.threads;
    const ForwardOptions fo = ablation_options(lm, enc, o);
    const auto change = analysis::hidden_state_change(lm.model->forward(enc, plain), lm.model->forward(enc, fo));
    if (o.format == "json") {
        nlohmann::json j;
        j["model"] = model_json(lm);
        j["encoding"] = encoding_json(enc);
        j["ablated_heads"] = o.heads;
        j["ablation"] = o.mode;
        j["hidden_state_change"] = change;
        print_out("{}\n", j.dump());
        return;
    }
    if (o.format == "csv") {
        print_out("position,token,hidden_state_change\n");
        for (size_t i = 0; i < change.size(); ++i)
            print_out("{},{},{}\n", i, nlohmann::json(enc.tokens[i]).dump(), change[i]);
        return;
    }
    print_out("ablating {} ({}): relative change of each token's final hidden state\n", o.heads, o.mode);
    for (size_t i = 0; i < change.size(); ++i) print_out("  {:>3} {:<16} {:.4f}\n", i, enc.tokens[i], change[i]);
}

}  // namespace

void register_ablation(CLI::App& app) {
    auto fm = std::make_shared<AblateOptions>();
    auto* fill = app.add_subcommand("fill-mask", "Masked-LM predictions at each [MASK], optionally with heads ablated");
    add_input_options(fill, fm->input);
    fill->add_option("--top-k,-k", fm->top_k, "Predictions per [MASK] (default 5)")->check(non_negative(100000));
    fill->add_option("--ablate", fm->heads, "Heads to ablate, layer:head pairs such as 3:4,5:* (0-based)")
        ->check(non_empty());
    fill->add_option("--ablation", fm->mode, "zero (transformers head_mask, default), uniform or mean");
    fill->add_option("--format,-f", fm->format, "table (default) or json");
    fill->callback([fm] { fill_mask_command(*fm); });

    auto ab = std::make_shared<AblateOptions>();
    auto* abl = app.add_subcommand("ablate", "Ablate heads and measure the change, or rank every head by it");
    add_input_options(abl, ab->input);
    abl->add_option("--heads", ab->heads, "Heads to ablate, layer:head pairs such as 3:4,5:* (0-based)")
        ->check(non_empty());
    abl->add_flag("--rank", ab->rank, "Ablate each head alone and rank the heads by the change they cause");
    abl->add_option("--ablation", ab->mode, "zero (transformers head_mask, default), uniform or mean");
    abl->add_option("--format,-f", ab->format, "table (default), json or csv");
    abl->callback([ab] { ablate_command(*ab); });
}

}  // namespace attnscope::cli
