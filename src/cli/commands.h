#pragma once

#include <CLI/CLI.hpp>

namespace attnscope::cli {

void register_run(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_info(CLI::App& app);
void register_bench(CLI::App& app);

}  // namespace attnscope::cli
