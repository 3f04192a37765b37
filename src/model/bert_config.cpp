// config.json → BertConfig, with the defaults of transformers' BertConfig and a clear error for every
// field that is missing a sane value or names something we do not run.
#include <fmt/format.h>

#include "attnscope/error.h"
#include "attnscope/model.h"
#include "util/files.h"

namespace attnscope::model {
namespace {

using nlohmann::json;

int positive_int(const json& j, const char* key, int fallback, const std::string& src, int max = 1 << 30) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer()) {
        throw Error(fmt::format("{}: '{}' must be a positive integer, got {}", src, key, v.dump()));
    }
    long long x = v.get<long long>();
    if (x <= 0 || x > max) throw Error(fmt::format("{}: '{}' = {} is out of range (1..{})", src, key, x, max));
    return static_cast<int>(x);
}

// transformers' defaults for the fields a config.json may leave out, per model_type.
void family_defaults(BertConfig& c) {
    switch (c.family) {
        case Family::Bert:
            break;
        case Family::Electra:  // ElectraConfig
            c.embedding_size = 128, c.hidden_size = 256, c.num_attention_heads = 4, c.intermediate_size = 1024;
            break;
        case Family::DistilBert:  // DistilBertConfig
            c.num_hidden_layers = 6, c.type_vocab_size = 0, c.layer_norm_eps = 1e-12f;
            break;
        case Family::Roberta:  // RobertaConfig
            c.vocab_size = 50265, c.max_position_embeddings = 514, c.type_vocab_size = 1, c.pad_token_id = 1;
            break;
    }
}

}  // namespace

const char* family_name(Family f) {
    switch (f) {
        case Family::Bert:
            return "bert";
        case Family::Electra:
            return "electra";
        case Family::DistilBert:
            return "distilbert";
        case Family::Roberta:
            return "roberta";
    }
    return "?";
}

BertConfig BertConfig::from_json_text(const std::string& text, const std::string& src) {
    json j = util::parse_json(text, src);
    if (!j.is_object()) throw Error(fmt::format("{}: expected a JSON object", src));
    BertConfig c;
    if (j.contains("model_type") && j["model_type"].is_string()) c.model_type = j["model_type"].get<std::string>();
    if (j.contains("architectures") && j["architectures"].is_array()) {
        for (const auto& a : j["architectures"]) {
            if (a.is_string()) c.architectures.push_back(a.get<std::string>());
        }
    }
    if (c.model_type == "bert") {
        c.family = Family::Bert;
    } else if (c.model_type == "electra") {
        c.family = Family::Electra;
    } else if (c.model_type == "distilbert") {
        c.family = Family::DistilBert;
    } else if (c.model_type == "roberta") {
        c.family = Family::Roberta;
    } else {
        throw Error(
            fmt::format("{}: model_type '{}' is not supported; attnscope runs the BERT family: bert (BERT, "
                        "MiniLM, ...), electra (discriminators), distilbert and roberta",
                        src, c.model_type));
    }
    for (const auto& a : c.architectures) {
        if (a.find("Generator") != std::string::npos) {
            throw Error(fmt::format("{}: {} is an ELECTRA generator; attnscope runs ELECTRA discriminators", src, a));
        }
    }
    family_defaults(c);
    const bool distil = c.family == Family::DistilBert;
    // DistilBERT names its fields differently: dim, n_layers, n_heads, hidden_dim, activation.
    c.vocab_size = positive_int(j, "vocab_size", c.vocab_size, src);
    c.hidden_size = positive_int(j, distil ? "dim" : "hidden_size", c.hidden_size, src, 1 << 16);
    c.num_hidden_layers = positive_int(j, distil ? "n_layers" : "num_hidden_layers", c.num_hidden_layers, src, 1024);
    c.num_attention_heads =
        positive_int(j, distil ? "n_heads" : "num_attention_heads", c.num_attention_heads, src, 1024);
    c.intermediate_size =
        positive_int(j, distil ? "hidden_dim" : "intermediate_size", c.intermediate_size, src, 1 << 20);
    c.max_position_embeddings = positive_int(j, "max_position_embeddings", c.max_position_embeddings, src, 1 << 20);
    if (!distil) c.type_vocab_size = positive_int(j, "type_vocab_size", c.type_vocab_size, src, 1 << 16);
    c.embedding_size =
        c.family == Family::Electra ? positive_int(j, "embedding_size", c.embedding_size, src, 1 << 16) : c.hidden_size;
    if (j.contains("pad_token_id") && !j["pad_token_id"].is_null()) {
        // torch.nn.Embedding accepts a padding_idx in [-vocab_size, vocab_size); get<int> alone would keep
        // the low 32 bits of 2^40 without a word.
        const json& v = j["pad_token_id"];
        if (!v.is_number_integer())
            throw Error(fmt::format("{}: 'pad_token_id' must be an integer, got {}", src, v.dump()));
        const long long id =
            v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{1} << 62 ? (1LL << 62) : v.get<long long>();
        if (id < -static_cast<long long>(c.vocab_size) || id >= c.vocab_size) {
            throw Error(fmt::format("{}: 'pad_token_id' = {} is outside the vocabulary of {} tokens", src, v.dump(),
                                    c.vocab_size));
        }
        c.pad_token_id = static_cast<int>(id);
    }
    if (c.family == Family::Roberta && (c.pad_token_id < 0 || c.pad_token_id + 1 >= c.max_position_embeddings)) {
        throw Error(fmt::format("{}: pad_token_id {} does not fit RoBERTa's position table of {}", src, c.pad_token_id,
                                c.max_position_embeddings));
    }
    if (c.hidden_size % c.num_attention_heads != 0) {
        throw Error(fmt::format("{}: hidden_size {} is not a multiple of num_attention_heads {}", src, c.hidden_size,
                                c.num_attention_heads));
    }
    if (!distil && j.contains("layer_norm_eps") && !j["layer_norm_eps"].is_null()) {
        if (!j["layer_norm_eps"].is_number()) throw Error(fmt::format("{}: 'layer_norm_eps' must be a number", src));
        double eps = j["layer_norm_eps"].get<double>();
        if (!(eps >= 0 && eps < 1))
            throw Error(fmt::format("{}: 'layer_norm_eps' = {} is out of range [0, 1)", src, eps));
        c.layer_norm_eps = static_cast<float>(eps);
    }
    const char* act_key = distil ? "activation" : "hidden_act";
    if (j.contains(act_key) && !j[act_key].is_null()) {
        if (!j[act_key].is_string()) throw Error(fmt::format("{}: '{}' must be a string", src, act_key));
        c.hidden_act = j[act_key].get<std::string>();
    }
    // transformers' ACT2FN names: "gelu" is the exact erf form; the tanh forms only when named.
    if (c.hidden_act == "gelu" || c.hidden_act == "gelu_python") {
        c.activation = Activation::GeluErf;
    } else if (c.hidden_act == "gelu_new" || c.hidden_act == "gelu_pytorch_tanh" || c.hidden_act == "gelu_fast") {
        c.activation = Activation::GeluTanh;
    } else if (c.hidden_act == "relu") {
        c.activation = Activation::Relu;
    } else if (c.hidden_act == "silu" || c.hidden_act == "swish") {
        c.activation = Activation::Silu;
    } else {
        throw Error(
            fmt::format("{}: hidden_act '{}' is not supported (supported: gelu, gelu_python, gelu_new, "
                        "gelu_pytorch_tanh, gelu_fast, relu, silu, swish)",
                        src, c.hidden_act));
    }
    if (j.contains("position_embedding_type") && j["position_embedding_type"].is_string()) {
        c.position_embedding_type = j["position_embedding_type"].get<std::string>();
    }
    if (c.position_embedding_type != "absolute") {
        throw Error(fmt::format("{}: position_embedding_type '{}' is not supported (only 'absolute')", src,
                                c.position_embedding_type));
    }
    auto flag = [&](const char* key) { return j.contains(key) && j[key].is_boolean() && j[key].get<bool>(); };
    if (flag("is_decoder") || flag("add_cross_attention")) {
        throw Error(fmt::format("{}: decoder / cross-attention BERT configs are not supported (encoders only)", src));
    }
    return c;
}

BertConfig BertConfig::from_file(const std::filesystem::path& path) {
    return from_json_text(util::read_text_file(path), path.string());
}

}  // namespace attnscope::model
