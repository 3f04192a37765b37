// attnscope diff: a counterfactual — two inputs, or one with a token masked, replaced or deleted — and
// how much each head's attention changes over the tokens they share (Jensen–Shannon), heads ranked.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "commands.h"
#include "common.h"
#include "head_grid.h"
#include "json_writer.h"
#include "output.h"

namespace attnscope::cli {
namespace {

struct DiffOptions {
    InputOptions input;
    std::string other;
    int mask = -1, remove = -1;
    std::string replace;
    std::string format = "table";
    size_t top = 10;
};

tokenizer::Encoding edited(const LoadedModel& lm, const tokenizer::Encoding& enc, const DiffOptions& o,
                           std::string* what) {
    const auto& tok = lm.model->tokenizer();
    tokenizer::Encoding e = enc;
    auto check = [&](long pos, const char* opt) {
        if (pos < 0 || static_cast<size_t>(pos) >= e.size() || e.special_tokens_mask[static_cast<size_t>(pos)]) {
            throw Error(fmt::format("{} {}: not a token of the text (positions 1-{}; 0 and the last are [CLS]/[SEP])",
                                    opt, pos, e.size() - 2));
        }
        return static_cast<size_t>(pos);
    };
    if (o.mask >= 0) {
        size_t i = check(o.mask, "--mask");
        *what = fmt::format("token {} '{}' masked", i, e.tokens[i]);
        e.ids[i] = tok.token_to_id(tok.config().mask_token);
        e.tokens[i] = tok.config().mask_token;
    } else if (!o.replace.empty()) {
        auto eq = o.replace.find('=');
        if (eq == std::string::npos) throw Error(fmt::format("--replace {}: expected POSITION=TOKEN", o.replace));
        long pos = -1;
        try {
            pos = std::stol(o.replace.substr(0, eq));
        } catch (const std::exception&) {
            throw Error(fmt::format("--replace {}: expected POSITION=TOKEN", o.replace));
        }
        size_t i = check(pos, "--replace");
        const std::string word = o.replace.substr(eq + 1);
        const int32_t id = tok.token_to_id(word);
        if (id < 0) throw Error(fmt::format("--replace: '{}' is not a single token of the vocabulary", word));
        *what = fmt::format("token {} '{}' replaced by '{}'", i, e.tokens[i], word);
        e.ids[i] = id;
        e.tokens[i] = word;
    } else {
        size_t i = check(o.remove, "--delete");
        *what = fmt::format("token {} '{}' deleted", i, e.tokens[i]);
        auto erase = [&](auto& v) { v.erase(v.begin() + static_cast<long>(i)); };
        erase(e.ids);
        erase(e.tokens);
        erase(e.type_ids);
        erase(e.attention_mask);
        erase(e.offsets);
        erase(e.byte_offsets);
        erase(e.sequence_ids);
        erase(e.special_tokens_mask);
    }
    return e;
}

void diff_command(const DiffOptions& o) {
    if (o.format != "table" && o.format != "json" && o.format != "csv") {
        throw Error(fmt::format("--format {}: expected table, json or csv", o.format));
    }
    const int edits = (o.mask >= 0) + (!o.replace.empty()) + (o.remove >= 0) + (!o.other.empty());
    if (edits != 1) throw Error("give exactly one of: a second text (--with), --mask I, --replace I=TOKEN, --delete I");
    LoadedModel lm = load_model(o.input.model, o.input.quiet);
    const tokenizer::Encoding a = encode_input(lm, o.input);
    tokenizer::Encoding b;
    std::string what;
    if (!o.other.empty()) {
        InputOptions other = o.input;
        other.text = o.other;
        b = encode_input(lm, other);
        what = "the second text";
    } else {
        b = edited(lm, a, o, &what);
    }
    ForwardOptions fo;
    fo.threads = o.input.threads;
    const auto traces = lm.model->forward_batch({a, b}, fo);
    const auto alignment = analysis::align_tokens(a.tokens, b.tokens);
    const auto change = analysis::head_change(traces[0], traces[1], alignment);
    const int L = traces[0].num_layers, H = traces[0].num_heads;
    std::vector<size_t> order(change.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return change[x] > change[y]; });
    if (o.format == "json") {
        nlohmann::json j;
        j["model"] = model_json(lm);
        j["a"] = encoding_json(a);
        j["b"] = encoding_json(b);
        j["change"] = what;
        j["aligned_tokens"] = alignment.size();
        j["heads"] = nlohmann::json::array();
        for (size_t r = 0; r < order.size(); ++r) {
            j["heads"].push_back({{"rank", r + 1},
                                  {"layer", order[r] / static_cast<size_t>(H)},
                                  {"head", order[r] % static_cast<size_t>(H)},
                                  {"js_divergence", change[order[r]]}});
        }
        print_out("{}\n", j.dump());
        return;
    }
    if (o.format == "csv") {
        print_out("rank,layer,head,js_divergence\n");
        for (size_t r = 0; r < order.size(); ++r)
            print_out("{},{},{},{}\n", r + 1, order[r] / static_cast<size_t>(H), order[r] % static_cast<size_t>(H),
                      change[order[r]]);
        return;
    }
    print_out("counterfactual: {} · {} aligned tokens\nA: {}\nB: {}\n\n", what, alignment.size(),
              fmt::join(a.tokens, " "), fmt::join(b.tokens, " "));
    print_out("per-head change: mean Jensen–Shannon divergence of the aligned attention rows (nats)\n\n");
    GridStyle gs;
    gs.color = use_color();
    gs.decimals = 3;
    gs.vmax = gs.vmin;
    print_out("{}", render_head_grid(
                        L, H, [&](int l, int h) { return change[static_cast<size_t>(l * H + h)]; }, gs));
    print_out("\nmost changed:");
    for (size_t r = 0; r < std::min(o.top, order.size()); ++r)
        print_out(" {}:{} ({:.3f})", order[r] / static_cast<size_t>(H), order[r] % static_cast<size_t>(H),
                  change[order[r]]);
    print_out("\n");
}

}  // namespace

void register_diff(CLI::App& app) {
    auto o = std::make_shared<DiffOptions>();
    auto* cmd = app.add_subcommand("diff", "Counterfactual: how each head's attention changes when the input changes");
    add_input_options(cmd, o->input);
    cmd->add_option("--with,-w", o->other, "A second text to compare with");
    cmd->add_option("--mask", o->mask, "Replace the token at this position (0 = [CLS]) by [MASK]")
        ->check(non_negative());
    cmd->add_option("--replace", o->replace, "POSITION=TOKEN: replace the token at POSITION by TOKEN");
    cmd->add_option("--delete", o->remove, "Delete the token at this position")->check(non_negative());
    cmd->add_option("--top", o->top, "Most-changed heads to list (default 10)")->check(non_negative());
    cmd->add_option("--format,-f", o->format, "table (default), json or csv");
    cmd->callback([o] { diff_command(*o); });
}

}  // namespace attnscope::cli
