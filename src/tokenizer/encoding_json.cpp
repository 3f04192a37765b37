#include "attnscope/encoding_json.h"

namespace attnscope {

nlohmann::json encoding_json(const tokenizer::Encoding& e) {
    nlohmann::json j;
    j["tokens"] = e.tokens;
    j["input_ids"] = e.ids;
    j["token_type_ids"] = e.type_ids;
    j["attention_mask"] = e.attention_mask;
    j["offsets"] = e.offsets;
    j["byte_offsets"] = e.byte_offsets;
    j["special_tokens_mask"] = e.special_tokens_mask;
    auto b = e.sentence_b_start();
    j["sentence_b_start"] = b ? nlohmann::json(*b) : nlohmann::json(nullptr);
    return j;
}

}  // namespace attnscope
