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

}  // namespace

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
    if (c.model_type != "bert") {
        throw Error(fmt::format("{}: model_type '{}' is not supported; attnscope runs BERT encoders (model_type 'bert')",
                                src, c.model_type));
    }
    c.vocab_size = positive_int(j, "vocab_size", c.vocab_size, src);
    c.hidden_size = positive_int(j, "hidden_size", c.hidden_size, src, 1 << 16);
    c.num_hidden_layers = positive_int(j, "num_hidden_layers", c.num_hidden_layers, src, 1024);
    c.num_attention_heads = positive_int(j, "num_attention_heads", c.num_attention_heads, src, 1024);
    c.intermediate_size = positive_int(j, "intermediate_size", c.intermediate_size, src, 1 << 20);
    c.max_position_embeddings = positive_int(j, "max_position_embeddings", c.max_position_embeddings, src, 1 << 20);
    c.type_vocab_size = positive_int(j, "type_vocab_size", c.type_vocab_size, src, 1 << 16);
    if (j.contains("pad_token_id") && j["pad_token_id"].is_number_integer()) c.pad_token_id = j["pad_token_id"].get<int>();
    if (c.hidden_size % c.num_attention_heads != 0) {
        throw Error(fmt::format("{}: hidden_size {} is not a multiple of num_attention_heads {}", src, c.hidden_size,
                                c.num_attention_heads));
    }
    if (j.contains("layer_norm_eps") && !j["layer_norm_eps"].is_null()) {
        if (!j["layer_norm_eps"].is_number()) throw Error(fmt::format("{}: 'layer_norm_eps' must be a number", src));
        double eps = j["layer_norm_eps"].get<double>();
        if (!(eps >= 0 && eps < 1)) throw Error(fmt::format("{}: 'layer_norm_eps' = {} is out of range [0, 1)", src, eps));
        c.layer_norm_eps = static_cast<float>(eps);
    }
    if (j.contains("hidden_act") && !j["hidden_act"].is_null()) {
        if (!j["hidden_act"].is_string()) throw Error(fmt::format("{}: 'hidden_act' must be a string", src));
        c.hidden_act = j["hidden_act"].get<std::string>();
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
        throw Error(fmt::format("{}: hidden_act '{}' is not supported (supported: gelu, gelu_python, gelu_new, "
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
