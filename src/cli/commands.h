#pragma once

#include <CLI/CLI.hpp>

namespace attnscope::cli {

void register_run(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_info(CLI::App& app);
void register_bench(CLI::App& app);
void register_stats(CLI::App& app);
void register_rollout(CLI::App& app);
void register_ablation(CLI::App& app);
void register_diff(CLI::App& app);
void register_corpus(CLI::App& app);
void register_serve(CLI::App& app);  // serve and export --html
void register_repl(CLI::App& app);
void register_pull(CLI::App& app);

}  // namespace attnscope::cli
