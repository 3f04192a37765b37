#include "attnscope/saved_attentions.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "attnscope/error.h"
#include "io/npy.h"
#include "util/files.h"

namespace attnscope {

SavedAttentions load_saved_attentions(const std::string& npy_path, const std::string& tokens_path) {
    SavedAttentions out;
    Trace& trace = out.trace;
    tokenizer::Encoding& enc = out.encoding;
    io::NpyArray a = io::read_npy(npy_path);
    if (a.shape.size() != 4 || a.shape[2] != a.shape[3] || a.shape[2] == 0) {
        throw Error(fmt::format("{}: expected attentions of shape [layers, heads, n, n]", npy_path));
    }
    const size_t n = a.shape[2];
    if (tokens_path.empty())
        throw Error("--attentions needs --tokens (a .tokens.json or a JSON list of token strings)");
    nlohmann::json j = util::read_json_file(tokens_path);
    if (j.is_object() && j.contains("encoding")) j = j["encoding"];
    std::vector<std::string> tokens;
    std::vector<int32_t> types;
    try {
        if (j.is_array()) {
            tokens = j.get<std::vector<std::string>>();
        } else if (j.is_object() && j.contains("tokens")) {
            tokens = j["tokens"].get<std::vector<std::string>>();
            if (j.contains("token_type_ids")) types = j["token_type_ids"].get<std::vector<int32_t>>();
        } else {
            throw Error("no tokens");
        }
    } catch (const std::exception&) {
        throw Error(fmt::format("{}: expected a list of token strings or an object with \"tokens\"", tokens_path));
    }
    if (tokens.size() != n) {
        throw Error(fmt::format("{} has {} tokens but the attentions are {} × {}", tokens_path, tokens.size(), n, n));
    }
    if (types.empty()) types.assign(n, 0);
    if (types.size() != n)
        throw Error(fmt::format("{}: token_type_ids has {} entries for {} tokens", tokens_path, types.size(), n));
    enc = tokenizer::Encoding{};
    enc.tokens = tokens;
    enc.type_ids = types;
    enc.ids.assign(n, 0);
    enc.attention_mask.assign(n, 1);
    enc.offsets.assign(n, {0, 0});
    enc.byte_offsets.assign(n, {0, 0});
    for (size_t i = 0; i < n; ++i) {
        enc.sequence_ids.push_back(static_cast<int8_t>(types[i] == 1 ? 1 : 0));
        enc.special_tokens_mask.push_back(tokens[i] == "[CLS]" || tokens[i] == "[SEP]");
    }
    trace = Trace{};
    trace.num_layers = static_cast<int>(a.shape[0]);
    trace.num_heads = static_cast<int>(a.shape[1]);
    trace.seq_len = n;
    trace.attentions = std::move(a.data);
    return out;
}

}  // namespace attnscope
