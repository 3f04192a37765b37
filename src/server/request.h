// Request handling shared by the API routes: JSON bodies in, validated encodings out, and errors as
// {"error": "..."} with a 4xx status.
#pragma once

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "attnscope/model.h"

namespace attnscope::server {

class HttpError : public std::runtime_error {
  public:
    HttpError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
    int status;
};

nlohmann::json parse_body(const std::string& body);
// Every body may hold the text fields (text, pair, truncate; unless text_fields is false) and the route's own
// fields; any other field is a 400 that names it, so a misspelt option such as "truncat" is not silently
// ignored.
void allow_fields(const nlohmann::json& body, std::span<const std::string_view> route_fields = {},
                  bool text_fields = true);
// {"text": ..., "pair": ..., "truncate": bool} → an encoding the model accepts, or HttpError.
tokenizer::Encoding encode_request(const model::Model& m, const nlohmann::json& body, const char* key = "text");
int int_field(const nlohmann::json& body, const char* key, int lo, int hi, std::optional<int> fallback = std::nullopt);
// Optional fields of one JSON type: absent or null gives the fallback, another type a 400.
bool bool_field(const nlohmann::json& body, const char* key, bool fallback);
std::string string_field(const nlohmann::json& body, const char* key, const std::string& fallback);

}  // namespace attnscope::server
