#include "run_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "json_writer.h"
#include "npy_writer.h"
#include "output.h"
#include "terminal_render.h"
#include "text_width.h"

namespace attnscope::cli {

void print_workflow(const LoadedModel& lm, const RunInput& in, const tokenizer::Encoding& enc) {
    const auto& tok = lm.model->tokenizer();
    const auto& c = lm.model->config();
    const size_t width = terminal_width();
    print_out("model   {} ({}) · {} layers × {} heads · hidden {} · loaded in {:.0f} ms\n", lm.location.name,
              lm.location.directory.string(), c.num_hidden_layers, c.num_attention_heads, c.hidden_size, lm.load_ms);
    print_out("text    {}\n", in.text);
    if (in.pair) print_out("pair    {}\n", *in.pair);

    auto show_tokens = [&](const std::string& label, const std::string& text) {
        auto tokens = tok.tokenize(text);
        auto ids = tok.convert_tokens_to_ids(tokens);
        std::vector<std::string> id_cells;
        for (auto id : ids) id_cells.push_back(std::to_string(id));
        print_out("\n{}\n", label);
        print_out("{}", render_columns({"tokens", "ids"}, {tokens, id_cells}, width));
    };
    show_tokens("1-2. tokenize → convert_tokens_to_ids", in.text);
    if (in.pair) show_tokens("     (pair)", *in.pair);

    std::vector<std::string> pos, ids, types, mask;
    for (size_t i = 0; i < enc.size(); ++i) {
        pos.push_back(std::to_string(i));
        ids.push_back(std::to_string(enc.ids[i]));
        types.push_back(std::to_string(enc.type_ids[i]));
        mask.push_back(std::to_string(enc.attention_mask[i]));
    }
    print_out("\n3. encode_plus: {} tokens with {} and {}\n", enc.size(), tok.config().cls_token,
              tok.config().sep_token);
    print_out("{}", render_columns({"position", "token", "input_ids", "token_type_ids", "attention_mask"},
                                   {pos, enc.tokens, ids, types, mask}, width));
}

void print_overview(const LoadedModel& lm, const tokenizer::Encoding& enc, const Trace& trace, double forward_ms,
                    bool color) {
    const auto& c = lm.model->config();
    const size_t n = enc.size();
    print_out("\n4. model(**inputs, output_attentions=True) → {} × [1, {}, {}, {}] in {:.1f} ms\n", c.num_hidden_layers,
              c.num_attention_heads, n, n, forward_ms);
    const auto summary = analysis::summarize_heads(trace);
    const double uniform = std::log(static_cast<double>(n));
    print_out(
        "\n5. heads: mean row entropy in nats (uniform attention = {:.2f}) and the token that receives the "
        "most attention\n",
        uniform);
    const size_t cell_w = 14;
    const size_t per_block = std::max<size_t>(1, (terminal_width() - 6) / cell_w);
    const int H = c.num_attention_heads;
    for (int h0 = 0; h0 < H; h0 += static_cast<int>(per_block)) {
        int h1 = std::min(H, h0 + static_cast<int>(per_block));
        std::string header = "      ";
        for (int h = h0; h < h1; ++h) header += pad_to_width(fmt::format("head {}", h), cell_w);
        print_out("\n{}\n", header);
        for (int l = 0; l < c.num_hidden_layers; ++l) {
            std::string line = fmt::format("  L{:<3}", l);
            for (int h = h0; h < h1; ++h) {
                const auto& s = summary[static_cast<size_t>(l * H + h)];
                std::string ent = fmt::format("{:.2f}", s.entropy);
                if (color) ent = ansi_foreground(viridis(uniform > 0 ? s.entropy / uniform : 0)) + ent + kAnsiReset;
                std::string token = truncate_to_width(enc.tokens[s.top_key], cell_w - 6);
                line += ent + " " + pad_to_width(token, cell_w - 5);
            }
            print_out("{}\n", line);
        }
    }
}

void print_heatmap(const tokenizer::Encoding& enc, const Trace& trace, int layer, int head, bool color, bool values) {
    const size_t n = enc.size();
    const float* a = trace.attention(layer, head);
    std::vector<double> rows(n);
    double entropy = 0;
    for (size_t i = 0; i < n; ++i) entropy += analysis::row_entropy(a + i * n, n);
    print_out(
        "\nlayer {}, head {}: rows = query tokens (attending), columns = key tokens (attended to); "
        "mean entropy {:.3f} nats\n\n",
        layer, head, entropy / static_cast<double>(n));
    HeatmapStyle style;
    style.color = color;
    style.values = values;
    print_out("{}", render_heatmap(a, n, n, enc.tokens, enc.tokens, style));
}

}  // namespace attnscope::cli
