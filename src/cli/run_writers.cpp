#include "run_writers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "json_writer.h"
#include "npy_writer.h"
#include "output.h"
#include "terminal_render.h"
#include "text_width.h"

namespace attnscope::cli {

void write_json(const LoadedModel& lm, const RunInput& in, const tokenizer::Encoding& enc, const Trace& t,
                const std::string& output) {
    const auto& tok = lm.model->tokenizer();
    nlohmann::json head;
    head["model"] = model_json(lm);
    head["text"] = in.text;
    head["pair"] = in.pair ? nlohmann::json(*in.pair) : nlohmann::json(nullptr);
    auto tokens = tok.tokenize(in.text);
    head["tokens"] = tokens;
    head["token_ids"] = tok.convert_tokens_to_ids(tokens);
    if (in.pair) {
        auto pt = tok.tokenize(*in.pair);
        head["pair_tokens"] = pt;
        head["pair_token_ids"] = tok.convert_tokens_to_ids(pt);
    }
    head["encoding"] = encoding_json(enc);
    head["shape"] = {t.num_layers, t.num_heads, t.seq_len, t.seq_len};
    std::string h = head.dump();
    h.pop_back();  // reopen the object to stream the big arrays after it

    Output out(output, true);
    out.write(h);
    fmt::memory_buffer buf;
    const size_t n = t.seq_len, L = static_cast<size_t>(t.num_layers), H = static_cast<size_t>(t.num_heads);
    auto flush_buf = [&] {
        out.write(buf);
        buf.clear();
    };
    auto tensor = [&](const char* key, const FloatBuffer& v, size_t outer, size_t inner, size_t rows, size_t cols) {
        fmt::format_to(std::back_inserter(buf), ",\"{}\":", key);
        // Stream one [inner][rows][cols] block at a time to keep memory flat.
        buf.push_back('[');
        for (size_t a = 0; a < outer; ++a) {
            if (a) buf.push_back(',');
            append_tensor3(buf, v.data() + a * inner * rows * cols, inner, rows, cols);
            flush_buf();
        }
        buf.push_back(']');
    };
    tensor("attentions", t.attentions, L, H, n, n);
    if (!t.queries.empty()) {
        const size_t d = static_cast<size_t>(t.head_dim);
        tensor("queries", t.queries, L, H, n, d);
        tensor("keys", t.keys, L, H, n, d);
        tensor("values", t.values, L, H, n, d);
    }
    if (!t.scores.empty()) tensor("scores", t.scores, L, H, n, n);
    if (!t.hidden_states.empty()) {
        fmt::format_to(std::back_inserter(buf), ",\"hidden_states\":");
        append_tensor3(buf, t.hidden_states.data(), L + 1, n, static_cast<size_t>(t.hidden_size));
    }
    buf.push_back('}');
    buf.push_back('\n');
    flush_buf();
    out.commit();
}

namespace {

std::string sibling_path(const std::string& npy, const std::string& suffix) {
    std::filesystem::path p(npy);
    std::filesystem::path stem = p.parent_path() / p.stem();
    return stem.string() + suffix;
}

}  // namespace

void write_npy_outputs(const LoadedModel& lm, const RunInput& in, const tokenizer::Encoding& enc, const Trace& t,
                       const std::string& output) {
    const std::string path = output.empty() ? "attentions.npy" : output;
    if (path == "-") throw Error("--format npy writes files: give --output FILE.npy");
    const size_t n = t.seq_len, L = static_cast<size_t>(t.num_layers), H = static_cast<size_t>(t.num_heads);
    write_npy(path, t.attentions.data(), {L, H, n, n});
    std::vector<std::string> written{path};
    const size_t d = static_cast<size_t>(t.head_dim);
    if (!t.queries.empty()) {
        for (const auto& [name, v] :
             {std::pair{".queries.npy", &t.queries}, {".keys.npy", &t.keys}, {".values.npy", &t.values}}) {
            write_npy(sibling_path(path, name), v->data(), {L, H, n, d});
            written.push_back(sibling_path(path, name));
        }
    }
    if (!t.scores.empty()) {
        write_npy(sibling_path(path, ".scores.npy"), t.scores.data(), {L, H, n, n});
        written.push_back(sibling_path(path, ".scores.npy"));
    }
    if (!t.hidden_states.empty()) {
        write_npy(sibling_path(path, ".hidden_states.npy"), t.hidden_states.data(),
                  {L + 1, n, static_cast<size_t>(t.hidden_size)});
        written.push_back(sibling_path(path, ".hidden_states.npy"));
    }
    nlohmann::json side;
    side["model"] = model_json(lm);
    side["text"] = in.text;
    side["pair"] = in.pair ? nlohmann::json(*in.pair) : nlohmann::json(nullptr);
    side["encoding"] = encoding_json(enc);
    side["attentions_npy"] = std::filesystem::path(path).filename().string();
    side["shape"] = {L, H, n, n};
    const std::string tokens_path = sibling_path(path, ".tokens.json");
    Output tj(tokens_path, true);
    tj.write(side.dump(2) + "\n");
    tj.commit();
    written.push_back(tokens_path);
    for (const auto& w : written) fmt::print(stderr, "attnscope: wrote {}\n", w);
}

}  // namespace attnscope::cli
