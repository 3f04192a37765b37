// attnscope tokenize: `tokenize`, `convert_tokens_to_ids` and `encode_plus` as JSON, without loading weights.
#include <fmt/format.h>

#include <fstream>
#include <memory>

#include "attnscope/error.h"
#include "attnscope/model.h"
#include "commands.h"
#include "common.h"
#include "json_writer.h"
#include "output.h"

namespace attnscope::cli {
namespace {

struct TokenizeOptions {
    std::string text = kDefaultText;
    std::string pair;
    std::string model;
    bool truncate = false;
    size_t max_length = 0;
    bool no_special = false;
    bool pretty = false;
    bool quiet = false;
    std::string input;
};

nlohmann::json spans_json(const std::vector<tokenizer::TokenSpan>& spans) {
    nlohmann::json tokens = nlohmann::json::array(), ids = nlohmann::json::array(), offsets = nlohmann::json::array(),
                   bytes = nlohmann::json::array();
    for (const auto& s : spans) {
        tokens.push_back(s.token);
        ids.push_back(s.id);
        offsets.push_back({s.begin_cp, s.end_cp});
        bytes.push_back({s.begin_byte, s.end_byte});
    }
    return {{"tokens", tokens}, {"ids", ids}, {"offsets", offsets}, {"byte_offsets", bytes}};
}

nlohmann::json tokenize_one(const tokenizer::Tokenizer& tok, const std::string& text,
                            const std::optional<std::string>& pair, const tokenizer::EncodeOptions& eo) {
    auto enc = tok.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, eo);
    nlohmann::json j;
    j["text"] = text;
    j["pair"] = pair ? nlohmann::json(*pair) : nlohmann::json(nullptr);
    nlohmann::json a = spans_json(tok.tokenize_with_offsets(text));
    for (auto& [k, v] : a.items()) j[k] = v;
    if (pair) j["pair_tokens"] = spans_json(tok.tokenize_with_offsets(*pair));
    j["encoding"] = encoding_json(enc);
    j["num_tokens"] = enc.size();
    j["fits_model"] = enc.size() <= tok.config().model_max_length;
    return j;
}

// --input FILE: one JSON value per line, either a string or {"text": ..., "pair": ...}; one result line
// each, in order. A bad line (an empty one too) gets {"line": N, "error": ...} and the rest still runs.
int tokenize_lines(const tokenizer::Tokenizer& tok, const std::string& path, const tokenizer::EncodeOptions& eo) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open", path));
    std::string line;
    size_t number = 0, failures = 0;
    while (std::getline(in, line)) {
        ++number;
        nlohmann::json out;
        try {
            // One output line per input line, an empty one included: line N of the output is line N's result.
            if (line.empty() || line == "\r") throw Error(fmt::format("{}:{}: empty line", path, number));
            nlohmann::json j;
            try {
                j = nlohmann::json::parse(line);
            } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for 1e512
                const std::string what = e.what();
                const auto cut = what.find("] ");
                throw Error(fmt::format("{}:{}: invalid JSON: {}", path, number,
                                        cut == std::string::npos ? what : what.substr(cut + 2)));
            }
            std::string text;
            std::optional<std::string> pair;
            if (j.is_string()) {
                text = j.get<std::string>();
            } else if (j.is_object() && j.contains("text") && j["text"].is_string()) {
                text = j["text"].get<std::string>();
                if (j.contains("pair") && j["pair"].is_string()) pair = j["pair"].get<std::string>();
            } else {
                throw Error(fmt::format("{}:{}: expected a string or {{\"text\": ...}}", path, number));
            }
            out = tokenize_one(tok, text, pair, eo);
        } catch (const Error& e) {
            out = {{"line", number}, {"error", e.what()}};
            ++failures;
        }
        print_out("{}\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    if (failures) fmt::print(stderr, "attnscope: {} of {} lines failed\n", failures, number);
    return failures ? 1 : 0;
}

void tokenize_command(const TokenizeOptions& o) {
    ModelLocation loc = resolve_model(o.model, o.quiet);
    tokenizer::Tokenizer tok = tokenizer::Tokenizer::from_directory(loc.directory);
    const auto config = model::BertConfig::from_file(loc.directory / "config.json");
    const size_t positions = config.max_tokens();
    if (tok.config().model_max_length == 0 || tok.config().model_max_length > positions)
        tok.set_model_max_length(positions);

    tokenizer::EncodeOptions eo;
    eo.add_special_tokens = !o.no_special;
    eo.truncation = o.truncate || o.max_length > 0;
    eo.max_length = o.max_length;
    if (!o.input.empty()) {
        if (tokenize_lines(tok, o.input, eo) != 0)
            throw Error(fmt::format("{}: some lines could not be tokenized", o.input));
        return;
    }
    const std::string text = read_text_argument(o.text, "text");
    std::optional<std::string> pair;
    if (!o.pair.empty()) pair = read_text_argument(o.pair, "pair text");
    nlohmann::json j = tokenize_one(tok, text, pair, eo);
    j["model"] = loc.name;
    j["model_max_length"] = tok.config().model_max_length;
    print_out("{}\n", o.pretty ? j.dump(2) : j.dump());
}

}  // namespace

void register_tokenize(CLI::App& app) {
    auto o = std::make_shared<TokenizeOptions>();
    auto* cmd = app.add_subcommand("tokenize", "Tokens, ids and offsets of a text (and pair) as JSON");
    cmd->add_option("text", o->text, "The text; '-' reads standard input");
    cmd->add_option("--pair,-p", o->pair, "A second text (sentence B)");
    cmd->add_option("--model,-m", o->model, "Model folder or Hugging Face id");
    cmd->add_flag("--truncate", o->truncate, "Truncate to the model's maximum length (longest_first)");
    cmd->add_option("--max-length", o->max_length, "Truncate to this many tokens, special tokens included")
        ->check(non_negative(kMaxLengthOption));
    cmd->add_flag("--no-special-tokens", o->no_special, "Do not add [CLS] and [SEP]");
    cmd->add_flag("--pretty", o->pretty, "Indent the JSON");
    cmd->add_flag("--quiet,-q", o->quiet, "Do not announce which default model is used");
    cmd->add_option("--input,-i", o->input,
                    "Tokenize every line of a JSONL file (a string or {\"text\", \"pair\"} per line)");
    cmd->callback([o] { tokenize_command(*o); });
}

}  // namespace attnscope::cli
