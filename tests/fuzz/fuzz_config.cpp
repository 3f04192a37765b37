// config.json → BertConfig: every field's type and range, family defaults, head/hidden consistency.
#include <string>

#include "attnscope/error.h"
#include "attnscope/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto c = attnscope::model::BertConfig::from_json_text(
            std::string(reinterpret_cast<const char*>(data), size), "config.json");
        // What is accepted is usable: positive sizes, heads dividing the hidden size.
        if (c.hidden_size <= 0 || c.num_attention_heads <= 0 || c.num_hidden_layers <= 0 ||
            c.hidden_size % c.num_attention_heads != 0 || c.vocab_size <= 0) {
            __builtin_trap();
        }
    } catch (const attnscope::Error&) {
    }
    return 0;
}
