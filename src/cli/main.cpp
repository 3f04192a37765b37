// attnscope: look inside the attention heads of BERT-family encoders.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "attnscope/error.h"
#include "attnscope/file_writer.h"
#include "commands.h"

int main(int argc, char** argv) {
    CLI::App app{"attnscope — look inside the attention heads of BERT-family transformers"};
    app.set_version_flag("--version", "attnscope 0.1.0");
    app.require_subcommand(1);
    app.fallthrough();
    attnscope::cli::register_run(app);
    attnscope::cli::register_tokenize(app);
    attnscope::cli::register_info(app);
    attnscope::cli::register_pull(app);
    attnscope::cli::register_stats(app);
    attnscope::cli::register_rollout(app);
    attnscope::cli::register_ablation(app);
    attnscope::cli::register_diff(app);
    attnscope::cli::register_corpus(app);
    attnscope::cli::register_serve(app);
    attnscope::cli::register_repl(app);
    attnscope::cli::register_bench(app);
    try {
        app.parse(argc, argv);
        // Buffered results reach the file or pipe here at the latest: a failure now is still an error.
        attnscope::util::flush_stdout();
    } catch (const CLI::ParseError& e) {
        // --help and --version arrive here too (exit code 0): CLI11 prints those itself.
        if (e.get_exit_code() == 0) return app.exit(e);
        // A usage mistake reads like every other error: one line, and exit code 2 (as for POSIX utilities).
        const auto used = app.get_subcommands();
        fmt::print(stderr, "attnscope: error: {} (see attnscope {}--help)\n", e.what(),
                   used.empty() ? std::string() : used.front()->get_name() + " ");
        return 2;
    } catch (const attnscope::Error& e) {
        fmt::print(stderr, "attnscope: error: {}\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "attnscope: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "attnscope: internal error: {}\n", e.what());
        return 3;
    }
    return 0;
}
