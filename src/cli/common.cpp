#include "common.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "attnscope/error.h"
#include "attnscope/hub.h"

namespace attnscope::cli {

ModelLocation resolve_model(const std::string& spec, bool quiet) {
    if (!spec.empty()) return locate_model(spec, hub::download_model);
    std::string note;
    ModelLocation loc = locate_default_model(&note);
    if (!quiet) fmt::print(stderr, "attnscope: {}\n", note);
    return loc;
}

LoadedModel load_model(const std::string& spec, bool quiet, const model::LoadOptions& options) {
    LoadedModel out;
    out.location = resolve_model(spec, quiet);
    auto t0 = std::chrono::steady_clock::now();
    out.model = model::Model::load(out.location.directory, options);
    out.load_ms = ms_since(t0);
    return out;
}

double attention_error_vs_fp32(const LoadedModel& fast, const std::vector<tokenizer::Encoding>& inputs, double* mean) {
    auto exact = model::Model::load(fast.location.directory);
    auto a = fast.model->forward_batch(inputs);
    auto b = exact->forward_batch(inputs);
    double worst = 0, sum = 0;
    size_t count = 0;
    for (size_t s = 0; s < inputs.size(); ++s) {
        for (size_t i = 0; i < a[s].attentions.size(); ++i) {
            double d = std::fabs(static_cast<double>(a[s].attentions[i]) - b[s].attentions[i]);
            worst = std::max(worst, d);
            sum += d;
        }
        count += a[s].attentions.size();
    }
    if (mean) *mean = count ? sum / static_cast<double>(count) : 0;
    return worst;
}

const std::string& standard_input() {
    // Read once, on first use: a second read of a consumed stdin is empty, and a command that needs the
    // text twice (to encode it, then to show it) would silently see "".
    static const std::string all(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
    return all;
}

std::string read_text_argument(const std::string& value, const char* what) {
    std::string text = value;
    if (value == "-") {
        text = standard_input();
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    }
    if (text.empty()) throw Error(fmt::format("the {} is empty: give a sentence to analyse", what));
    return text;
}

bool stdout_is_terminal() {
    return ::isatty(STDOUT_FILENO) == 1;
}

bool use_color() {
    const char* no = std::getenv("NO_COLOR");
    if (no && *no) return false;
    const char* force = std::getenv("ATTNSCOPE_COLOR");
    if (force && std::string(force) == "always") return true;
    return stdout_is_terminal();
}

size_t terminal_width() {
    struct winsize ws {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
    if (const char* c = std::getenv("COLUMNS")) {
        long v = std::strtol(c, nullptr, 10);
        if (v > 20 && v < 10000) return static_cast<size_t>(v);
    }
    return 120;
}

}  // namespace attnscope::cli

namespace attnscope::cli {

void add_input_options(CLI::App* cmd, InputOptions& o) {
    cmd->add_option("text", o.text,
                    fmt::format("The sentence; '-' reads standard input (default: \"{}\")", kDefaultText));
    cmd->add_option("--pair,-p", o.pair, "A second sentence (sentence B)");
    cmd->add_option("--model,-m", o.model, "Model folder or Hugging Face id");
    cmd->add_flag("--truncate", o.truncate, "Truncate to the model's maximum length instead of refusing");
    cmd->add_option("--max-length", o.max_length, "Truncate to this many tokens, special tokens included")
        ->check(non_negative(kMaxLengthOption));
    cmd->add_option("--threads,-t", o.threads, "Threads (default: one per core)")->check(thread_count());
    cmd->add_flag("--quiet,-q", o.quiet, "Do not announce which default model is used");
}

tokenizer::Encoding encode_input(const LoadedModel& lm, const InputOptions& o) {
    const std::string text = read_text_argument(o.text, "text");
    std::optional<std::string> pair;
    if (!o.pair.empty()) pair = read_text_argument(o.pair, "pair text");
    tokenizer::EncodeOptions eo;
    eo.truncation = o.truncate || o.max_length > 0;
    eo.max_length = o.max_length;
    auto enc = lm.model->tokenizer().encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, eo);
    if (std::count(enc.sequence_ids.begin(), enc.sequence_ids.end(), 0) == 0) {
        throw Error("the text has no tokens (only whitespace or control characters)");
    }
    const size_t limit = lm.model->tokenizer().config().model_max_length;
    if (enc.size() > limit) {
        throw Error(
            fmt::format("the input is {} tokens including special tokens, longer than the model's maximum of {}; "
                        "shorten it or pass --truncate",
                        enc.size(), limit));
    }
    return enc;
}

}  // namespace attnscope::cli
