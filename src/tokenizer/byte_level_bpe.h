// The byte-level BPE of RoBERTa (GPT-2's scheme), as the `tokenizers` pipeline runs it:
//   ByteLevel pre-tokenizer: GPT-2's split pattern, then every byte mapped to a printable character;
//   BPE model: merges applied by rank (lowest first, leftmost on ties), symbols looked up in vocab.json.
// Offsets come back in bytes of the original text, with ByteLevel's trim_offsets applied by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/wordpiece.h"  // Vocab

namespace attnscope::tokenizer {

struct BpePiece {
    int32_t id;
    std::string token;            // as the vocabulary spells it (byte-level characters)
    size_t begin_byte, end_byte;  // in the pre-token's bytes
};

class ByteLevelBpe {
  public:
    // `vocab` token → id; `merges` in rank order. Throws Error for a merge whose parts or result are not
    // in the vocabulary.
    ByteLevelBpe(const Vocab* vocab, const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges,
                 int32_t unk_id);

    // GPT-2's pattern 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ over
    // code points [0, n): the pieces as code-point ranges.
    static std::vector<std::pair<size_t, size_t>> split(const char32_t* text, size_t n);

    // BPE of one pre-token given as raw bytes.
    void encode(std::string_view bytes, std::vector<BpePiece>& out) const;

    // The printable character GPT-2 uses for a byte (Ġ for the space, Ċ for \n, ...), as UTF-8.
    static const std::string& byte_char(uint8_t b);

  private:
    const Vocab* vocab_;
    struct PairHash {
        size_t operator()(const std::pair<int32_t, int32_t>& p) const {
            return std::hash<uint64_t>()((static_cast<uint64_t>(static_cast<uint32_t>(p.first)) << 32) |
                                         static_cast<uint32_t>(p.second));
        }
    };
    std::unordered_map<std::pair<int32_t, int32_t>, std::pair<int32_t, int32_t>, PairHash> merges_;  // → (rank, id)
    std::vector<std::string> id_to_token_;
    bool ignore_merges_;
    int32_t unk_id_;
    int32_t byte_id_[256];
};

}  // namespace attnscope::tokenizer
