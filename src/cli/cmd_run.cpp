// attnscope run: the notebook workflow in one command — tokenize, convert_tokens_to_ids, encode_plus,
// model(...) with output_attentions, then every head's attention as an overview, a heatmap, or data.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "attnscope/ablation.h"
#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/json_writer.h"
#include "cli/npy_writer.h"
#include "cli/output.h"
#include "cli/terminal_render.h"
#include "util/text_width.h"

namespace attnscope::cli {
namespace {

struct RunOptions {
    std::string text = kDefaultText;
    std::string pair;
    std::string model;
    int layer = -1;
    int head = -1;
    std::string format = "table";
    std::string output;
    bool truncate = false;
    size_t max_length = 0;
    int threads = 0;
    std::vector<std::string> capture;
    bool values = false;
    bool no_color = false;
    bool quiet = false;
    std::vector<int32_t> input_ids, attention_mask, token_type_ids;
    std::string weights = "fp32";
    std::string ablate;
    std::string ablation = "zero";
};

struct Input {
    std::string text;
    std::optional<std::string> pair;
};

void print_workflow(const LoadedModel& lm, const Input& in, const tokenizer::Encoding& enc) {
    const auto& tok = lm.model->tokenizer();
    const auto& c = lm.model->config();
    const size_t width = terminal_width();
    fmt::print("model   {} ({}) · {} layers × {} heads · hidden {} · loaded in {:.0f} ms\n", lm.location.name,
               lm.location.directory.string(), c.num_hidden_layers, c.num_attention_heads, c.hidden_size, lm.load_ms);
    fmt::print("text    {}\n", in.text);
    if (in.pair) fmt::print("pair    {}\n", *in.pair);

    auto show_tokens = [&](const std::string& label, const std::string& text) {
        auto tokens = tok.tokenize(text);
        auto ids = tok.convert_tokens_to_ids(tokens);
        std::vector<std::string> id_cells;
        for (auto id : ids) id_cells.push_back(std::to_string(id));
        fmt::print("\n{}\n", label);
        fmt::print("{}", render_columns({"tokens", "ids"}, {tokens, id_cells}, width));
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
    fmt::print("\n3. encode_plus: {} tokens with {} and {}\n", enc.size(), tok.config().cls_token, tok.config().sep_token);
    fmt::print("{}", render_columns({"position", "token", "input_ids", "token_type_ids", "attention_mask"},
                                    {pos, enc.tokens, ids, types, mask}, width));
}

void print_overview(const LoadedModel& lm, const tokenizer::Encoding& enc, const Trace& trace, double forward_ms,
                    bool color) {
    const auto& c = lm.model->config();
    const size_t n = enc.size();
    fmt::print("\n4. model(**inputs, output_attentions=True) → {} × [1, {}, {}, {}] in {:.1f} ms\n", c.num_hidden_layers,
               c.num_attention_heads, n, n, forward_ms);
    const auto summary = analysis::summarize_heads(trace);
    const double uniform = std::log(static_cast<double>(n));
    fmt::print("\n5. heads: mean row entropy in nats (uniform attention = {:.2f}) and the token that receives the "
               "most attention\n",
               uniform);
    const size_t cell_w = 14;
    const size_t per_block = std::max<size_t>(1, (terminal_width() - 6) / cell_w);
    const int H = c.num_attention_heads;
    for (int h0 = 0; h0 < H; h0 += static_cast<int>(per_block)) {
        int h1 = std::min(H, h0 + static_cast<int>(per_block));
        std::string header = "      ";
        for (int h = h0; h < h1; ++h) header += util::pad_to_width(fmt::format("head {}", h), cell_w);
        fmt::print("\n{}\n", header);
        for (int l = 0; l < c.num_hidden_layers; ++l) {
            std::string line = fmt::format("  L{:<3}", l);
            for (int h = h0; h < h1; ++h) {
                const auto& s = summary[static_cast<size_t>(l * H + h)];
                std::string ent = fmt::format("{:.2f}", s.entropy);
                if (color) ent = ansi_foreground(viridis(uniform > 0 ? s.entropy / uniform : 0)) + ent + kAnsiReset;
                std::string token = util::truncate_to_width(enc.tokens[s.top_key], cell_w - 6);
                line += ent + " " + util::pad_to_width(token, cell_w - 5);
            }
            fmt::print("{}\n", line);
        }
    }
}

void print_heatmap(const LoadedModel& lm, const tokenizer::Encoding& enc, const Trace& trace, int layer, int head,
                   const RunOptions& o, bool color) {
    const size_t n = enc.size();
    const float* a = trace.attention(layer, head);
    std::vector<double> rows(n);
    double entropy = 0;
    for (size_t i = 0; i < n; ++i) entropy += analysis::row_entropy(a + i * n, n);
    fmt::print("\nlayer {}, head {}: rows = query tokens (attending), columns = key tokens (attended to); "
               "mean entropy {:.3f} nats\n\n",
               layer, head, entropy / static_cast<double>(n));
    HeatmapStyle style;
    style.color = color;
    style.values = o.values;
    fmt::print("{}", render_heatmap(a, n, n, enc.tokens, enc.tokens, style));
}

void write_json(const LoadedModel& lm, const Input& in, const tokenizer::Encoding& enc, const Trace& t,
                const RunOptions& o) {
    const auto& tok = lm.model->tokenizer();
    nlohmann::json head;
    head["model"] = model_json(lm);
    head["text"] = in.text;
    head["pair"] = in.pair ? nlohmann::json(*in.pair) : nlohmann::json(nullptr);
    auto tokens = tok.tokenize(in.text);
    head["tokens"] = tokens;
    head["token_ids"] = tok.convert_tokens_to_ids(tokens);
    if (in.pair) {
        auto pt = tok.tokenize(*in.pair);
        head["pair_tokens"] = pt;
        head["pair_token_ids"] = tok.convert_tokens_to_ids(pt);
    }
    head["encoding"] = encoding_json(enc);
    head["shape"] = {t.num_layers, t.num_heads, t.seq_len, t.seq_len};
    std::string h = head.dump();
    h.pop_back();  // reopen the object to stream the big arrays after it

    Output out(o.output, true);
    out.write(h);
    fmt::memory_buffer buf;
    const size_t n = t.seq_len, L = static_cast<size_t>(t.num_layers), H = static_cast<size_t>(t.num_heads);
    auto flush_buf = [&] {
        out.write(buf);
        buf.clear();
    };
    auto tensor = [&](const char* key, const std::vector<float>& v, size_t outer, size_t inner, size_t rows, size_t cols) {
        fmt::format_to(std::back_inserter(buf), ",\"{}\":", key);
        // Stream one [inner][rows][cols] block at a time to keep memory flat.
        buf.push_back('[');
        for (size_t a = 0; a < outer; ++a) {
            if (a) buf.push_back(',');
            append_tensor3(buf, v.data() + a * inner * rows * cols, inner, rows, cols);
            flush_buf();
        }
        buf.push_back(']');
    };
    tensor("attentions", t.attentions, L, H, n, n);
    if (!t.queries.empty()) {
        const size_t d = static_cast<size_t>(t.head_dim);
        tensor("queries", t.queries, L, H, n, d);
        tensor("keys", t.keys, L, H, n, d);
        tensor("values", t.values, L, H, n, d);
    }
    if (!t.scores.empty()) tensor("scores", t.scores, L, H, n, n);
    if (!t.hidden_states.empty()) {
        fmt::format_to(std::back_inserter(buf), ",\"hidden_states\":");
        append_tensor3(buf, t.hidden_states.data(), L + 1, n, static_cast<size_t>(t.hidden_size));
    }
    buf.push_back('}');
    buf.push_back('\n');
    flush_buf();
    out.commit();
}

std::string sibling_path(const std::string& npy, const std::string& suffix) {
    std::filesystem::path p(npy);
    std::filesystem::path stem = p.parent_path() / p.stem();
    return stem.string() + suffix;
}

void write_npy_outputs(const LoadedModel& lm, const Input& in, const tokenizer::Encoding& enc, const Trace& t,
                       const RunOptions& o) {
    const std::string path = o.output.empty() ? "attentions.npy" : o.output;
    if (path == "-") throw Error("--format npy writes files: give --output FILE.npy");
    const size_t n = t.seq_len, L = static_cast<size_t>(t.num_layers), H = static_cast<size_t>(t.num_heads);
    write_npy(path, t.attentions.data(), {L, H, n, n});
    std::vector<std::string> written{path};
    const size_t d = static_cast<size_t>(t.head_dim);
    if (!t.queries.empty()) {
        for (const auto& [name, v] : {std::pair{".queries.npy", &t.queries}, {".keys.npy", &t.keys}, {".values.npy", &t.values}}) {
            write_npy(sibling_path(path, name), v->data(), {L, H, n, d});
            written.push_back(sibling_path(path, name));
        }
    }
    if (!t.scores.empty()) {
        write_npy(sibling_path(path, ".scores.npy"), t.scores.data(), {L, H, n, n});
        written.push_back(sibling_path(path, ".scores.npy"));
    }
    if (!t.hidden_states.empty()) {
        write_npy(sibling_path(path, ".hidden_states.npy"), t.hidden_states.data(), {L + 1, n, static_cast<size_t>(t.hidden_size)});
        written.push_back(sibling_path(path, ".hidden_states.npy"));
    }
    nlohmann::json side;
    side["model"] = model_json(lm);
    side["text"] = in.text;
    side["pair"] = in.pair ? nlohmann::json(*in.pair) : nlohmann::json(nullptr);
    side["encoding"] = encoding_json(enc);
    side["attentions_npy"] = std::filesystem::path(path).filename().string();
    side["shape"] = {L, H, n, n};
    const std::string tokens_path = sibling_path(path, ".tokens.json");
    Output tj(tokens_path, true);
    tj.write(side.dump(2) + "\n");
    tj.commit();
    written.push_back(tokens_path);
    for (const auto& w : written) fmt::print(stderr, "attnscope: wrote {}\n", w);
}

void run(const RunOptions& o) {
    if (o.format != "table" && o.format != "json" && o.format != "jsonl" && o.format != "npy") {
        throw Error(fmt::format("--format {}: expected table, json, jsonl or npy", o.format));
    }
    if ((o.layer >= 0) != (o.head >= 0)) throw Error("give both --layer and --head to show a heatmap");
    Input in;
    const bool raw_ids = !o.input_ids.empty();
    if (!raw_ids) {
        in.text = read_text_argument(o.text, "text");
        if (!o.pair.empty()) in.pair = read_text_argument(o.pair, "pair text");
    } else if (!o.attention_mask.empty() && o.attention_mask.size() != o.input_ids.size()) {
        throw Error(fmt::format("--attention-mask has {} values for {} input ids", o.attention_mask.size(), o.input_ids.size()));
    } else if (!o.token_type_ids.empty() && o.token_type_ids.size() != o.input_ids.size()) {
        throw Error(fmt::format("--token-type-ids has {} values for {} input ids", o.token_type_ids.size(), o.input_ids.size()));
    }

    ForwardOptions fo;
    fo.threads = o.threads;
    for (const auto& c : o.capture) {
        if (c == "qkv") fo.capture.qkv = true;
        else if (c == "scores") fo.capture.scores = true;
        else if (c == "hidden") fo.capture.hidden_states = true;
        else if (c == "all") fo.capture = {true, true, true};
        else throw Error(fmt::format("--capture {}: expected qkv, scores, hidden or all", c));
    }

    model::LoadOptions lo;
    lo.weights = model::parse_weight_storage(o.weights);
    LoadedModel lm = load_model(o.model, o.quiet, lo);
    const auto& cfg = lm.model->config();
    if (!o.ablate.empty()) {
        fo.head_mask = analysis::parse_head_list(o.ablate, cfg.num_hidden_layers, cfg.num_attention_heads);
        if (o.ablation == "zero") fo.ablation = HeadAblation::Zero;
        else if (o.ablation == "uniform") fo.ablation = HeadAblation::Uniform;
        else throw Error(fmt::format("--ablation {}: run supports zero (transformers head_mask) and uniform; "
                                     "mean ablation is in `attnscope ablate`", o.ablation));
    }
    if (o.layer >= cfg.num_hidden_layers) {
        throw Error(fmt::format("--layer {}: this model has {} layers (0-{})", o.layer, cfg.num_hidden_layers,
                                cfg.num_hidden_layers - 1));
    }
    if (o.head >= cfg.num_attention_heads) {
        throw Error(fmt::format("--head {}: this model has {} heads (0-{})", o.head, cfg.num_attention_heads,
                                cfg.num_attention_heads - 1));
    }
    tokenizer::Encoding enc;
    if (raw_ids) {
        // The model(input_ids=..., attention_mask=..., token_type_ids=...) call without a tokenizer.
        const auto& tok = lm.model->tokenizer();
        enc.ids = o.input_ids;
        enc.attention_mask = o.attention_mask.empty() ? std::vector<int32_t>(enc.ids.size(), 1) : o.attention_mask;
        enc.type_ids = o.token_type_ids.empty() ? std::vector<int32_t>(enc.ids.size(), 0) : o.token_type_ids;
        for (size_t i = 0; i < enc.ids.size(); ++i) {
            const std::string& t = tok.id_to_token(enc.ids[i]);
            enc.tokens.push_back(t.empty() ? fmt::format("<{}>", enc.ids[i]) : t);
            enc.offsets.emplace_back(0, 0);
            enc.byte_offsets.emplace_back(0, 0);
            enc.sequence_ids.push_back(static_cast<int8_t>(enc.type_ids[i] == 1 ? 1 : 0));
            enc.special_tokens_mask.push_back(0);
        }
        in.text = fmt::format("{}", fmt::join(enc.tokens, " "));
    } else {
        tokenizer::EncodeOptions eo;
        eo.truncation = o.truncate || o.max_length > 0;
        eo.max_length = o.max_length;
        enc = lm.model->tokenizer().encode(in.text, in.pair ? std::optional<std::string_view>(*in.pair) : std::nullopt, eo);
        const size_t content = static_cast<size_t>(std::count(enc.sequence_ids.begin(), enc.sequence_ids.end(), 0));
        if (content == 0) throw Error("the text has no tokens (only whitespace or control characters)");
    }
    const size_t limit = lm.model->tokenizer().config().model_max_length;
    if (enc.size() > limit) {
        throw Error(fmt::format("the input is {} tokens including special tokens, longer than the model's maximum of "
                                "{}; shorten it or pass --truncate",
                                enc.size(), limit));
    }

    const bool table = o.format == "table";
    const bool color = table && !o.no_color && use_color();
    if (table) {
        if (!raw_ids) print_workflow(lm, in, enc);
        std::fflush(stdout);
    }

    std::unique_ptr<Output> stream;
    LayerObserver observer;
    if (o.format == "jsonl") {
        // One line per (layer, head), written as soon as the layer is computed.
        stream = std::make_unique<Output>(o.output, false);
        observer = [&](size_t, int layer, const Trace& t) {
            const size_t n = t.seq_len;
            fmt::memory_buffer buf;
            for (int h = 0; h < t.num_heads; ++h) {
                fmt::format_to(std::back_inserter(buf), "{{\"layer\":{},\"head\":{},\"attention\":", layer, h);
                append_matrix(buf, t.attention(layer, h), n, n);
                buf.append(std::string_view("}\n"));
            }
            stream->write(buf);
            stream->flush();
        };
    }
    auto t0 = std::chrono::steady_clock::now();
    Trace trace = lm.model->forward(enc, fo, observer);
    const double forward_ms = ms_since(t0);
    if (lo.weights != model::WeightStorage::F32) {
        // A fast mode is never silent about what it costs: measure this input against fp32.
        double mean = 0;
        double worst = attention_error_vs_fp32(lm, {enc}, &mean);
        fmt::print(stderr, "attnscope: {} weights: attention differs from fp32 by at most {:.2e} (mean {:.1e}) on this input\n",
                   o.weights, worst, mean);
    }

    if (table) {
        print_overview(lm, enc, trace, forward_ms, color);
        if (o.layer >= 0) print_heatmap(lm, enc, trace, o.layer, o.head, o, color);
        else fmt::print("\n(add --layer L --head H for a heatmap of one head; --format json|jsonl|npy for the numbers)\n");
    } else if (o.format == "json") {
        write_json(lm, in, enc, trace, o);
    } else if (o.format == "jsonl") {
        stream->commit();
    } else {
        write_npy_outputs(lm, in, enc, trace, o);
    }
}

}  // namespace

void register_run(CLI::App& app) {
    auto o = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand("run", "Tokenize a text, run the model and show every attention head");
    cmd->add_option("text", o->text, fmt::format("The sentence; '-' reads standard input (default: \"{}\")", kDefaultText));
    cmd->add_option("--pair,-p", o->pair, "A second sentence (sentence B of a pair); '-' reads standard input");
    cmd->add_option("--model,-m", o->model, "Model folder or Hugging Face id (default: bert-base-uncased if cached, else the bundled MiniLM)");
    cmd->add_option("--layer,-l", o->layer, "Layer of the heatmap (0-based)")->check(CLI::Range(0, 1 << 20));
    cmd->add_option("--head", o->head, "Head of the heatmap (0-based)")->check(CLI::Range(0, 1 << 20));
    cmd->add_option("--format,-f", o->format, "table (default), json, jsonl (one line per layer and head, streamed) or npy");
    cmd->add_option("--output,-o", o->output, "Write json/jsonl/npy here instead of stdout (npy default: attentions.npy)");
    cmd->add_flag("--truncate", o->truncate, "Truncate to the model's maximum length (longest_first) instead of refusing");
    cmd->add_option("--max-length", o->max_length, "Truncate to this many tokens, special tokens included");
    cmd->add_option("--capture", o->capture, "Also output qkv, scores (pre-softmax), hidden (hidden states), or all")->delimiter(',');
    cmd->add_option("--threads,-t", o->threads, "Threads (default: one per core)")->check(CLI::Range(0, 1 << 20));
    cmd->add_option("--weights", o->weights, "Weight storage: fp32 (exact, default), or the faster fp16, bf16, int8 (prints its error)");
    cmd->add_flag("--values", o->values, "Print the numbers in the heatmap");
    cmd->add_flag("--no-color", o->no_color, "No colours (also when NO_COLOR is set)");
    cmd->add_flag("--quiet,-q", o->quiet, "Do not announce which default model is used");
    cmd->add_option("--ablate", o->ablate, "Ablate heads (layer:head pairs such as 3:4,5:*), as transformers 4.x head_mask");
    cmd->add_option("--ablation", o->ablation, "With --ablate: zero (default, head_mask semantics) or uniform");
    cmd->add_option("--input-ids", o->input_ids, "Run these token ids instead of a text (comma-separated)")->delimiter(',');
    cmd->add_option("--attention-mask", o->attention_mask, "With --input-ids: 1 = attend, 0 = masked key")->delimiter(',');
    cmd->add_option("--token-type-ids", o->token_type_ids, "With --input-ids: segment ids")->delimiter(',');
    cmd->callback([o] { run(*o); });
}

}  // namespace attnscope::cli
