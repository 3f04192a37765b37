#!/usr/bin/env python3
"""Generate src/tokenizer/unicode_compat_tables.inc.

attnscope takes its Unicode data from utf8proc. The `tokenizers` pipelines we must match take their
categories from the unicode_categories 0.1.1 crate (2016 tables), its NFD from
unicode-normalization-alignments and its lower-casing from the Rust standard library (a newer Unicode than
utf8proc's); RoBERTa's byte-level pre-tokenizer takes letter/number/space classes from Oniguruma's tables. For the few hundred code points where those tables disagree with utf8proc, this script records
what `tokenizers` does, so the C++ tokenizer matches it exactly. It probes every code point through the real
`tokenizers` normalizer and pre-tokenizer and asks the real libutf8proc (through ctypes) what the C++ side
would do without an override.

Run it from the Python reference environment whenever utf8proc or the pinned tokenizers change:
    .venv/bin/python tools/gen_unicode_compat.py > src/tokenizer/unicode_compat_tables.inc
tests/conformance/test_unicode_tables.py checks that the committed file matches a fresh run.
"""
import ctypes
import ctypes.util
import sys

import tokenizers
from tokenizers import normalizers, pre_tokenizers

ASCII_PUNCT = set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')
WHITE_SPACE = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028,
               0x2029, 0x202F, 0x205F, 0x3000}
CAT_MN, CAT_CC, CAT_CF, CAT_CO = 6, 26, 27, 29
CAT_P = set(range(12, 19))


def load_utf8proc():
    lib = ctypes.CDLL(ctypes.util.find_library("utf8proc") or "libutf8proc.so.2")
    lib.utf8proc_category.restype = ctypes.c_int
    lib.utf8proc_category.argtypes = [ctypes.c_int32]
    lib.utf8proc_tolower.restype = ctypes.c_int32
    lib.utf8proc_tolower.argtypes = [ctypes.c_int32]
    lib.utf8proc_NFD.restype = ctypes.c_void_p
    lib.utf8proc_NFD.argtypes = [ctypes.c_char_p]
    lib.utf8proc_unicode_version.restype = ctypes.c_char_p
    lib.utf8proc_get_property.restype = ctypes.POINTER(ctypes.c_int16 * 2)
    lib.utf8proc_get_property.argtypes = [ctypes.c_int32]
    lib.utf8proc_version.restype = ctypes.c_char_p
    libc = ctypes.CDLL(None)
    libc.free.argtypes = [ctypes.c_void_p]
    return lib, libc


def main():
    u, libc = load_utf8proc()

    def nfd(ch):
        if ch == "\0":  # a C string cannot hold NUL; NFD(NUL) is NUL
            return ch
        p = u.utf8proc_NFD(ch.encode("utf-8"))
        s = ctypes.string_at(p).decode("utf-8")
        libc.free(p)
        return s

    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False,
                                       lowercase=False)
    strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True,
                                       lowercase=False)
    lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False,
                                       lowercase=True)
    pretok = pre_tokenizers.BertPreTokenizer()
    # RoBERTa's ByteLevel pre-tokenizer splits with GPT-2's pattern, whose classes (\p{L}, \p{N}, \s) come
    # from the regex engine's own (newer) Unicode tables.
    bytelevel = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    CAT_L, CAT_N = set(range(1, 6)), {9, 10, 11}

    def ccc(cp):
        # utf8proc_property_t starts with int16 category, int16 combining_class.
        return u.utf8proc_get_property(cp).contents[1]

    control, whitespace, punct = {}, {}, {}
    ccc_zero = {}
    strip_map, lower_map = {}, {}
    gpt2_class = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        cat = u.utf8proc_category(cp)
        # clean_text: the reference removes controls and maps whitespace to ' '.
        out = clean.normalize_str("a" + ch + "a")[1:-1]
        ref_control = out == ""
        ref_space = out == " "
        ours_control = cp == 0 or cp == 0xFFFD or (ch not in "\t\n\r" and cat in (CAT_CC, CAT_CF, CAT_CO))
        ours_space = cp in WHITE_SPACE and not ours_control
        if ref_control != ours_control:
            control[cp] = ref_control
        if not ref_control and ref_space != ours_space:
            whitespace[cp] = ref_space
        # BertPreTokenizer: punctuation is isolated into its own token.
        if cp not in WHITE_SPACE:
            pieces = [t for t, _ in pretok.pre_tokenize_str("a" + ch + "a")]
            ref_punct = pieces == ["a", ch, "a"]
            ours_punct = ch in ASCII_PUNCT or cat in CAT_P
            if ref_punct != ours_punct:
                punct[cp] = ref_punct
        # GPT-2 split classes: 1 letter, 2 number, 3 whitespace, 0 anything else. A character joins the
        # run of its own class: "a?a" is one piece for a letter, "1?1" for a number, ".?." for "other".
        def one_piece(s):
            return len(bytelevel.pre_tokenize_str(s)) == 1
        ref_class = 1 if one_piece("a" + ch + "a") else 2 if one_piece("1" + ch + "1") else 0 if one_piece("." + ch + ".") else 3
        ours_class = 1 if cat in CAT_L else 2 if cat in CAT_N else 3 if cp in WHITE_SPACE else 0
        if ref_class != ours_class:
            gpt2_class[cp] = ref_class
        # strip_accents: NFD, then drop nonspacing marks.
        ref = strip.normalize_str(ch)
        ours = "".join(c for c in nfd(ch) if u.utf8proc_category(ord(c)) != CAT_MN)
        if ref != ours:
            strip_map[cp] = ref
        # Canonical ordering after NFD uses combining classes; a mark the reference's (older) tables do not
        # know has class 0 there, so it never moves. Probe against U+1D165 (Mc, class 216) and U+1D16D
        # (Mc, class 226), which survive accent stripping: a mark of class 0 keeps its place both ways.
        if ccc(cp) != 0 and strip.normalize_str(ch) == ch:
            stays = all(strip.normalize_str(x) == x for z in ("\U0001d165", "\U0001d16d")
                        for x in ("a" + ch + z, "a" + z + ch))
            if stays:
                ccc_zero[cp] = True
        # lowercase: per code point, full mapping.
        ref = lower.normalize_str(ch)
        ours = "i\u0307" if cp == 0x130 else chr(u.utf8proc_tolower(cp))
        if ref != ours:
            lower_map[cp] = ref

    out = sys.stdout
    out.write("// Generated by tools/gen_unicode_compat.py; do not edit.\n")
    out.write(f"// Reference: tokenizers {tokenizers.__version__}; "
              f"utf8proc {u.utf8proc_version().decode()} (Unicode {u.utf8proc_unicode_version().decode()}).\n")
    out.write("// Code points where the reference's Unicode tables differ from utf8proc's, with the reference's\n")
    out.write("// answer. docs/tokenizer.md explains where each difference comes from.\n\n")
    out.write(f"#define ATTNSCOPE_UNICODE_COMPAT_UTF8PROC \"{u.utf8proc_version().decode()}\"\n")
    out.write(f"#define ATTNSCOPE_UNICODE_COMPAT_TOKENIZERS \"{tokenizers.__version__}\"\n\n")

    def ranges(table):
        items = sorted(table.items())
        merged = []
        for cp, value in items:
            if merged and merged[-1][1] == cp - 1 and merged[-1][2] == value:
                merged[-1][1] = cp
            else:
                merged.append([cp, cp, value])
        return merged

    for name, table in (("kControlOverrides", control), ("kWhitespaceOverrides", whitespace),
                        ("kPunctuationOverrides", punct), ("kCombiningClassZero", ccc_zero)):
        rows = ranges(table)
        out.write(f"static constexpr CodePointRange {name}[] = {{  // {len(table)} code points\n")
        for first, last, value in rows:
            out.write(f"    {{0x{first:04X}, 0x{last:04X}, {'true' if value else 'false'}}},\n")
        if not rows:
            out.write("    {0x110000, 0x110000, false},  // none\n")
        out.write("};\n\n")

    rows = ranges(gpt2_class)
    out.write(f"static constexpr CodePointClass kGpt2ClassOverrides[] = {{  // {len(gpt2_class)} code points\n")
    for first, last, value in rows:
        out.write(f"    {{0x{first:04X}, 0x{last:04X}, {value}}},\n")
    if not rows:
        out.write("    {0x110000, 0x110000, 0},  // none\n")
    out.write("};\n\n")

    for name, table in (("kStripAccentsOverrides", strip_map), ("kLowercaseOverrides", lower_map)):
        out.write(f"static constexpr CodePointMapping {name}[] = {{  // {len(table)} code points\n")
        for cp, result in sorted(table.items()):
            assert len(result) <= 4, (hex(cp), result)
            cps = ", ".join(f"0x{ord(c):04X}" for c in result) or "0"
            out.write(f"    {{0x{cp:04X}, {len(result)}, {{{cps}}}}},\n")
        if not table:
            out.write("    {0x110000, 0, {0}},  // none\n")
        out.write("};\n\n")


if __name__ == "__main__":
    main()
