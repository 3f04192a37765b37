// Helpers shared by the subcommands: model loading with the default-model rule, text arguments,
// terminal facts. Faces only present results; the computing lives in the library.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "attnscope/model.h"
#include "attnscope/model_source.h"

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

// "-" reads standard input. Throws Error for empty text.
std::string read_text_argument(const std::string& value, const char* what);

bool stdout_is_terminal();
bool use_color();  // stdout is a terminal and NO_COLOR is unset
size_t terminal_width();

inline double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace attnscope::cli
