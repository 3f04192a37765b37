// An encoding as JSON, the same object for every face (CLI output, HTTP API, offline HTML): tokens,
// input_ids, token_type_ids, attention_mask, character and byte offsets, special_tokens_mask and the
// index where sentence B starts (null without a pair).
#pragma once

#include <nlohmann/json.hpp>

#include "attnscope/tokenizer.h"

namespace attnscope {

nlohmann::json encoding_json(const tokenizer::Encoding& e);

}  // namespace attnscope
