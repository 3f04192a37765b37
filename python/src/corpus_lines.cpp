#include "corpus_lines.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "attnscope/corpus_run.h"
#include "attnscope/error.h"

namespace attnscope::python {
namespace {

// The lines of `data`, each ended by '\n' (a last line without one counts too), as std::getline reads them.
std::vector<std::string_view> split_lines(const std::string& data) {
    std::vector<std::string_view> out;
    size_t begin = 0;
    while (begin < data.size()) {
        size_t end = data.find('\n', begin);
        if (end == std::string::npos) end = data.size();
        out.emplace_back(data.data() + begin, end - begin);
        begin = end + 1;
    }
    return out;
}

// The encoding of a line the CLI would analyse; throws Error with "line N: ..." for one it skips.
tokenizer::Encoding encode_line(const tokenizer::Tokenizer& tok, uint64_t number, std::string_view raw, bool jsonl,
                                bool truncate) {
    if (raw.empty() || raw == "\r") throw Error("empty line");
    try {
        analysis::CorpusLine l = analysis::parse_corpus_line(
            number, raw, jsonl ? analysis::InputFormat::JsonLines : analysis::InputFormat::Text);
        tokenizer::EncodeOptions eo;
        eo.truncation = truncate;
        auto enc = tok.encode(l.text, l.pair ? std::optional<std::string_view>(*l.pair) : std::nullopt, eo);
        if (std::count(enc.sequence_ids.begin(), enc.sequence_ids.end(), 0) == 0) throw Error("no tokens");
        if (enc.size() > tok.config().model_max_length) {
            throw Error(fmt::format("{} tokens, longer than the model's {} (use --truncate)", enc.size(),
                                    tok.config().model_max_length));
        }
        return enc;
    } catch (const Error& e) {
        std::string msg = e.what();
        if (msg.rfind("line ", 0) != 0) msg = fmt::format("line {}: {}", number, msg);
        throw Error(msg);
    }
}

// The analyses' threads, where the library takes them per call (CorpusOptions::threads); older headers
// use one per core.
template <class O>
void set_analysis_threads(O& options, int threads) {
    if constexpr (requires { options.threads = threads; }) options.threads = threads;
}

}  // namespace

std::string corpus_fingerprint(const model::Model& m) {
    const auto& c = m.config();
    return fmt::format("bert L{} H{} D{} I{} V{} P{} act={} eps={:g}", c.num_hidden_layers, c.num_attention_heads,
                       c.hidden_size, c.intermediate_size, c.vocab_size, c.max_position_embeddings, c.hidden_act,
                       c.layer_norm_eps);
}

analysis::CorpusStats process_corpus_block(const model::Model& model, const std::string& model_name,
                                           const std::string& data, const CorpusBlockOptions& o) {
    if (o.batch == 0) throw Error("batch must be at least 1");
    if (o.first_line == 0) throw Error("first_line is 1-based");
    const auto lines = split_lines(data);
    if (lines.empty()) throw Error(fmt::format("{}:{}: an empty block", o.source, o.first_line));
    const auto& tok = model.tokenizer();
    analysis::CorpusStats stats(model_name, corpus_fingerprint(model), model.config().num_hidden_layers,
                                model.config().num_attention_heads);
    stats.sources.push_back(fmt::format("{}:{}-{}", o.source, o.first_line, o.first_line + lines.size() - 1));
    analysis::CorpusOptions copts;
    copts.head_map = o.head_map;
    copts.head_map_docs = std::numeric_limits<uint64_t>::max();
    set_analysis_threads(copts, o.threads);
    ForwardOptions fo;
    fo.threads = o.threads;
    std::vector<tokenizer::Encoding> batch;
    std::vector<analysis::TokenClasses> classes;
    std::vector<Trace> traces;
    auto run_batch = [&] {
        if (batch.empty()) return;
        model.forward_batch_into(batch, traces, fo);
        stats.add_batch(traces, classes, copts);
        batch.clear();
        classes.clear();
    };
    for (size_t i = 0; i < lines.size(); ++i) {
        const uint64_t number = o.first_line + i;
        try {
            auto enc = encode_line(tok, number, lines[i], o.jsonl, o.truncate);
            classes.push_back(
                analysis::TokenClasses::from_encoding(enc, tok.config().cls_token, tok.config().sep_token));
            batch.push_back(std::move(enc));
        } catch (const Error& e) {
            stats.skipped.push_back({number, o.file_in_errors ? fmt::format("{}: {}", o.source, e.what()) : e.what()});
        }
        if (batch.size() >= o.batch) run_batch();
    }
    run_batch();
    stats.lines_done = lines.size();
    return stats;
}

std::vector<uint64_t> valid_corpus_lines(const model::Model& model, const std::string& data, bool jsonl,
                                         uint64_t first_line, bool truncate, uint64_t limit) {
    std::vector<uint64_t> out;
    const auto lines = split_lines(data);
    for (size_t i = 0; i < lines.size() && out.size() < limit; ++i) {
        try {
            encode_line(model.tokenizer(), first_line + i, lines[i], jsonl, truncate);
            out.push_back(first_line + i);
        } catch (const Error&) {
        }
    }
    return out;
}

}  // namespace attnscope::python
