// Helpers shared by the subcommands: model loading with the default-model rule, text arguments,
// terminal facts. Faces only present results; the computing lives in the library.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "attnscope/model.h"
#include "attnscope/model_source.h"
#include "option_checks.h"

namespace attnscope::cli {

inline constexpr const char* kDefaultText = "The output shows the attention values";

struct LoadedModel {
    std::shared_ptr<const model::Model> model;
    ModelLocation location;
    double load_ms = 0;
};

// `spec` empty → the default model (bert-base-uncased from the cache, else bundled MiniLM), announced
// on stderr in one line unless quiet.
LoadedModel load_model(const std::string& spec, bool quiet, const model::LoadOptions& options = {});

// For a fast weight mode: the largest attention difference to the exact fp32 model on these encodings
// (mean in *mean). Loads the fp32 model beside the given one.
double attention_error_vs_fp32(const LoadedModel& fast, const std::vector<tokenizer::Encoding>& inputs, double* mean);
ModelLocation resolve_model(const std::string& spec, bool quiet);

// All of standard input, read on the first call; later calls return the same text.
const std::string& standard_input();
// "-" is standard input (read once: see standard_input). Throws Error for empty text.
std::string read_text_argument(const std::string& value, const char* what);

bool stdout_is_terminal();
bool use_color();  // stdout is a terminal and NO_COLOR is unset
size_t terminal_width();

// The options every single-input analysis command shares, and the encoding they describe.
struct InputOptions {
    std::string text = kDefaultText;
    std::string pair;
    std::string model;
    bool truncate = false;
    size_t max_length = 0;
    int threads = 0;
    bool quiet = false;
};
void add_input_options(CLI::App* cmd, InputOptions& o);

// Reads the text(s), encodes them, and refuses inputs the model cannot run.
tokenizer::Encoding encode_input(const LoadedModel& lm, const InputOptions& o);

inline double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace attnscope::cli
