// Tokenizer::from_directory: reading tokenizer.json, vocab.txt, tokenizer_config.json and
// special_tokens_map.json the way transformers v5 `BertTokenizer.from_pretrained` combines them.
#include <fmt/format.h>

#include <algorithm>

#include "attnscope/error.h"
#include "attnscope/tokenizer.h"
#include "tokenizer/limits.h"
#include "tokenizer/unicode.h"
#include "util/files.h"

namespace attnscope::tokenizer {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A special token is either a string or an AddedToken object {"content": ...}.
std::optional<std::string> token_string(const json& j) {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
    return std::nullopt;
}

void read_special_tokens(const json& j, TokenizerConfig& cfg) {
    if (!j.is_object()) return;
    const std::pair<const char*, std::string*> names[] = {{"unk_token", &cfg.unk_token},
                                                          {"cls_token", &cfg.cls_token},
                                                          {"sep_token", &cfg.sep_token},
                                                          {"pad_token", &cfg.pad_token},
                                                          {"mask_token", &cfg.mask_token}};
    for (const auto& [key, field] : names) {
        if (j.contains(key)) {
            if (auto s = token_string(j[key])) *field = *s;
        }
    }
}

template <typename T>
T get_field(const json& obj, const char* key, const T& fallback, const std::string& source) {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    try {
        return obj[key].get<T>();
    } catch (const json::exception&) {
        throw Error(fmt::format("{}: field '{}' has the wrong type ({})", source, key, obj[key].type_name()));
    }
}

// The lines of a text file as std::getline yields them: split on '\n', no empty line after a final one.
// Read through util::read_text_file, so a FIFO or a device is refused instead of blocking.
std::vector<std::string> read_lines(const fs::path& path) {
    const std::string text = util::read_text_file(path);
    std::vector<std::string> lines;
    size_t at = 0;
    while (at < text.size()) {
        size_t nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        lines.emplace_back(text, at, nl - at);
        at = nl + 1;
    }
    return lines;
}

// A token id from a JSON file: an integer in [0, kMaxTokenId]. nlohmann's get<int32_t> would keep the
// low 32 bits of 2^40 (id 0) without a word.
int32_t token_id(const json& id, const std::string& src, const std::string& what) {
    if (id.is_number_unsigned() && id.get<uint64_t>() <= static_cast<uint64_t>(kMaxTokenId)) {
        return static_cast<int32_t>(id.get<uint64_t>());
    }
    if (!id.is_number_integer()) throw Error(fmt::format("{}: {} has a non-integer id {}", src, what, id.dump()));
    throw Error(fmt::format("{}: {} has id {}, outside 0..{}", src, what, id.dump(), kMaxTokenId));
}

// Rust's str::trim_end, which WordPiece::read_file applies to every vocab.txt line.
std::string trim_end(const std::string& line) {
    auto cps = unicode::decode_utf8(line);
    size_t end = cps.size();
    while (end > 0 && unicode::is_whitespace(cps[end - 1].cp)) --end;
    return line.substr(0, end == cps.size() ? line.size() : cps[end].byte_offset);
}

std::unordered_map<std::string, int32_t> read_vocab_txt(const fs::path& path) {
    const std::vector<std::string> lines = read_lines(path);
    if (lines.size() > static_cast<size_t>(kMaxTokenId) + 1) {
        throw Error(fmt::format("{}: {} lines is more than the {} tokens a vocabulary may have", path.string(),
                                lines.size(), static_cast<size_t>(kMaxTokenId) + 1));
    }
    std::unordered_map<std::string, int32_t> vocab;
    int32_t index = 0;
    for (const auto& line : lines) {
        try {
            vocab[trim_end(line)] = index;  // a later duplicate wins, as in tokenizers and transformers
        } catch (const Error&) {
            throw Error(fmt::format("{}: line {} is not valid UTF-8", path.string(), index + 1));
        }
        ++index;
    }
    if (vocab.empty()) throw Error(fmt::format("{}: the vocabulary is empty", path.string()));
    return vocab;
}

// RoBERTa's special tokens, when no file names them.
void roberta_defaults(TokenizerConfig& cfg) {
    cfg.model = TokenizerConfig::Model::ByteLevelBpe;
    cfg.unk_token = "<unk>", cfg.cls_token = "<s>", cfg.sep_token = "</s>", cfg.pad_token = "<pad>",
    cfg.mask_token = "<mask>";
    cfg.lowercase = false;
}

// A merge is "a b" (merges.txt, older tokenizer.json) or ["a", "b"] (newer tokenizer.json).
std::pair<std::string, std::string> parse_merge(const json& m, const std::string& src) {
    if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
        return {m[0].get<std::string>(), m[1].get<std::string>()};
    if (m.is_string()) {
        const std::string line = m.get<std::string>();
        const auto space = line.find(' ');
        if (space != std::string::npos && space > 0 && space + 1 < line.size())
            return {line.substr(0, space), line.substr(space + 1)};
    }
    throw Error(fmt::format("{}: a merge that is not two tokens: {}", src,
                            m.dump(-1, ' ', false, json::error_handler_t::replace)));
}

void read_bpe_model(const json& model, TokenizerConfig& cfg, const std::string& src) {
    roberta_defaults(cfg);
    if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"].get<double>() > 0) {
        throw Error(fmt::format("{}: BPE dropout is a training-time option; attnscope encodes deterministically", src));
    }
    if (get_field<bool>(model, "byte_fallback", false, src)) {
        throw Error(fmt::format("{}: BPE with byte_fallback (SentencePiece-style) is not supported", src));
    }
    if (!get_field<std::string>(model, "continuing_subword_prefix", "", src).empty() ||
        !get_field<std::string>(model, "end_of_word_suffix", "", src).empty()) {
        throw Error(fmt::format("{}: BPE with subword prefixes or suffixes is not supported (RoBERTa uses none)", src));
    }
    cfg.ignore_merges = get_field<bool>(model, "ignore_merges", false, src);
    if (!model.contains("merges") || !model["merges"].is_array())
        throw Error(fmt::format("{}: 'model.merges' is missing", src));
    for (const auto& m : model["merges"]) cfg.merges.push_back(parse_merge(m, src));
}

std::unordered_map<std::string, int32_t> read_vocab_json(const fs::path& path) {
    json j = util::read_json_file(path);
    if (!j.is_object() || j.empty()) throw Error(fmt::format("{}: expected an object of token to id", path.string()));
    std::unordered_map<std::string, int32_t> vocab;
    for (const auto& [token, id] : j.items()) {
        vocab[token] = token_id(id, path.string(), fmt::format("'{}'", token));
    }
    return vocab;
}

std::vector<std::pair<std::string, std::string>> read_merges_txt(const fs::path& path) {
    std::vector<std::pair<std::string, std::string>> merges;
    size_t number = 0;
    for (std::string line : read_lines(path)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if ((number == 1 && line.rfind("#version", 0) == 0) || line.empty()) continue;
        merges.push_back(parse_merge(json(line), fmt::format("{} line {}", path.string(), number)));
    }
    return merges;
}

void read_tokenizer_json(const fs::path& path, std::unordered_map<std::string, int32_t>& vocab, TokenizerConfig& cfg,
                         std::vector<AddedToken>& added) {
    const std::string src = path.string();
    json j = util::read_json_file(path);
    if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) {
        throw Error(fmt::format("{}: missing the 'model' object", src));
    }
    const json& model = j["model"];
    std::string type = get_field<std::string>(model, "type", "WordPiece", src);
    if (type == "BPE") {
        read_bpe_model(model, cfg, src);
    } else if (type != "WordPiece") {
        throw Error(
            fmt::format("{}: model type '{}' is not supported (attnscope reads WordPiece and byte-level BPE "
                        "tokenizers)",
                        src, type));
    }
    if (!model.contains("vocab") || !model["vocab"].is_object()) {
        throw Error(fmt::format("{}: 'model.vocab' must be an object of token to id", src));
    }
    for (const auto& [token, id] : model["vocab"].items()) {
        vocab[token] = token_id(id, src, fmt::format("vocab entry '{}'", token));
    }
    const bool bpe = cfg.model == TokenizerConfig::Model::ByteLevelBpe;
    cfg.unk_token = get_field<std::string>(model, "unk_token", cfg.unk_token, src);
    if (!bpe) {
        cfg.continuing_subword_prefix =
            get_field<std::string>(model, "continuing_subword_prefix", cfg.continuing_subword_prefix, src);
        cfg.max_input_chars_per_word =
            get_field<size_t>(model, "max_input_chars_per_word", cfg.max_input_chars_per_word, src);
    }

    if (bpe && j.contains("normalizer") && !j["normalizer"].is_null()) {
        throw Error(fmt::format("{}: a normalizer before byte-level BPE is not supported (RoBERTa has none)", src));
    }
    if (!bpe && j.contains("normalizer") && !j["normalizer"].is_null()) {
        const json& n = j["normalizer"];
        std::string ntype = get_field<std::string>(n, "type", "", src);
        if (ntype != "BertNormalizer") {
            throw Error(
                fmt::format("{}: normalizer '{}' is not supported (attnscope reads BertNormalizer)", src, ntype));
        }
        cfg.clean_text = get_field<bool>(n, "clean_text", true, src);
        cfg.handle_chinese_chars = get_field<bool>(n, "handle_chinese_chars", true, src);
        cfg.lowercase = get_field<bool>(n, "lowercase", true, src);
        if (n.contains("strip_accents") && !n["strip_accents"].is_null())
            cfg.strip_accents = get_field<bool>(n, "strip_accents", true, src);
    }
    if (bpe) {
        const json& pre = j.contains("pre_tokenizer") ? j["pre_tokenizer"] : json();
        if (!pre.is_object() || get_field<std::string>(pre, "type", "", src) != "ByteLevel" ||
            !get_field<bool>(pre, "use_regex", true, src)) {
            throw Error(fmt::format("{}: BPE without the ByteLevel pre-tokenizer (GPT-2 split) is not supported", src));
        }
        cfg.add_prefix_space = get_field<bool>(pre, "add_prefix_space", false, src);
    } else if (j.contains("pre_tokenizer") && !j["pre_tokenizer"].is_null()) {
        std::string ptype = get_field<std::string>(j["pre_tokenizer"], "type", "", src);
        if (ptype != "BertPreTokenizer") {
            throw Error(
                fmt::format("{}: pre-tokenizer '{}' is not supported (attnscope reads BertPreTokenizer)", src, ptype));
        }
    }
    if (j.contains("post_processor") && j["post_processor"].is_object()) {
        const json& p = j["post_processor"];
        std::string ptype = get_field<std::string>(p, "type", "", src);
        if (ptype == "RobertaProcessing") {
            if (!bpe) throw Error(fmt::format("{}: RobertaProcessing with a WordPiece model is not supported", src));
            if (p.contains("cls") && p["cls"].is_array() && !p["cls"].empty())
                cfg.cls_token = p["cls"][0].get<std::string>();
            if (p.contains("sep") && p["sep"].is_array() && !p["sep"].empty())
                cfg.sep_token = p["sep"][0].get<std::string>();
            cfg.trim_offsets = get_field<bool>(p, "trim_offsets", true, src);
        } else if (bpe) {
            throw Error(fmt::format("{}: post-processor '{}' is not supported with BPE (attnscope reads RoBERTa's)",
                                    src, ptype));
        } else if (ptype == "BertProcessing") {
            if (p.contains("cls") && p["cls"].is_array() && !p["cls"].empty())
                cfg.cls_token = p["cls"][0].get<std::string>();
            if (p.contains("sep") && p["sep"].is_array() && !p["sep"].empty())
                cfg.sep_token = p["sep"][0].get<std::string>();
        } else if (ptype == "TemplateProcessing" && p.contains("single") && p["single"].is_array()) {
            // [CLS]:0 $A:0 [SEP]:0 — the special token before $A is CLS, the one after it is SEP.
            const json& single = p["single"];
            bool seen_a = false;
            for (const auto& piece : single) {
                if (piece.contains("Sequence")) {
                    seen_a = true;
                } else if (piece.contains("SpecialToken") && piece["SpecialToken"].contains("id")) {
                    (seen_a ? cfg.sep_token : cfg.cls_token) = piece["SpecialToken"]["id"].get<std::string>();
                }
            }
        }
    }
    if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
        for (const auto& a : j["added_tokens"]) {
            AddedToken t;
            t.content = get_field<std::string>(a, "content", "", src);
            if (!a.is_object()) throw Error(fmt::format("{}: an added token that is not an object", src));
            t.id = a.contains("id") ? token_id(a["id"], src, fmt::format("added token '{}'", t.content)) : -1;
            t.special = get_field<bool>(a, "special", false, src);
            t.normalized = get_field<bool>(a, "normalized", !t.special, src);
            t.lstrip = get_field<bool>(a, "lstrip", false, src);
            t.rstrip = get_field<bool>(a, "rstrip", false, src);
            t.single_word = get_field<bool>(a, "single_word", false, src);
            if (t.content.empty() || t.id < 0) throw Error(fmt::format("{}: an added token has no content or id", src));
            added.push_back(std::move(t));
        }
    }
}

}  // namespace

Tokenizer Tokenizer::from_directory(const fs::path& dir) {
    TokenizerConfig cfg;
    std::unordered_map<std::string, int32_t> vocab;
    std::vector<AddedToken> added;
    std::string source;

    const fs::path tokenizer_json = dir / "tokenizer.json";
    const fs::path vocab_txt = dir / "vocab.txt";
    const fs::path vocab_json = dir / "vocab.json", merges_txt = dir / "merges.txt";
    if (fs::exists(tokenizer_json)) {
        read_tokenizer_json(tokenizer_json, vocab, cfg, added);
        source = "tokenizer.json";
    } else if (fs::exists(vocab_txt)) {
        vocab = read_vocab_txt(vocab_txt);
        source = "vocab.txt";
    } else if (fs::exists(vocab_json) && fs::exists(merges_txt)) {
        // RobertaTokenizer's files: the byte-level BPE with RoBERTa's template; <mask> takes the space
        // before it (AddedToken lstrip), as RobertaTokenizer declares it.
        roberta_defaults(cfg);
        vocab = read_vocab_json(vocab_json);
        cfg.merges = read_merges_txt(merges_txt);
        source = "vocab.json + merges.txt";
    } else {
        throw Error(fmt::format("{}: no tokenizer.json, vocab.txt, or vocab.json with merges.txt in the model folder",
                                dir.string()));
    }

    const fs::path special_map = dir / "special_tokens_map.json";
    if (fs::exists(special_map)) read_special_tokens(util::read_json_file(special_map), cfg);

    // transformers v5 rebuilds the BertNormalizer from tokenizer_config.json's flags, so they win over
    // the normalizer stored in tokenizer.json.
    const fs::path config_path = dir / "tokenizer_config.json";
    if (fs::exists(config_path)) {
        const std::string src = config_path.string();
        json tc = util::read_json_file(config_path);
        if (!tc.is_object()) throw Error(fmt::format("{}: expected a JSON object", src));
        read_special_tokens(tc, cfg);
        cfg.lowercase = get_field<bool>(tc, "do_lower_case", cfg.lowercase, src);
        cfg.handle_chinese_chars = get_field<bool>(tc, "tokenize_chinese_chars", cfg.handle_chinese_chars, src);
        if (tc.contains("strip_accents")) {
            cfg.strip_accents = tc["strip_accents"].is_null()
                                    ? std::nullopt
                                    : std::optional<bool>(get_field<bool>(tc, "strip_accents", false, src));
        }
        if (tc.contains("never_split") && tc["never_split"].is_array()) {
            cfg.never_split = get_field<std::vector<std::string>>(tc, "never_split", {}, src);
        }
        if (cfg.model == TokenizerConfig::Model::ByteLevelBpe) {
            cfg.add_prefix_space = get_field<bool>(tc, "add_prefix_space", cfg.add_prefix_space, src);
            cfg.trim_offsets = get_field<bool>(tc, "trim_offsets", cfg.trim_offsets, src);
        }
        if (tc.contains("model_max_length") && tc["model_max_length"].is_number()) {
            double m = tc["model_max_length"].get<double>();
            // transformers writes VERY_LARGE_INTEGER (1e30) when no limit is known.
            cfg.model_max_length = (m > 0 && m < 1e15) ? static_cast<size_t>(m) : 0;
        }
    }

    if (source == "vocab.json + merges.txt") {
        for (const std::string* t : {&cfg.unk_token, &cfg.cls_token, &cfg.sep_token, &cfg.pad_token, &cfg.mask_token}) {
            auto it = vocab.find(*t);
            if (it == vocab.end()) continue;
            AddedToken a{*t, it->second, true, false, t == &cfg.mask_token, false, false};
            added.push_back(a);
        }
    }
    return Tokenizer(std::move(vocab), std::move(cfg), std::move(added), source);
}

}  // namespace attnscope::tokenizer
