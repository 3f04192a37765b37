// attnscope corpus / merge / report: per-head statistics over a whole corpus, computed in batches while
// the model runs, without keeping attention matrices; interruptible and resumable; shards merge exactly.
// The driver is the library's (attnscope/corpus_run.h); this face parses the options, shows the progress,
// stores the checkpoints and handles Ctrl-C.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>

#include "attnscope/corpus.h"
#include "attnscope/corpus_report.h"
#include "attnscope/corpus_run.h"
#include "attnscope/error.h"
#include "commands.h"
#include "common.h"
#include "output.h"

namespace attnscope::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) {
    g_interrupted.store(true);
}

struct CorpusOptions {
    std::string file;
    std::string output;
    std::string model;
    size_t batch = 32;
    std::string on_error = "skip";
    bool resume = false;
    std::string lines;
    bool importance = false;
    bool no_head_map = false;
    uint64_t head_map_docs = 1000;
    size_t checkpoint_every = 20;
    bool truncate = false;
    int threads = 0;
    bool quiet = false;
};

std::string format_duration(double s) {
    if (!(s >= 0) || s > 360000) return "--";
    const long t = static_cast<long>(s);
    return t >= 3600 ? fmt::format("{}h{:02}m", t / 3600, t % 3600 / 60) : fmt::format("{}m{:02}s", t / 60, t % 60);
}

// The progress bar on a terminal (redrawn), or a line every 30 s in a log.
class ProgressBar {
  public:
    void show(const analysis::CorpusProgress& p, bool final) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        const double rate = elapsed > 0 ? static_cast<double>(p.lines_this_run) / elapsed : 0;
        const double eta = rate > 0 ? static_cast<double>(p.lines_total - p.lines_done) / rate : -1;
        const double frac = p.lines_total ? static_cast<double>(p.lines_done) / static_cast<double>(p.lines_total) : 1;
        const int width = 30, filled = static_cast<int>(frac * width);
        std::string bar = std::string(static_cast<size_t>(filled), '=') + (filled < width ? ">" : "") +
                          std::string(static_cast<size_t>(std::max(0, width - filled - 1)), ' ');
        const std::string line =
            fmt::format("[{}] {}/{} lines · {:.1f} inputs/s · ETA {} · {} skipped", bar, p.lines_done, p.lines_total,
                        rate, final ? "0m00s" : format_duration(eta), p.skipped);
        if (tty_) {
            fmt::print(stderr, "\r{}{}", line, final ? "\n" : "");
        } else if (final || std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count() > 30) {
            fmt::print(stderr, "{}\n", line);
            last_ = std::chrono::steady_clock::now();
        }
    }

  private:
    bool tty_ = ::isatty(STDERR_FILENO) == 1;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now(), last_ = started_;
};

void corpus_command(const CorpusOptions& o) {
    analysis::CorpusRunOptions run;
    if (o.on_error == "skip")
        run.on_error = analysis::OnError::Skip;
    else if (o.on_error == "stop")
        run.on_error = analysis::OnError::Stop;
    else
        throw Error(fmt::format("--on-error {}: expected skip or stop", o.on_error));
    if (o.batch == 0) throw Error("--batch must be at least 1");
    if (o.checkpoint_every == 0) throw Error("--checkpoint-every must be at least 1");
    run.batch = o.batch;
    run.checkpoint_every = o.checkpoint_every;
    run.truncate = o.truncate;
    run.importance = o.importance;
    run.threads = o.threads;
    run.statistics.head_map = !o.no_head_map;
    run.statistics.head_map_docs = o.head_map_docs;
    run.statistics.threads = o.threads;

    const analysis::CorpusInput input = analysis::plan_corpus_input(
        o.file, o.lines.empty() ? analysis::LineRange{} : analysis::parse_line_range(o.lines));
    const std::string prefix =
        o.output.empty() ? fs::path(o.file).replace_extension("").string() + ".attnscope" : o.output;
    const std::string state_path = prefix + ".json";
    // The state is saved during the run and the results written at its end: an output folder that cannot
    // take them is an error now, not after hours of work.
    const fs::path out_dir = fs::path(prefix).parent_path().empty() ? fs::path(".") : fs::path(prefix).parent_path();
    if (!fs::is_directory(out_dir))
        throw Error(fmt::format("{}: no such folder for the outputs ({}.json, .csv, .html)", out_dir.string(), prefix));
    if (::access(out_dir.c_str(), W_OK) != 0)
        throw Error(fmt::format("{}: cannot write the outputs there", out_dir.string()));
    const bool resumed = fs::exists(state_path);
    if (resumed && !o.resume) {
        throw Error(fmt::format("{} exists: pass --resume to continue that run, or -o another prefix", state_path));
    }

    LoadedModel lm = load_model(o.model, o.quiet);
    analysis::CorpusStats stats;
    if (resumed) {
        stats = analysis::read_corpus_state(state_path);
        analysis::check_resumable(stats, input, *lm.model, state_path);
    } else {
        stats = analysis::new_corpus_stats(*lm.model, lm.location.name, input);
    }

    ProgressBar bar;
    analysis::CorpusCallbacks callbacks;
    callbacks.checkpoint = [&](const analysis::CorpusStats& s) { analysis::write_corpus_state(s, state_path); };
    callbacks.progress = [&](const analysis::CorpusProgress& p) { bar.show(p, false); };
    callbacks.should_stop = [] { return g_interrupted.load(); };
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    analysis::CorpusRunResult result;
    try {
        result = analysis::run_corpus(*lm.model, input, stats, run, callbacks);
    } catch (...) {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        throw;
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    bar.show(result.progress, true);
    using Status = analysis::CorpusRunResult::Status;
    if (result.status != Status::Done) {
        analysis::write_corpus_state(stats, state_path);
        if (result.status == Status::Stopped) {
            throw Error(
                fmt::format("{} (stopped; {} lines done are saved in {}: fix the line and continue with --resume)",
                            result.error, stats.lines_done, state_path));
        }
        throw Error(fmt::format("interrupted after {} lines; saved in {}: continue with --resume", stats.lines_done,
                                state_path));
    }
    if (stats.docs() == 0) {
        // A report over nothing would read as a result. A checkpoint of nothing this run wrote would block the
        // next run and goes; a state the user resumed from is theirs and stays.
        if (!resumed) {
            std::error_code ec;
            fs::remove(state_path, ec);
        }
        if (stats.skipped.empty()) throw Error("no input could be analysed: no lines were read");
        const auto& s0 = stats.skipped.front();
        throw Error(fmt::format("no input could be analysed: all {} lines were skipped (line {}: {})",
                                stats.skipped.size(), s0.line, s0.error));
    }
    const auto written = analysis::write_corpus_outputs(
        stats, prefix, fmt::format("attnscope corpus report: {}", fs::path(o.file).filename().string()));
    if (!o.quiet) {
        const double share = result.progress.forward_seconds > 0
                                 ? result.progress.statistics_seconds / result.progress.forward_seconds
                                 : 0;
        fmt::print(stderr,
                   "attnscope: {} inputs, {} tokens, {} skipped · statistics took {:.1f}% of the forward time\n",
                   stats.docs(), stats.tokens(), stats.skipped.size(), 100 * share);
        for (const auto& w : written) fmt::print(stderr, "attnscope: wrote {}\n", w);
    }
}

void merge_command(const std::vector<std::string>& inputs, const std::string& output) {
    if (inputs.size() < 2) throw Error("merge needs at least two corpus results");
    std::optional<analysis::CorpusStats> total;
    for (const auto& path : inputs) {
        auto part = analysis::read_corpus_state(path);
        if (!total)
            total = std::move(part);
        else
            total->merge(part);
    }
    const std::string prefix =
        fs::path(output).extension() == ".json" ? fs::path(output).replace_extension("").string() : output;
    for (const auto& w : analysis::write_corpus_outputs(*total, prefix, "attnscope corpus report (merged)")) {
        fmt::print(stderr, "attnscope: wrote {}\n", w);
    }
}

void report_command(const std::string& input, const std::string& output) {
    const auto stats = analysis::read_corpus_state(input);
    Output out(output, true);
    out.write(analysis::corpus_report_html(stats, fmt::format("attnscope corpus report: {}", input)));
    out.commit();
}

}  // namespace

void register_corpus(CLI::App& app) {
    auto o = std::make_shared<CorpusOptions>();
    auto* cmd =
        app.add_subcommand("corpus", "Per-head statistics over a corpus file, in batches, resumable, mergeable");
    cmd->add_option("file", o->file, "One text per line (A<TAB>B for pairs), or JSON Lines (.jsonl)")->required();
    cmd->add_option("--output,-o", o->output, "Output prefix: PREFIX.json, .csv, .html (default FILE.attnscope)");
    cmd->add_option("--model,-m", o->model, "Model folder or Hugging Face id");
    cmd->add_option("--batch,-b", o->batch, "Inputs per forward pass (default 32)")->check(non_negative());
    cmd->add_option("--on-error", o->on_error, "A malformed line: skip (default; reported with its number) or stop");
    cmd->add_flag("--resume", o->resume, "Continue an interrupted run from its saved state");
    cmd->add_option("--lines", o->lines,
                    "FIRST:LAST — process only these lines (1-based): one shard of a split corpus");
    cmd->add_flag("--importance", o->importance,
                  "Also rank heads by single-head ablation (L·H extra forwards per batch)");
    cmd->add_flag("--no-head-map", o->no_head_map, "Skip the head map (JS distances between heads)");
    cmd->add_option("--head-map-docs", o->head_map_docs,
                    "Inputs the head map is computed over (default 1000, as Clark et al.)")
        ->check(non_negative());
    cmd->add_option("--checkpoint-every", o->checkpoint_every, "Save the state every N batches (default 20)")
        ->check(non_negative());
    cmd->add_flag("--truncate", o->truncate, "Truncate long inputs instead of skipping them");
    cmd->add_option("--threads,-t", o->threads, "Threads (default: one per core)")->check(thread_count());
    cmd->add_flag("--quiet,-q", o->quiet, "Less output on stderr");
    cmd->callback([o] { corpus_command(*o); });

    auto inputs = std::make_shared<std::vector<std::string>>();
    auto output = std::make_shared<std::string>();
    auto* merge = app.add_subcommand("merge", "Merge corpus results of shards (exactly: as one run over all of them)");
    merge->add_option("inputs", *inputs, "PREFIX.json files of the shards")->required();
    merge->add_option("--output,-o", *output, "Output prefix (PREFIX.json, .csv, .html)")->required();
    merge->callback([inputs, output] { merge_command(*inputs, *output); });

    auto rin = std::make_shared<std::string>();
    auto rout = std::make_shared<std::string>();
    auto* report = app.add_subcommand("report", "Render a corpus result as a self-contained HTML report");
    report->add_option("input", *rin, "PREFIX.json")->required();
    report->add_option("--output,-o", *rout, "report.html")->required();
    report->callback([rin, rout] { report_command(*rin, *rout); });
}

}  // namespace attnscope::cli
