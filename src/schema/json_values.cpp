#include "schema/json_values.h"

#include <fmt/format.h>

#include <cstdlib>
#include <vector>

namespace attnscope::schema {

using nlohmann::json;

json model_info_json(const model::Model& m, const ModelLocation& where) {
    const auto& c = m.config();
    return {{"name", where.name},
            {"path", where.directory.string()},
            {"resolved_by", where.resolved_by},
            {"family", model::family_name(c.family)},
            {"layers", c.num_hidden_layers},
            {"heads", c.num_attention_heads},
            {"hidden_size", c.hidden_size},
            {"head_dim", c.head_dim()},
            {"intermediate_size", c.intermediate_size},
            {"vocab_size", c.vocab_size},
            {"max_length", m.tokenizer().config().model_max_length},
            {"has_mlm_head", m.has_mlm_head()},
            {"weight_storage", m.info().weight_storage},
            {"parameters", m.info().parameter_count}};
}

json encoding_json(const tokenizer::Encoding& e) {
    json j;
    j["tokens"] = e.tokens;
    j["input_ids"] = e.ids;
    j["token_type_ids"] = e.type_ids;
    j["attention_mask"] = e.attention_mask;
    j["offsets"] = e.offsets;
    j["byte_offsets"] = e.byte_offsets;
    j["special_tokens_mask"] = e.special_tokens_mask;
    const auto b = e.sentence_b_start();
    j["sentence_b_start"] = b ? json(*b) : json(nullptr);
    return j;
}

json head_statistics_json(const analysis::HeadStatistics& stats,
                          const std::vector<analysis::PatternFeatures>& patterns) {
    json heads = json::array();
    for (int l = 0; l < stats.num_layers; ++l) {
        for (int h = 0; h < stats.num_heads; ++h) {
            const size_t i = static_cast<size_t>(l * stats.num_heads + h);
            json head = {{"layer", l}, {"head", h}};
            for (int s = 0; s < analysis::kNumStats; ++s)
                head[analysis::stat_info(s).key] = stats.values[i][static_cast<size_t>(s)];
            head["pattern"] = analysis::pattern_name(patterns[i].label);
            head["pattern_features"] = {{"vertical", patterns[i].vertical},
                                        {"diagonal", patterns[i].diagonal},
                                        {"block", patterns[i].block},
                                        {"block_uniform", patterns[i].block_uniform}};
            head["map_colour"] = analysis::head_map_colour(stats.values[i]);
            heads.push_back(std::move(head));
        }
    }
    json info = json::array();
    for (int s = 0; s < analysis::kNumStats; ++s) {
        info.push_back({{"key", analysis::stat_info(s).key},
                        {"label", analysis::stat_info(s).label},
                        {"unit", analysis::stat_info(s).unit}});
    }
    return {{"schema_version", kVersion},
            {"heads", heads},
            {"statistics", info},
            {"uniform_entropy", stats.uniform_entropy}};
}

namespace {

// The double whose shortest form is the float's shortest form: nlohmann prints doubles shortest-round-trip,
// so the value is written as "0.41", not as the float's 17-digit double expansion.
double shortest(float f) {
    char buf[32];
    const auto end = fmt::format_to_n(buf, sizeof(buf) - 1, "{}", f).out;
    *end = '\0';
    return std::strtod(buf, nullptr);
}

json nested(const float* data, const size_t* shape, size_t dims) {
    json a = json::array();
    if (dims == 1) {
        for (size_t i = 0; i < shape[0]; ++i) a.push_back(shortest(data[i]));
        return a;
    }
    size_t inner = 1;
    for (size_t k = 1; k < dims; ++k) inner *= shape[k];
    for (size_t i = 0; i < shape[0]; ++i) a.push_back(nested(data + i * inner, shape + 1, dims - 1));
    return a;
}

}  // namespace

void put_array(json& out, const std::string& key, const float* data, std::initializer_list<size_t> shape,
               Arrays arrays) {
    size_t count = 1;
    for (size_t s : shape) count *= s;
    if (arrays == Arrays::Base64) {
        out[key + "_b64"] = base64(data, count * sizeof(float));
    } else {
        const std::vector<size_t> dims(shape);
        out[key] = nested(data, dims.data(), dims.size());
    }
}

std::string base64(const void* data, size_t bytes) {
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto* p = static_cast<const unsigned char*>(data);
    std::string out;
    out.reserve((bytes + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes; i += 3) {
        const uint32_t v = (static_cast<uint32_t>(p[i]) << 16) | (static_cast<uint32_t>(p[i + 1]) << 8) | p[i + 2];
        out.push_back(k[(v >> 18) & 63]);
        out.push_back(k[(v >> 12) & 63]);
        out.push_back(k[(v >> 6) & 63]);
        out.push_back(k[v & 63]);
    }
    if (i < bytes) {
        uint32_t v = static_cast<uint32_t>(p[i]) << 16;
        if (i + 1 < bytes) v |= static_cast<uint32_t>(p[i + 1]) << 8;
        out.push_back(k[(v >> 18) & 63]);
        out.push_back(k[(v >> 12) & 63]);
        out.push_back(i + 1 < bytes ? k[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

}  // namespace attnscope::schema
