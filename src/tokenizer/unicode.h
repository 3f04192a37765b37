// Unicode character properties exactly as the `tokenizers` BERT pipeline sees them: utf8proc's data,
// corrected by the generated table of code points where the reference's (older or newer) tables differ.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::tokenizer::unicode {

// A decoded code point with its position in the source text.
struct CodePoint {
    char32_t cp;
    size_t byte_offset;
};

// Decodes UTF-8, rejecting invalid sequences, overlong forms, surrogates and values past U+10FFFF.
// Throws Error("text is not valid UTF-8: ... at byte N").
std::vector<CodePoint> decode_utf8(std::string_view text);
void append_utf8(std::string& out, char32_t cp);
std::string to_utf8(const std::u32string& text);
size_t count_code_points(std::string_view valid_utf8);

// BertNormalizer clean_text: removed characters (NUL, U+FFFD, Cc/Cf/Co except \t \n \r).
bool is_control(char32_t cp);
// BertNormalizer clean_text: characters mapped to ' ' (\t \n \r and the White_Space property).
bool is_whitespace(char32_t cp);
// BertPreTokenizer: ASCII punctuation or general category P*.
bool is_punctuation(char32_t cp);
// BertNormalizer handle_chinese_chars: the CJK ranges of the reference (U+2B920.., not U+2B820..).
bool is_chinese_char(char32_t cp);
// Python's str.isspace()/split() whitespace, for the legacy BasicTokenizer's never_split handling.
bool is_python_whitespace(char32_t cp);

// strip_accents for one code point: canonical decomposition with nonspacing marks (Mn) removed.
// Appends to `out`; the caller reorders combining marks across code points (see normalizer.cpp).
void strip_accents(char32_t cp, std::u32string& out);
// Canonical combining class (for canonical reordering after decomposition).
int combining_class(char32_t cp);
// Full per-code-point lower-casing, as Rust's char::to_lowercase (U+0130 -> "i\u0307"; no final sigma).
void to_lower(char32_t cp, std::u32string& out);

// The classes of GPT-2's split pattern (RoBERTa's ByteLevel pre-tokenizer): \p{L}, \p{N}, \s, the rest —
// as the reference's regex engine sees them (its Unicode is newer than utf8proc's).
enum class Gpt2Class { Other = 0, Letter = 1, Number = 2, Space = 3 };
Gpt2Class gpt2_class(char32_t cp);

const char* utf8proc_version();
const char* unicode_version();
}  // namespace attnscope::tokenizer::unicode
