// attnscope rollout: attention rollout and attention flow (Abnar & Zuidema 2020): how much of each input
// token is in each position after every layer, as a layer × token heatmap for one row, or as data.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "attnscope/saved_attentions.h"
#include "commands.h"
#include "common.h"
#include "json_writer.h"
#include "output.h"
#include "terminal_render.h"

namespace attnscope::cli {
namespace {

struct RolloutOptions {
    InputOptions input;
    std::string format = "table";
    bool flow = false;
    int flow_layer = 0;  // 0 = the last layer
    size_t row = 0;      // the position whose composition is shown (0 = [CLS])
    std::string attentions, tokens;
};

void rollout_command(const RolloutOptions& o) {
    if (o.format != "table" && o.format != "json")
        throw Error(fmt::format("--format {}: expected table or json", o.format));
    LoadedModel lm;
    tokenizer::Encoding enc;
    Trace trace;
    if (!o.attentions.empty()) {
        auto saved = load_saved_attentions(o.attentions, o.tokens);
        trace = std::move(saved.trace);
        enc = std::move(saved.encoding);
    } else {
        lm = load_model(o.input.model, o.input.quiet);
        enc = encode_input(lm, o.input);
        ForwardOptions fo;
        fo.threads = o.input.threads;
        trace = lm.model->forward(enc, fo);
    }
    const size_t n = enc.size();
    if (o.row >= n) throw Error(fmt::format("--row {}: the input has {} tokens (0-{})", o.row, n, n - 1));
    const int L = trace.num_layers;
    const auto rollout = analysis::attention_rollout(trace);
    std::vector<float> flow;
    const int flow_layer = o.flow_layer > 0 ? o.flow_layer : L;
    if (o.flow) flow = analysis::attention_flow(trace, flow_layer);

    if (o.format == "json") {
        nlohmann::json j;
        if (lm.model) j["model"] = model_json(lm);
        j["encoding"] = encoding_json(enc);
        fmt::memory_buffer buf;
        append_tensor3(buf, rollout.data(), static_cast<size_t>(L), n, n);
        j["rollout"] = nlohmann::json::parse(std::string_view(buf.data(), buf.size()));
        if (o.flow) {
            buf.clear();
            append_matrix(buf, flow.data(), n, n);
            j["flow"] = nlohmann::json::parse(std::string_view(buf.data(), buf.size()));
            j["flow_layer"] = flow_layer;
        }
        print_out("{}\n", j.dump());
        return;
    }
    HeatmapStyle style;
    style.color = use_color();
    std::vector<float> rows(static_cast<size_t>(L) * n);
    std::vector<std::string> layer_labels;
    for (int l = 0; l < L; ++l) {
        std::copy(rollout.begin() + static_cast<long>((static_cast<size_t>(l) * n + o.row) * n),
                  rollout.begin() + static_cast<long>((static_cast<size_t>(l) * n + o.row + 1) * n),
                  rows.begin() + static_cast<long>(static_cast<size_t>(l) * n));
        layer_labels.push_back(fmt::format("layer {}", l));
    }
    print_out(
        "attention rollout: the share of each input token (columns) in position {} ({}) after each layer "
        "(rows)\n\n",
        o.row, enc.tokens[o.row]);
    print_out("{}", render_heatmap(rows.data(), static_cast<size_t>(L), n, layer_labels, enc.tokens, style));
    if (o.flow) {
        print_out("\nattention flow (max-flow) from layer {} to the inputs, every position (rows):\n\n", flow_layer);
        print_out("{}", render_heatmap(flow.data(), n, n, enc.tokens, enc.tokens, style));
    }
}

}  // namespace

void register_rollout(CLI::App& app) {
    auto o = std::make_shared<RolloutOptions>();
    auto* cmd = app.add_subcommand("rollout", "Attention rollout and flow across layers (Abnar & Zuidema 2020)");
    add_input_options(cmd, o->input);
    cmd->add_option("--format,-f", o->format, "table (default) or json");
    cmd->add_option("--row", o->row, "Position whose input composition the table shows (default 0, [CLS])")
        ->check(non_negative());
    cmd->add_flag("--flow", o->flow,
                  fmt::format("Also attention flow by max-flow (inputs up to {} tokens)", analysis::kMaxFlowTokens));
    cmd->add_option("--flow-layer", o->flow_layer,
                    "Layer whose nodes the flow starts from (1 = first, default the last)")
        ->check(int_in(1, 1 << 20));
    cmd->add_option("--attentions", o->attentions,
                    "Use these attentions (.npy [L, H, n, n]) instead of running a model");
    cmd->add_option("--tokens", o->tokens, "With --attentions: the tokens (.tokens.json or a JSON list of strings)");
    cmd->callback([o] { rollout_command(*o); });
}

}  // namespace attnscope::cli
