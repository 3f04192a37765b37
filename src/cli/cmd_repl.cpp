// attnscope repl: the notebook's input form in a terminal. Type a sentence and see its tokens and every
// head; commands (starting with ':') pick a layer and head, show its heatmap, set or clear sentence B and
// save the result. Line editing and history come from libedit.
#include <editline/readline.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "attnscope/error.h"
#include "commands.h"
#include "common.h"
#include "output.h"
#include "run_report.h"
#include "run_writers.h"

namespace attnscope::cli {
namespace {

constexpr const char* kHelp = R"(Type a sentence to analyse it. Commands:
  :layer L          choose the layer (0-based)
  :head H           choose the head
  :show             heatmap of the chosen layer and head (also :heatmap)
  :overview         every head again
  :pair TEXT        set sentence B and rerun;  :pair off  removes it
  :values on|off    print the numbers in the heatmap
  :save FILE        save the current result: FILE.json (all attentions) or FILE.npy (+ .tokens.json)
  :model            the loaded model
  :help             this text;  :quit (or Ctrl-D) leaves
)";

std::filesystem::path history_file() {
    if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state)
        return std::filesystem::path(state) / "attnscope_history";
    if (const char* home = std::getenv("HOME"); home && *home)
        return std::filesystem::path(home) / ".attnscope_history";
    return {};
}

class Repl {
  public:
    Repl(LoadedModel lm, bool interactive) : lm_(std::move(lm)), interactive_(interactive) {
        if (interactive_) {
            history_ = history_file();
            using_history();
            if (!history_.empty()) read_history(history_.c_str());
        }
    }

    ~Repl() {
        if (interactive_ && !history_.empty()) write_history(history_.c_str());
    }

    void loop() {
        const auto& c = lm_.model->config();
        print_out("attnscope repl · {} · {} layers × {} heads · :help for commands, Ctrl-D to leave\n",
                  lm_.location.name, c.num_hidden_layers, c.num_attention_heads);
        std::string line;
        while (next_line(line)) {
            const auto first = line.find_first_not_of(" \t");
            if (first == std::string::npos) continue;
            line = line.substr(first);
            try {
                if (line[0] == ':') {
                    if (!command(line.substr(1))) break;
                } else {
                    input_.text = line;
                    analyse();
                }
            } catch (const Error& e) {
                print_out("error: {}\n", e.what());
            }
            util::flush_stdout();
        }
    }

  private:
    bool next_line(std::string& line) {
        if (!interactive_) {
            print_out("attnscope> ");
            util::flush_stdout();
            if (!std::getline(std::cin, line)) {
                print_out("\n");
                return false;
            }
            return true;
        }
        char* raw = readline("attnscope> ");
        if (!raw) {
            print_out("\n");
            return false;
        }
        line = raw;
        std::free(raw);
        if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
        return true;
    }

    void analyse() {
        tokenizer::EncodeOptions eo;
        enc_ = lm_.model->tokenizer().encode(
            input_.text, input_.pair ? std::optional<std::string_view>(*input_.pair) : std::nullopt, eo);
        if (std::count(enc_.sequence_ids.begin(), enc_.sequence_ids.end(), 0) == 0) {
            have_ = false;
            throw Error("the text has no tokens (only whitespace or control characters)");
        }
        const size_t limit = lm_.model->tokenizer().config().model_max_length;
        if (enc_.size() > limit) {
            have_ = false;
            throw Error(
                fmt::format("the input is {} tokens including special tokens, longer than the model's maximum of {}",
                            enc_.size(), limit));
        }
        const auto t0 = std::chrono::steady_clock::now();
        trace_ = lm_.model->forward(enc_);
        forward_ms_ = ms_since(t0);
        have_ = true;
        print_workflow(lm_, input_, enc_);
        print_overview(lm_, enc_, trace_, forward_ms_, use_color());
        print_out("\n(:show for the heatmap of layer {}, head {}; :help for commands)\n", layer_, head_);
    }

    void require_result() const {
        if (!have_) throw Error("type a sentence first");
    }

    int index_argument(const std::string& arg, int count, const char* what) const {
        int v = -1;
        try {
            size_t used = 0;
            v = std::stoi(arg, &used);
            if (used != arg.size()) v = -1;
        } catch (const std::exception&) {
            v = -1;
        }
        if (v < 0 || v >= count) throw Error(fmt::format("{} must be a number from 0 to {}", what, count - 1));
        return v;
    }

    // Returns false to leave.
    bool command(const std::string& text) {
        std::istringstream in(text);
        std::string name, rest;
        in >> name;
        std::getline(in >> std::ws, rest);
        const auto& c = lm_.model->config();
        if (name == "q" || name == "quit" || name == "exit") return false;
        if (name == "help" || name == "h" || name == "?") {
            print_out("{}", kHelp);
        } else if (name == "layer" || name == "l") {
            layer_ = index_argument(rest, c.num_hidden_layers, "the layer");
            print_out("layer {}, head {}\n", layer_, head_);
            if (have_) print_heatmap(enc_, trace_, layer_, head_, use_color(), values_);
        } else if (name == "head") {
            head_ = index_argument(rest, c.num_attention_heads, "the head");
            print_out("layer {}, head {}\n", layer_, head_);
            if (have_) print_heatmap(enc_, trace_, layer_, head_, use_color(), values_);
        } else if (name == "show" || name == "heatmap") {
            require_result();
            print_heatmap(enc_, trace_, layer_, head_, use_color(), values_);
        } else if (name == "overview") {
            require_result();
            print_overview(lm_, enc_, trace_, forward_ms_, use_color());
        } else if (name == "pair") {
            if (rest.empty()) throw Error(":pair TEXT sets sentence B; :pair off removes it");
            if (rest == "off")
                input_.pair.reset();
            else
                input_.pair = rest;
            print_out("{}\n", input_.pair ? "sentence B set" : "sentence B removed");
            if (!input_.text.empty()) analyse();
        } else if (name == "values") {
            if (rest != "on" && rest != "off") throw Error(":values on|off");
            values_ = rest == "on";
        } else if (name == "save") {
            require_result();
            save(rest);
        } else if (name == "model") {
            print_out("{} ({}) · {} layers × {} heads · hidden {}\n", lm_.location.name,
                      lm_.location.directory.string(), c.num_hidden_layers, c.num_attention_heads, c.hidden_size);
        } else {
            throw Error(fmt::format("unknown command :{} (:help lists them)", name));
        }
        return true;
    }

    void save(const std::string& path) {
        const std::string ext = std::filesystem::path(path).extension().string();
        if (ext == ".json") {
            write_json(lm_, input_, enc_, trace_, path);
            print_out("wrote {}\n", path);
        } else if (ext == ".npy") {
            write_npy_outputs(lm_, input_, enc_, trace_, path);
        } else {
            throw Error(":save FILE.json or :save FILE.npy");
        }
    }

    LoadedModel lm_;
    bool interactive_;
    std::filesystem::path history_;
    RunInput input_;
    tokenizer::Encoding enc_;
    Trace trace_;
    double forward_ms_ = 0;
    bool have_ = false;
    int layer_ = 0, head_ = 0;
    bool values_ = false;
};

}  // namespace

void register_repl(CLI::App& app) {
    auto model = std::make_shared<std::string>();
    auto quiet = std::make_shared<bool>(false);
    auto* cmd =
        app.add_subcommand("repl", "Interactive terminal: type sentences, pick heads, see heatmaps, save results");
    cmd->add_option("--model,-m", *model,
                    "Model folder or Hugging Face id (default: bert-base-uncased if cached, else the bundled MiniLM)");
    cmd->add_flag("--quiet,-q", *quiet, "Do not announce which default model is used");
    cmd->callback([model, quiet] {
        Repl repl(load_model(*model, *quiet), isatty(STDIN_FILENO) != 0);
        repl.loop();
    });
}

}  // namespace attnscope::cli
