// Bounds on what a tokenizer file may declare. The id → token table is dense (one slot per id up to the
// largest), so an id is also an allocation size: the largest real vocabularies have ~256k entries
// (multilingual models); 2^24 leaves room and keeps a hostile id from asking for gigabytes.
#pragma once

#include <cstdint>

namespace attnscope::tokenizer {

constexpr int32_t kMaxTokenId = (1 << 24) - 1;

}  // namespace attnscope::tokenizer
