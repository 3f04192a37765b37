// Attentions computed elsewhere — a .npy of [layers, heads, n, n] (`attnscope run --format npy`, or
// numpy.save of transformers' outputs.attentions) with its tokens — as a Trace and an Encoding, so that the
// analyses run on them as on the engine's own.
#pragma once

#include <string>

#include "attnscope/tokenizer.h"
#include "attnscope/trace.h"

namespace attnscope {

struct SavedAttentions {
    Trace trace;                   // attentions only
    tokenizer::Encoding encoding;  // tokens and type ids from the tokens file; ids 0, no offsets
};

// `tokens_path`: a .tokens.json beside the .npy, an object with "tokens" (and "token_type_ids"), or a JSON
// list of token strings. Throws Error naming the file on a wrong shape or a token count that does not fit.
SavedAttentions load_saved_attentions(const std::string& npy_path, const std::string& tokens_path);

}  // namespace attnscope
