#include "attnscope/corpus_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>

#include "attnscope/ablation.h"
#include "attnscope/error.h"
#include "util/files.h"

namespace attnscope::analysis {

namespace fs = std::filesystem;

namespace {

bool all_digits(const std::string& s) {
    return !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// One input per line: a JSON string or {"text": ..., "pair": ...} (JSON Lines), or plain text with an
// optional TAB separating a sentence pair.
CorpusLine parse_corpus_line(uint64_t number, std::string_view raw, InputFormat format) {
    CorpusLine l;
    std::string s(raw);
    if (!s.empty() && s.back() == '\r') s.pop_back();
    if (format == InputFormat::JsonLines) {
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

LineRange parse_line_range(const std::string& spec) {
    const auto colon = spec.find(':');
    // Digits only: std::stoull takes "-1" as 2⁶⁴ − 1, which would read as "to the end".
    const std::string head = colon == std::string::npos ? std::string() : spec.substr(0, colon);
    const std::string tail = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
    if (!all_digits(head) || (!tail.empty() && !all_digits(tail))) {
        throw Error(fmt::format("--lines {}: expected FIRST:LAST (1-based, inclusive; LAST may be empty)", spec));
    }
    LineRange r;
    r.first = std::stoull(head);
    r.last = tail.empty() ? LineRange::kToEnd : std::stoull(tail);
    if (r.first == 0 || r.last < r.first) throw Error(fmt::format("--lines {}: expected 1 ≤ FIRST ≤ LAST", spec));
    return r;
}

uint64_t CorpusInput::line_count() const {
    const uint64_t end = std::min(lines.last, file_lines);
    return end >= lines.first ? end - lines.first + 1 : 0;
}

std::string CorpusInput::source() const {
    return fmt::format("{}:{}-{}", file.filename().string(), lines.first,
                       lines.last == LineRange::kToEnd ? std::string("end") : std::to_string(lines.last));
}

CorpusInput plan_corpus_input(const fs::path& file, const LineRange& lines) {
    if (lines.first == 0 || lines.last < lines.first) throw Error("corpus: a line range needs 1 ≤ FIRST ≤ LAST");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open", file.string()));
    CorpusInput input;
    input.file = file;
    input.lines = lines;
    input.format =
        file.extension() == ".jsonl" || file.extension() == ".json" ? InputFormat::JsonLines : InputFormat::Text;
    std::string l;
    while (std::getline(in, l)) ++input.file_lines;
    if (in.bad()) throw Error(fmt::format("{}: read failed", file.string()));
    if (input.line_count() == 0) {
        if (input.file_lines == 0) throw Error(fmt::format("{}: the file is empty: nothing to analyse", file.string()));
        throw Error(fmt::format("--lines {}:{}: {} has only {} lines", lines.first,
                                lines.last == LineRange::kToEnd ? std::string() : std::to_string(lines.last),
                                file.string(), input.file_lines));
    }
    return input;
}

std::string model_fingerprint(const model::Model& m) {
    const auto& c = m.config();
    return fmt::format("bert L{} H{} D{} I{} V{} P{} act={} eps={:g}", c.num_hidden_layers, c.num_attention_heads,
                       c.hidden_size, c.intermediate_size, c.vocab_size, c.max_position_embeddings, c.hidden_act,
                       c.layer_norm_eps);
}

CorpusStats new_corpus_stats(const model::Model& model, const std::string& model_name, const CorpusInput& input) {
    CorpusStats stats(model_name, model_fingerprint(model), model.config().num_hidden_layers,
                      model.config().num_attention_heads);
    stats.sources.push_back(input.source());
    return stats;
}

void check_resumable(const CorpusStats& stats, const CorpusInput& input, const model::Model& model,
                     const std::string& state_name) {
    if (stats.sources.size() != 1 || stats.sources[0] != input.source()) {
        throw Error(fmt::format("{} was made from {}, not {}", state_name,
                                stats.sources.empty() ? "?" : stats.sources[0], input.source()));
    }
    if (stats.fingerprint() != model_fingerprint(model)) {
        throw Error(fmt::format("{} was made with another model ({})", state_name, stats.model_name()));
    }
}

CorpusRunResult run_corpus(const model::Model& model, const CorpusInput& input, CorpusStats& stats,
                           const CorpusRunOptions& options, const CorpusCallbacks& callbacks) {
    if (options.batch == 0) throw Error("--batch must be at least 1");
    if (options.checkpoint_every == 0) throw Error("--checkpoint-every must be at least 1");
    if (options.threads < 0 || options.threads > kMaxThreads) {
        throw Error(fmt::format("threads {}: expected 0 (one per core) to {}", options.threads, kMaxThreads));
    }
    if (stats.layers() != model.config().num_hidden_layers || stats.heads() != model.config().num_attention_heads) {
        throw Error("corpus: statistics of another model's shape");
    }
    std::ifstream in(input.file, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open", input.file.string()));
    const auto& tok = model.tokenizer();
    tokenizer::EncodeOptions eo;
    eo.truncation = options.truncate;
    ForwardOptions fo;
    fo.threads = options.threads;

    CorpusRunResult result;
    CorpusProgress& progress = result.progress;
    progress.lines_total = input.line_count();
    const uint64_t resume_from = input.lines.first + stats.lines_done;
    const uint64_t done_at_start = stats.lines_done;

    std::vector<tokenizer::Encoding> batch;
    std::vector<TokenClasses> classes;
    std::vector<Trace> traces;
    uint64_t batches = 0, lines_in_batch = 0;
    auto report = [&]() {
        progress.lines_done = stats.lines_done;
        progress.lines_this_run = stats.lines_done - done_at_start;
        progress.skipped = stats.skipped.size();
        if (callbacks.progress) callbacks.progress(progress);
    };
    auto run_batch = [&]() {
        if (!batch.empty()) {
            auto t0 = std::chrono::steady_clock::now();
            model.forward_batch_into(batch, traces, fo);
            progress.forward_seconds += seconds_since(t0);
            t0 = std::chrono::steady_clock::now();
            stats.add_batch(traces, classes, options.statistics);
            progress.statistics_seconds += seconds_since(t0);
            if (options.importance) {
                const auto imp = head_importance(model, batch, HeadAblation::Zero, {}, options.threads);
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
        if (batches % options.checkpoint_every == 0 && callbacks.checkpoint) callbacks.checkpoint(stats);
        report();
    };

    std::string raw;
    uint64_t number = 0;
    while (std::getline(in, raw)) {
        ++number;
        if (number < resume_from) continue;
        if (number > input.lines.last) break;
        ++lines_in_batch;
        if (raw.empty() || raw == "\r") {
            stats.skipped.push_back({number, "empty line"});
        } else {
            try {
                CorpusLine l = parse_corpus_line(number, raw, input.format);
                auto enc = tok.encode(l.text, l.pair ? std::optional<std::string_view>(*l.pair) : std::nullopt, eo);
                if (std::count(enc.sequence_ids.begin(), enc.sequence_ids.end(), 0) == 0) throw Error("no tokens");
                if (enc.size() > tok.config().model_max_length) {
                    throw Error(fmt::format("{} tokens, longer than the model's {} (use --truncate)", enc.size(),
                                            tok.config().model_max_length));
                }
                classes.push_back(TokenClasses::from_encoding(enc, tok.config().cls_token, tok.config().sep_token));
                batch.push_back(std::move(enc));
            } catch (const Error& e) {
                std::string msg = e.what();
                if (msg.rfind("line ", 0) != 0) msg = fmt::format("line {}: {}", number, msg);
                if (options.on_error == OnError::Stop) {
                    --lines_in_batch;  // this line is not done; a resume starts at it
                    result.status = CorpusRunResult::Status::Stopped;
                    result.error = msg;
                    break;
                }
                stats.skipped.push_back({number, msg});
            }
        }
        if (batch.size() >= options.batch) run_batch();
        if (callbacks.should_stop && callbacks.should_stop()) {
            result.status = CorpusRunResult::Status::Interrupted;
            break;
        }
    }
    if (in.bad()) throw Error(fmt::format("{}: read failed", input.file.string()));
    run_batch();
    // Interrupted after the range's last line: nothing is missing, so the run is done.
    if (result.status == CorpusRunResult::Status::Interrupted && stats.lines_done >= progress.lines_total) {
        result.status = CorpusRunResult::Status::Done;
    }
    return result;
}

}  // namespace attnscope::analysis
