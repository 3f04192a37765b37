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
#include "commands.h"
#include "common.h"
#include "json_writer.h"
#include "npy_writer.h"
#include "output.h"
#include "run_report.h"
#include "run_writers.h"
#include "terminal_render.h"
#include "text_width.h"

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
    std::string input_ids_text, attention_mask_text, token_type_ids_text;  // validated by int_list
    std::vector<int32_t> input_ids, attention_mask, token_type_ids;
    std::string weights = "fp32";
    std::string ablate;
    std::string ablation = "zero";
};

void run(const RunOptions& o) {
    if (o.format != "table" && o.format != "json" && o.format != "jsonl" && o.format != "npy") {
        throw Error(fmt::format("--format {}: expected table, json, jsonl or npy", o.format));
    }
    if ((o.layer >= 0) != (o.head >= 0)) throw Error("give both --layer and --head to show a heatmap");
    RunInput in;
    const bool raw_ids = !o.input_ids.empty();
    if (!raw_ids) {
        in.text = read_text_argument(o.text, "text");
        if (!o.pair.empty()) in.pair = read_text_argument(o.pair, "pair text");
    } else if (!o.attention_mask.empty() && o.attention_mask.size() != o.input_ids.size()) {
        throw Error(fmt::format("--attention-mask has {} values for {} input ids", o.attention_mask.size(),
                                o.input_ids.size()));
    } else if (!o.token_type_ids.empty() && o.token_type_ids.size() != o.input_ids.size()) {
        throw Error(fmt::format("--token-type-ids has {} values for {} input ids", o.token_type_ids.size(),
                                o.input_ids.size()));
    }

    ForwardOptions fo;
    fo.threads = o.threads;
    for (const auto& c : o.capture) {
        if (c == "qkv")
            fo.capture.qkv = true;
        else if (c == "scores")
            fo.capture.scores = true;
        else if (c == "hidden")
            fo.capture.hidden_states = true;
        else if (c == "all")
            fo.capture = {true, true, true};
        else
            throw Error(fmt::format("--capture {}: expected qkv, scores, hidden or all", c));
    }

    model::LoadOptions lo;
    lo.weights = model::parse_weight_storage(o.weights);
    LoadedModel lm = load_model(o.model, o.quiet, lo);
    const auto& cfg = lm.model->config();
    if (!o.ablate.empty()) {
        fo.head_mask = analysis::parse_head_list(o.ablate, cfg.num_hidden_layers, cfg.num_attention_heads);
        if (o.ablation == "zero")
            fo.ablation = HeadAblation::Zero;
        else if (o.ablation == "uniform")
            fo.ablation = HeadAblation::Uniform;
        else
            throw Error(
                fmt::format("--ablation {}: run supports zero (transformers head_mask) and uniform; "
                            "mean ablation is in `attnscope ablate`",
                            o.ablation));
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
        enc = lm.model->tokenizer().encode(in.text, in.pair ? std::optional<std::string_view>(*in.pair) : std::nullopt,
                                           eo);
        const size_t content = static_cast<size_t>(std::count(enc.sequence_ids.begin(), enc.sequence_ids.end(), 0));
        if (content == 0) throw Error("the text has no tokens (only whitespace or control characters)");
    }
    const size_t limit = lm.model->tokenizer().config().model_max_length;
    if (enc.size() > limit) {
        throw Error(
            fmt::format("the input is {} tokens including special tokens, longer than the model's maximum of "
                        "{}; shorten it or pass --truncate",
                        enc.size(), limit));
    }

    const bool table = o.format == "table";
    const bool color = table && !o.no_color && use_color();
    if (table) {
        if (!raw_ids) print_workflow(lm, in, enc);
        util::flush_stdout();
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
        fmt::print(stderr,
                   "attnscope: {} weights: attention differs from fp32 by at most {:.2e} (mean {:.1e}) on this input\n",
                   o.weights, worst, mean);
    }

    if (table) {
        print_overview(lm, enc, trace, forward_ms, color);
        if (o.layer >= 0)
            print_heatmap(enc, trace, o.layer, o.head, color, o.values);
        else
            print_out(
                "\n(add --layer L --head H for a heatmap of one head; --format json|jsonl|npy for the numbers)\n");
    } else if (o.format == "json") {
        write_json(lm, in, enc, trace, o.output);
    } else if (o.format == "jsonl") {
        stream->commit();
    } else {
        write_npy_outputs(lm, in, enc, trace, o.output);
    }
}

}  // namespace

void register_run(CLI::App& app) {
    auto o = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand("run", "Tokenize a text, run the model and show every attention head");
    cmd->add_option("text", o->text,
                    fmt::format("The sentence; '-' reads standard input (default: \"{}\")", kDefaultText));
    cmd->add_option("--pair,-p", o->pair, "A second sentence (sentence B of a pair); '-' reads standard input");
    cmd->add_option("--model,-m", o->model,
                    "Model folder or Hugging Face id (default: bert-base-uncased if cached, else the bundled MiniLM)");
    cmd->add_option("--layer,-l", o->layer, "Layer of the heatmap (0-based)")->check(int_in(0, 1 << 20));
    cmd->add_option("--head", o->head, "Head of the heatmap (0-based)")->check(int_in(0, 1 << 20));
    cmd->add_option("--format,-f", o->format,
                    "table (default), json, jsonl (one line per layer and head, streamed) or npy");
    cmd->add_option("--output,-o", o->output,
                    "Write json/jsonl/npy here instead of stdout (npy default: attentions.npy)");
    cmd->add_flag("--truncate", o->truncate,
                  "Truncate to the model's maximum length (longest_first) instead of refusing");
    cmd->add_option("--max-length", o->max_length, "Truncate to this many tokens, special tokens included")
        ->check(non_negative(kMaxLengthOption));
    cmd->add_option("--capture", o->capture, "Also output qkv, scores (pre-softmax), hidden (hidden states), or all")
        ->delimiter(',');
    cmd->add_option("--threads,-t", o->threads, "Threads (default: one per core)")->check(thread_count());
    cmd->add_option("--weights", o->weights,
                    "Weight storage: fp32 (exact, default), or the faster fp16, bf16, int8 (prints its error)");
    cmd->add_flag("--values", o->values, "Print the numbers in the heatmap");
    cmd->add_flag("--no-color", o->no_color, "No colours (also when NO_COLOR is set)");
    cmd->add_flag("--quiet,-q", o->quiet, "Do not announce which default model is used");
    cmd->add_option("--ablate", o->ablate,
                    "Ablate heads (layer:head pairs such as 3:4,5:*), as transformers 4.x head_mask")
        ->check(non_empty());
    cmd->add_option("--ablation", o->ablation, "With --ablate: zero (default, head_mask semantics) or uniform");
    auto* ids =
        cmd->add_option("--input-ids", o->input_ids_text, "Run these token ids instead of a text (comma-separated)")
            ->check(int_list(0, INT32_MAX));
    cmd->add_option("--attention-mask", o->attention_mask_text, "With --input-ids: 1 = attend, 0 = masked key")
        ->check(int_list(0, 1))
        ->needs(ids);
    cmd->add_option("--token-type-ids", o->token_type_ids_text, "With --input-ids: segment ids")
        ->check(int_list(0, INT32_MAX))
        ->needs(ids);
    cmd->callback([o] {
        o->input_ids = parse_int_list(o->input_ids_text);
        o->attention_mask = parse_int_list(o->attention_mask_text);
        o->token_type_ids = parse_int_list(o->token_type_ids_text);
        run(*o);
    });
}

}  // namespace attnscope::cli
