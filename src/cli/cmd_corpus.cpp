// attnscope corpus / merge / report: per-head statistics over a whole corpus, computed in batches while
// the model runs, without keeping attention matrices; interruptible and resumable; shards merge exactly.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "attnscope/ablation.h"
#include "attnscope/corpus.h"
#include "attnscope/error.h"
#include "commands.h"
#include "common.h"
#include "corpus_report.h"
#include "output.h"
#include "util/files.h"

namespace attnscope::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted.store(true); }

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

struct Line {
    uint64_t number;
    std::string text;
    std::optional<std::string> pair;
};

// One input per line: a JSON string or {"text": ..., "pair": ...} (JSON Lines), or plain text with an
// optional TAB separating a sentence pair.
Line parse_line(uint64_t number, const std::string& raw, bool jsonl) {
    Line l{number, {}, std::nullopt};
    std::string s = raw;
    if (!s.empty() && s.back() == '\r') s.pop_back();
    if (jsonl) {
        nlohmann::json j = util::parse_json(s, fmt::format("line {}", number));
        if (j.is_string()) {
            l.text = j.get<std::string>();
        } else if (j.is_object() && j.contains("text") && j["text"].is_string()) {
            l.text = j["text"].get<std::string>();
            if (j.contains("pair") && j["pair"].is_string()) l.pair = j["pair"].get<std::string>();
        } else {
            throw Error(fmt::format("line {}: expected a JSON string or an object with \"text\"", number));
        }
    } else {
        auto tab = s.find('\t');
        if (tab != std::string::npos) {
            l.text = s.substr(0, tab);
            l.pair = s.substr(tab + 1);
        } else {
            l.text = s;
        }
    }
    return l;
}

std::string fingerprint(const model::Model& m) {
    const auto& c = m.config();
    return fmt::format("bert L{} H{} D{} I{} V{} P{} act={} eps={:g}", c.num_hidden_layers, c.num_attention_heads,
                       c.hidden_size, c.intermediate_size, c.vocab_size, c.max_position_embeddings, c.hidden_act,
                       c.layer_norm_eps);
}

std::string format_duration(double s) {
    if (!(s >= 0) || s > 360000) return "--";
    const long t = static_cast<long>(s);
    return t >= 3600 ? fmt::format("{}h{:02}m", t / 3600, t % 3600 / 60) : fmt::format("{}m{:02}s", t / 60, t % 60);
}

void corpus_command(const CorpusOptions& o) {
    if (o.on_error != "skip" && o.on_error != "stop") throw Error(fmt::format("--on-error {}: expected skip or stop", o.on_error));
    if (o.batch == 0) throw Error("--batch must be at least 1");
    if (o.checkpoint_every == 0) throw Error("--checkpoint-every must be at least 1");
    if (o.threads < 0) throw Error(fmt::format("--threads {}: must be 0 (one per core) or more", o.threads));
    std::ifstream in(o.file, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open", o.file));
    const bool jsonl = fs::path(o.file).extension() == ".jsonl" || fs::path(o.file).extension() == ".json";
    uint64_t first = 1, last = UINT64_MAX;
    if (!o.lines.empty()) {
        auto colon = o.lines.find(':');
        // Digits only: std::stoull takes "-1" as 2⁶⁴ − 1, which read as "to the end".
        auto digits = [](const std::string& s) { return !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos; };
        try {
            if (colon == std::string::npos || !digits(o.lines.substr(0, colon))) throw std::invalid_argument("lines");
            const std::string tail = o.lines.substr(colon + 1);
            if (!tail.empty() && !digits(tail)) throw std::invalid_argument("lines");
            first = std::stoull(o.lines.substr(0, colon));
            last = !tail.empty() ? std::stoull(tail) : UINT64_MAX;
        } catch (const std::exception&) {
            throw Error(fmt::format("--lines {}: expected FIRST:LAST (1-based, inclusive; LAST may be empty)", o.lines));
        }
        if (first == 0 || last < first) throw Error(fmt::format("--lines {}: expected 1 ≤ FIRST ≤ LAST", o.lines));
    }
    const std::string prefix = o.output.empty() ? fs::path(o.file).replace_extension("").string() + ".attnscope" : o.output;
    const std::string state_path = prefix + ".json";
    // The state is saved during the run and the results written at its end: an output folder that cannot
    // take them is an error now, not after hours of work.
    const fs::path out_dir = fs::path(prefix).parent_path().empty() ? fs::path(".") : fs::path(prefix).parent_path();
    if (!fs::is_directory(out_dir)) throw Error(fmt::format("{}: no such folder for the outputs ({}.json, .csv, .html)", out_dir.string(), prefix));
    if (::access(out_dir.c_str(), W_OK) != 0) throw Error(fmt::format("{}: cannot write the outputs there", out_dir.string()));

    LoadedModel lm = load_model(o.model, o.quiet);
    const auto& tok = lm.model->tokenizer();
    analysis::CorpusStats stats(lm.location.name, fingerprint(*lm.model), lm.model->config().num_hidden_layers,
                                lm.model->config().num_attention_heads);
    const std::string source = fmt::format("{}:{}-{}", fs::path(o.file).filename().string(), first,
                                           last == UINT64_MAX ? std::string("end") : std::to_string(last));
    const bool resumed = fs::exists(state_path);
    if (resumed) {
        if (!o.resume) {
            throw Error(fmt::format("{} exists: pass --resume to continue that run, or -o another prefix", state_path));
        }
        auto j = util::read_json_file(state_path);
        stats = analysis::CorpusStats::from_json(j.contains("state") ? j["state"] : j, state_path);
        if (stats.sources.size() != 1 || stats.sources[0] != source) {
            throw Error(fmt::format("{} was made from {}, not {}", state_path, stats.sources.empty() ? "?" : stats.sources[0], source));
        }
        if (stats.fingerprint() != fingerprint(*lm.model)) {
            throw Error(fmt::format("{} was made with another model ({})", state_path, stats.model_name()));
        }
    } else {
        stats.sources.push_back(source);
    }
    // Total lines for the progress bar.
    uint64_t total = 0;
    {
        std::string l;
        while (std::getline(in, l)) ++total;
        in.clear();
        in.seekg(0);
    }
    const uint64_t range_end = std::min(last, total);
    const uint64_t range_total = range_end >= first ? range_end - first + 1 : 0;
    const uint64_t resume_from = first + stats.lines_done;
    if (range_total == 0) {
        throw Error(total == 0 ? fmt::format("{}: the file is empty: nothing to analyse", o.file)
                               : fmt::format("--lines {}: {} has only {} lines", o.lines, o.file, total));
    }

    analysis::CorpusOptions copts;
    copts.head_map = !o.no_head_map;
    copts.head_map_docs = o.head_map_docs;
    tokenizer::EncodeOptions eo;
    eo.truncation = o.truncate;
    ForwardOptions fo;
    fo.threads = o.threads;
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);

    std::vector<tokenizer::Encoding> batch;
    std::vector<analysis::TokenClasses> classes;
    std::vector<Trace> traces;
    uint64_t batches = 0, done_at_start = stats.lines_done;
    double forward_s = 0, stats_s = 0;
    auto started = std::chrono::steady_clock::now(), last_report = started;
    std::string stop_error;

    auto save_state = [&]() {
        util::write_file_atomic(state_path, nlohmann::json{{"state", stats.to_json()}}.dump() + "\n");
    };
    auto progress = [&](bool final) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const uint64_t now_done = stats.lines_done - done_at_start;
        const double rate = elapsed > 0 ? static_cast<double>(now_done) / elapsed : 0;
        const double eta = rate > 0 ? static_cast<double>(range_total - stats.lines_done) / rate : -1;
        const double frac = range_total ? static_cast<double>(stats.lines_done) / static_cast<double>(range_total) : 1;
        const int width = 30, filled = static_cast<int>(frac * width);
        std::string bar = std::string(static_cast<size_t>(filled), '=') + (filled < width ? ">" : "") +
                          std::string(static_cast<size_t>(std::max(0, width - filled - 1)), ' ');
        const std::string line = fmt::format("[{}] {}/{} lines · {:.1f} inputs/s · ETA {} · {} skipped", bar, stats.lines_done,
                                             range_total, rate, final ? "0m00s" : format_duration(eta), stats.skipped.size());
        if (tty) {
            fmt::print(stderr, "\r{}{}", line, final ? "\n" : "");
        } else if (final || std::chrono::duration<double>(std::chrono::steady_clock::now() - last_report).count() > 30) {
            fmt::print(stderr, "{}\n", line);
            last_report = std::chrono::steady_clock::now();
        }
    };
    uint64_t lines_in_batch = 0;
    auto run_batch = [&]() {
        if (!batch.empty()) {
            auto t0 = std::chrono::steady_clock::now();
            lm.model->forward_batch_into(batch, traces, fo);
            forward_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            t0 = std::chrono::steady_clock::now();
            stats.add_batch(traces, classes, copts);
            stats_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (o.importance) {
                const auto imp = analysis::head_importance(*lm.model, batch, HeadAblation::Zero);
                uint64_t tokens = 0;
                for (const auto& e : batch) tokens += e.size();
                std::vector<double> sums(imp.size());
                for (size_t h = 0; h < imp.size(); ++h) sums[h] = imp[h] * static_cast<double>(tokens);
                stats.add_importance(sums, tokens);
            }
        }
        stats.lines_done += lines_in_batch;  // counted only once their results are in: a resume redoes nothing twice
        lines_in_batch = 0;
        batch.clear();
        classes.clear();
        ++batches;
        if (batches % o.checkpoint_every == 0) save_state();
        progress(false);
    };

    std::string raw;
    uint64_t number = 0;
    while (std::getline(in, raw)) {
        ++number;
        if (number < resume_from) continue;
        if (number > last) break;
        ++lines_in_batch;
        if (raw.empty() || raw == "\r") {
            stats.skipped.push_back({number, "empty line"});
        } else {
            try {
                Line l = parse_line(number, raw, jsonl);
                auto enc = tok.encode(l.text, l.pair ? std::optional<std::string_view>(*l.pair) : std::nullopt, eo);
                if (std::count(enc.sequence_ids.begin(), enc.sequence_ids.end(), 0) == 0) throw Error("no tokens");
                if (enc.size() > tok.config().model_max_length) {
                    throw Error(fmt::format("{} tokens, longer than the model's {} (use --truncate)", enc.size(),
                                            tok.config().model_max_length));
                }
                classes.push_back(analysis::TokenClasses::from_encoding(enc, tok.config().cls_token, tok.config().sep_token));
                batch.push_back(std::move(enc));
            } catch (const Error& e) {
                std::string msg = e.what();
                if (msg.rfind("line ", 0) != 0) msg = fmt::format("line {}: {}", number, msg);
                if (o.on_error == "stop") {
                    --lines_in_batch;  // this line is not done; a resume starts at it
                    stop_error = msg;
                    break;
                }
                stats.skipped.push_back({number, msg});
            }
        }
        if (batch.size() >= o.batch) run_batch();
        if (g_interrupted.load()) break;
    }
    run_batch();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    progress(true);
    if (g_interrupted.load() || !stop_error.empty()) {
        save_state();
        if (!stop_error.empty()) {
            throw Error(fmt::format("{} (stopped; {} lines done are saved in {}: fix the line and continue with --resume)",
                                    stop_error, stats.lines_done, state_path));
        }
        throw Error(fmt::format("interrupted after {} lines; saved in {}: continue with --resume", stats.lines_done, state_path));
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
        throw Error(fmt::format("no input could be analysed: all {} lines were skipped (line {}: {})", stats.skipped.size(),
                                s0.line, s0.error));
    }
    const auto written = write_corpus_outputs(stats, prefix, fmt::format("attnscope corpus report: {}", fs::path(o.file).filename().string()));
    if (!o.quiet) {
        const double share = forward_s > 0 ? stats_s / forward_s : 0;
        fmt::print(stderr, "attnscope: {} inputs, {} tokens, {} skipped · statistics took {:.1f}% of the forward time\n",
                   stats.docs(), stats.tokens(), stats.skipped.size(), 100 * share);
        for (const auto& w : written) fmt::print(stderr, "attnscope: wrote {}\n", w);
    }
}

void merge_command(const std::vector<std::string>& inputs, const std::string& output) {
    if (inputs.size() < 2) throw Error("merge needs at least two corpus results");
    std::optional<analysis::CorpusStats> total;
    for (const auto& path : inputs) {
        auto j = util::read_json_file(path);
        auto part = analysis::CorpusStats::from_json(j.contains("state") ? j["state"] : j, path);
        if (!total) total = std::move(part);
        else total->merge(part);
    }
    const std::string prefix = fs::path(output).extension() == ".json" ? fs::path(output).replace_extension("").string() : output;
    for (const auto& w : write_corpus_outputs(*total, prefix, "attnscope corpus report (merged)")) {
        fmt::print(stderr, "attnscope: wrote {}\n", w);
    }
}

void report_command(const std::string& input, const std::string& output) {
    auto j = util::read_json_file(input);
    auto stats = analysis::CorpusStats::from_json(j.contains("state") ? j["state"] : j, input);
    Output out(output, true);
    out.write(corpus_report_html(stats, corpus_results_json(stats), fmt::format("attnscope corpus report: {}", input)));
    out.commit();
}

}  // namespace

void register_corpus(CLI::App& app) {
    auto o = std::make_shared<CorpusOptions>();
    auto* cmd = app.add_subcommand("corpus", "Per-head statistics over a corpus file, in batches, resumable, mergeable");
    cmd->add_option("file", o->file, "One text per line (A<TAB>B for pairs), or JSON Lines (.jsonl)")->required();
    cmd->add_option("--output,-o", o->output, "Output prefix: PREFIX.json, .csv, .html (default FILE.attnscope)");
    cmd->add_option("--model,-m", o->model, "Model folder or Hugging Face id");
    cmd->add_option("--batch,-b", o->batch, "Inputs per forward pass (default 32)")->check(non_negative());
    cmd->add_option("--on-error", o->on_error, "A malformed line: skip (default; reported with its number) or stop");
    cmd->add_flag("--resume", o->resume, "Continue an interrupted run from its saved state");
    cmd->add_option("--lines", o->lines, "FIRST:LAST — process only these lines (1-based): one shard of a split corpus");
    cmd->add_flag("--importance", o->importance, "Also rank heads by single-head ablation (L·H extra forwards per batch)");
    cmd->add_flag("--no-head-map", o->no_head_map, "Skip the head map (JS distances between heads)");
    cmd->add_option("--head-map-docs", o->head_map_docs, "Inputs the head map is computed over (default 1000, as Clark et al.)")->check(non_negative());
    cmd->add_option("--checkpoint-every", o->checkpoint_every, "Save the state every N batches (default 20)")->check(non_negative());
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
