#include "tokenizer/unicode.h"

#include <utf8proc.h>

#include <fmt/format.h>
#include <algorithm>

#include "attnscope/error.h"

namespace attnscope::tokenizer::unicode {
namespace {

struct CodePointRange {
    char32_t first, last;
    bool value;
};
struct CodePointClass {
    char32_t first, last;
    int cls;
};
struct CodePointMapping {
    char32_t cp;
    unsigned length;
    char32_t out[4];
};

#include "tokenizer/unicode_compat_tables.inc"

template <size_t N>
const CodePointRange* find_range(const CodePointRange (&table)[N], char32_t cp) {
    auto it = std::upper_bound(std::begin(table), std::end(table), cp,
                               [](char32_t value, const CodePointRange& r) { return value < r.first; });
    if (it == std::begin(table)) return nullptr;
    --it;
    return (cp >= it->first && cp <= it->last) ? it : nullptr;
}

template <size_t N>
const CodePointMapping* find_mapping(const CodePointMapping (&table)[N], char32_t cp) {
    auto it = std::lower_bound(std::begin(table), std::end(table), cp,
                               [](const CodePointMapping& m, char32_t value) { return m.cp < value; });
    return (it != std::end(table) && it->cp == cp) ? it : nullptr;
}

utf8proc_category_t category(char32_t cp) {
    return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

}  // namespace

Gpt2Class gpt2_class(char32_t cp) {
    auto it = std::upper_bound(std::begin(kGpt2ClassOverrides), std::end(kGpt2ClassOverrides), cp,
                               [](char32_t value, const CodePointClass& r) { return value < r.first; });
    if (it != std::begin(kGpt2ClassOverrides) && cp <= (it - 1)->last) return static_cast<Gpt2Class>((it - 1)->cls);
    const auto cat = category(cp);
    if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) return Gpt2Class::Letter;
    if (cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO)
        return Gpt2Class::Number;
    // \s of Oniguruma: the Unicode White_Space property.
    if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
        (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000) {
        return Gpt2Class::Space;
    }
    return Gpt2Class::Other;
}

std::vector<CodePoint> decode_utf8(std::string_view text) {
    std::vector<CodePoint> out;
    out.reserve(text.size());
    const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    size_t pos = 0;
    while (pos < text.size()) {
        utf8proc_int32_t cp = 0;
        utf8proc_ssize_t len = utf8proc_iterate(bytes + pos, static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
        if (len <= 0 || cp < 0) {
            throw Error(fmt::format("text is not valid UTF-8: invalid byte 0x{:02X} at byte offset {}",
                                    static_cast<unsigned>(bytes[pos]), pos));
        }
        out.push_back({static_cast<char32_t>(cp), pos});
        pos += static_cast<size_t>(len);
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    utf8proc_uint8_t buf[4];
    utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

std::string to_utf8(const std::u32string& text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : text) append_utf8(out, cp);
    return out;
}

size_t count_code_points(std::string_view valid_utf8) {
    size_t n = 0;
    for (unsigned char c : valid_utf8) n += (c & 0xC0) != 0x80;
    return n;
}

bool is_control(char32_t cp) {
    if (const auto* r = find_range(kControlOverrides, cp)) return r->value;
    if (cp == 0 || cp == 0xFFFD) return true;
    if (cp == U'\t' || cp == U'\n' || cp == U'\r') return false;
    auto cat = category(cp);
    return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO;
}

bool is_whitespace(char32_t cp) {
    if (const auto* r = find_range(kWhitespaceOverrides, cp)) return r->value;
    // The White_Space property (Rust's char::is_whitespace); it has not changed since Unicode 6.3.
    switch (cp) {
        case 0x09:
        case 0x0A:
        case 0x0B:
        case 0x0C:
        case 0x0D:
        case 0x20:
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool is_python_whitespace(char32_t cp) {
    return is_whitespace(cp) || (cp >= 0x1C && cp <= 0x1F);
}

bool is_punctuation(char32_t cp) {
    if (const auto* r = find_range(kPunctuationOverrides, cp)) return r->value;
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
        return true;
    }
    auto cat = category(cp);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool is_chinese_char(char32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

int combining_class(char32_t cp) {
    if (find_range(kCombiningClassZero, cp)) return 0;  // a mark the reference's tables do not know
    return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class;
}

void strip_accents(char32_t cp, std::u32string& out) {
    if (const auto* m = find_mapping(kStripAccentsOverrides, cp)) {
        out.append(m->out, m->length);
        return;
    }
    utf8proc_int32_t buf[32];
    int boundclass = 0;
    utf8proc_ssize_t n =
        utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buf, 32, UTF8PROC_DECOMPOSE, &boundclass);
    if (n <= 0 || n > 32) {
        out.push_back(cp);
        return;
    }
    for (utf8proc_ssize_t i = 0; i < n; ++i) {
        if (category(static_cast<char32_t>(buf[i])) != UTF8PROC_CATEGORY_MN)
            out.push_back(static_cast<char32_t>(buf[i]));
    }
}

void to_lower(char32_t cp, std::u32string& out) {
    if (const auto* m = find_mapping(kLowercaseOverrides, cp)) {
        out.append(m->out, m->length);
        return;
    }
    // U+0130 is the one unconditional multi-character lower-case mapping in SpecialCasing.txt.
    if (cp == 0x130) {
        out.push_back(U'i');
        out.push_back(0x307);
        return;
    }
    out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
}

const char* utf8proc_version() {
    return ::utf8proc_version();
}
const char* unicode_version() {
    return ::utf8proc_unicode_version();
}

}  // namespace attnscope::tokenizer::unicode
