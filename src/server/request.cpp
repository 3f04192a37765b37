#include "request.h"

#include <fmt/format.h>

#include <algorithm>

#include "attnscope/error.h"

namespace attnscope::server {

nlohmann::json parse_body(const std::string& body) {
    try {
        auto j = nlohmann::json::parse(body);
        if (!j.is_object()) throw HttpError(400, "the request body must be a JSON object");
        return j;
    } catch (const nlohmann::json::exception&) {  // parse_error, and out_of_range for numbers such as 1e512
        throw HttpError(400, "the request body is not valid JSON");
    }
}

void allow_fields(const nlohmann::json& body, std::span<const std::string_view> route_fields, bool text_fields) {
    static constexpr std::string_view kTextFields[] = {"text", "pair", "truncate"};
    const std::span<const std::string_view> text =
        text_fields ? std::span<const std::string_view>(kTextFields) : std::span<const std::string_view>();
    for (const auto& [key, value] : body.items()) {
        if (std::find(text.begin(), text.end(), key) != text.end()) continue;
        if (std::find(route_fields.begin(), route_fields.end(), key) != route_fields.end()) continue;
        std::string known;
        for (auto f : text) known += fmt::format("{}{}", known.empty() ? "" : ", ", f);
        for (auto f : route_fields) known += fmt::format("{}{}", known.empty() ? "" : ", ", f);
        throw HttpError(400, fmt::format("unknown field '{}' (this endpoint takes: {})", key, known));
    }
}

tokenizer::Encoding encode_request(const model::Model& m, const nlohmann::json& body, const char* key) {
    if (!body.contains(key) || !body[key].is_string()) throw HttpError(400, fmt::format("'{}' must be a string", key));
    const std::string text = body[key].get<std::string>();
    if (text.empty()) throw HttpError(400, "the text is empty");
    std::optional<std::string> pair;
    if (body.contains("pair") && !body["pair"].is_null()) {
        if (!body["pair"].is_string()) throw HttpError(400, "'pair' must be a string or null");
        if (!body["pair"].get<std::string>().empty()) pair = body["pair"].get<std::string>();
    }
    tokenizer::EncodeOptions eo;
    eo.truncation = bool_field(body, "truncate", false);
    tokenizer::Encoding enc;
    try {
        enc = m.tokenizer().encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, eo);
    } catch (const Error& e) {
        throw HttpError(400, e.what());
    }
    if (std::count(enc.sequence_ids.begin(), enc.sequence_ids.end(), 0) == 0) {
        throw HttpError(400, "the text has no tokens (only whitespace or control characters)");
    }
    const size_t limit = m.tokenizer().config().model_max_length;
    if (enc.size() > limit) {
        throw HttpError(
            413, fmt::format("the input is {} tokens including special tokens, longer than the model's maximum "
                             "of {}; shorten it or ask for truncation (\"truncate\": true, or the page's truncate box)",
                             enc.size(), limit));
    }
    return enc;
}

int int_field(const nlohmann::json& body, const char* key, int lo, int hi, std::optional<int> fallback) {
    if (!body.contains(key) || body[key].is_null()) {
        if (fallback) return *fallback;
        throw HttpError(400, fmt::format("'{}' is required", key));
    }
    if (!body[key].is_number_integer()) throw HttpError(400, fmt::format("'{}' must be an integer", key));
    const long long v = body[key].get<long long>();
    if (v < lo || v > hi) throw HttpError(400, fmt::format("'{}' = {} is outside {}..{}", key, v, lo, hi));
    return static_cast<int>(v);
}

bool bool_field(const nlohmann::json& body, const char* key, bool fallback) {
    if (!body.contains(key) || body[key].is_null()) return fallback;
    if (!body[key].is_boolean()) throw HttpError(400, fmt::format("'{}' must be true or false", key));
    return body[key].get<bool>();
}

std::string string_field(const nlohmann::json& body, const char* key, const std::string& fallback) {
    if (!body.contains(key) || body[key].is_null()) return fallback;
    if (!body[key].is_string()) throw HttpError(400, fmt::format("'{}' must be a string", key));
    return body[key].get<std::string>();
}

}  // namespace attnscope::server
