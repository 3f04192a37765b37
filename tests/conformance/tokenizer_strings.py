"""Strings for tokenizer parity: hand-picked cases plus seeded generated ones that cover every Unicode
category the BERT pipeline treats specially — controls (Cc), format characters (Cf), private use (Co),
unassigned (Cn), combining marks (Mn/Mc/Me), every CJK range (and the ranges where the slow and fast
pipelines disagree), Zs/Zl/Zp whitespace, each punctuation class, symbols, emoji sequences, many scripts,
case-mapping traps, special tokens inside text, and words over 100 characters. Also every code point in
attnscope's Unicode compatibility tables (src/tokenizer/unicode_compat_tables.inc)."""
import random
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HAND_PICKED = [
    "", " ", "\t\n\r", "a", "A", "?", "[CLS]", "[MASK]", "[mask]", "[UNK]x", "x[SEP]y", "[MASK][MASK]",
    "The output shows the attention values", "UNwant\u00e9d,running", "H\u00e9llo", " \tHeLLo!how  \n Are yoU?  ",
    "a\n'll !!to?'d of, can't.", "ah\u535a\u63a8zz", "\u00ad", "A, na\u00efve [MASK] AllenNLP sentence.",
    "ΣΊΣΥΦΟΣ ΟΔΥΣΣΕΥΣ", "İstanbul", "ıi̇İI", "ß ẞ straße", "ﬁ ﬂ ﬀ ﬃ", "Ǆ ǅ ǆ", "ǰ ǰ̣", "ŉ",
    "ᲐᲑᲒ ႠႡႢ", "ꭰꭱ ᏸᏹ Ꭰ", "Å Å Å", "e\u0301\u0327 a\u0327\u0301", "\u0344\u0345", "한국어 ᄒ ᅡ ᆫ",
    "https://example.com/a_b-c?d=e&f=g#h", "user.name+tag@example.co.uk", "$1,234.56 €99 ¥100 £5",
    "2026-11-27T14:03:00Z", "1e-12 3.14159 -0.0 +42 0x1F 1_000", "C++ C# F# .NET node.js",
    "😀😃😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 1️⃣ 🇺🇸 🇯🇵", "🥱 🦾 🫠 🪿", "\U0001f600" * 20,
    "a" * 100, "a" * 101, "ab" * 51, "é" * 101, "\u4e00" * 120, "x" + "\u0301" * 150,
    "\u200b\u200c\u200d\u2060\ufeff", "\u202a\u202b\u202c\u202d\u202e", "\u061c\u180e", "\U000e0001\U000e0041",
    "\ue000\uf8ff\U000f0000\U0010fffd", "\u0378\u0379 \U000e0080 \ufffe\uffff", "\ufffd", "\x00a\x00b",
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000",
    "line\u2028sep\u2029para\x85nel\x1cfs\x1dgs\x1ers\x1fus\x0bvt\x0cff",
    "«quotes» „German“ ‚single‘ “English” ‘single’ ‹angle›", "—–-‐‑‒―⁓", "(){}[]⟨⟩⌈⌉《》「」『』【】",
    "…‥。、・ ¡¿ ‽ ※ § ¶ † ‡ • ‣", "_‿⁀⁔﹍＿", "+−×÷=≠≤≥∑∏√∞∫∂∇", "™®©℗ ℃ ℉ № ℡",
    "ＡＢＣ ａｂｃ １２３ ！？ ｶﾀｶﾅ", "①②③ ⅠⅡⅢ ½¼¾ ²³¹", "٠١٢٣ ०१२३ ๐๑๒ ০১২",
    "中文字符测试 日本語のテキスト 한국어 텍스트", "\u3400\u4dbf \U00020000\U0002a6df \U0002a700\U0002b73f",
    "\U0002b740\U0002b81f \U0002b820\U0002b91f \U0002b920\U0002ceaf", "\uf900\ufaff \U0002f800\U0002fa1f",
    "\u2f00\u2fd5 \u3300\u33ff \U00030000 \U00031350 \u31c0\u31e3 \u3100\u312f",
    "مرحبا بالعالم ، ؟ ؛", "שָׁלוֹם עוֹלָם", "नमस्ते दुनिया।", "স্বাগতম", "สวัสดีชาวโลก", "ສະບາຍດີ",
    "Привет, мир! Ёё", "Γειά σου Κόσμε", "Բարեւ աշխարհ", "გამარჯობა", "ሰላም ዓለም", "ᚠᚢᚦᚨᚱᚲ", "ꓮꓯ",
    "Tiếng Việt có dấu", "Ça va? Où est-ce? Ärger Öl Übel", "ñandú pingüino", "Łódź Kraków Gdańsk",
]

BASES = "aeiouAEIOUnNcCzZ"


def _chars_by_category():
    cats = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        cats.setdefault(unicodedata.category(chr(cp)), []).append(cp)
    return cats


def _compat_table_code_points():
    text = (ROOT / "src" / "tokenizer" / "unicode_compat_tables.inc").read_text()
    cps = set()
    for first, last in re.findall(r"\{0x([0-9A-F]+), 0x([0-9A-F]+), (?:true|false)\}", text):
        cps.update(range(int(first, 16), int(last, 16) + 1))
    for cp in re.findall(r"^    \{0x([0-9A-F]+), \d, \{", text, re.M):
        cps.add(int(cp, 16))
    return sorted(c for c in cps if c < 0x110000)


def generated(seed=2026):
    rng = random.Random(seed)
    cats = _chars_by_category()
    out = []
    # One string per general category: a word of that category's characters, between ASCII words.
    for cat in sorted(cats):
        for k in range(6):
            sample = "".join(chr(rng.choice(cats[cat])) for _ in range(rng.randint(1, 6)))
            if cat.startswith("M"):
                sample = "".join(rng.choice(BASES) + chr(rng.choice(cats[cat])) for _ in range(3))
            out.append(f"word{k} {sample} next{sample}x, {sample}.")
    # Every CJK range the two pipelines know, at its edges and inside.
    for lo, hi in [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
                   (0x2B820, 0x2B91F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]:
        for cp in (lo - 1, lo, lo + 1, (lo + hi) // 2, hi - 1, hi, hi + 1):
            out.append(f"ab{chr(cp)}cd {chr(cp)}{chr(cp)} x{chr(cp)}")
    # Every code point where attnscope's Unicode data is corrected to match the reference.
    compat = _compat_table_code_points()
    for i in range(0, len(compat), 3):
        chunk = compat[i:i + 3]
        out.append("a" + "".join(chr(c) for c in chunk) + "b " + " ".join("x" + chr(c) for c in chunk))
    # Random mixtures of everything, with whitespace, punctuation and special tokens sprinkled in.
    pools = [cats[c] for c in sorted(cats) if c not in ("Cs",)]
    specials = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[mask]"]
    words = "the attention head layer token model value query key 2019 café naïve über 東京 😀".split()
    for _ in range(700):
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.35:
                parts.append(rng.choice(words))
            elif r < 0.45:
                parts.append(rng.choice(specials))
            elif r < 0.9:
                pool = rng.choice(pools)
                parts.append("".join(chr(rng.choice(pool)) for _ in range(rng.randint(1, 5))))
            else:
                parts.append(chr(rng.choice(cats["Po"] + cats["Pd"] + cats["Ps"])) * rng.randint(1, 3))
            parts.append(rng.choice([" ", " ", " ", "", "\t", "\n", "\u3000", "\u00a0"]))
        out.append("".join(parts))
    # Long words around the 100-character WordPiece limit.
    for n in (99, 100, 101, 150):
        out.append("x" + "y" * (n - 1))
        out.append("an " + "é" * n + " end")
    return out


def all_strings():
    return HAND_PICKED + generated()


def pairs():
    rng = random.Random(11)
    s = all_strings()
    return [(rng.choice(s), rng.choice(s)) for _ in range(200)]
