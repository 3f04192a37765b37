"""The conformance inputs: hand-picked cases across scripts, punctuation, numbers, URLs, emoji and
special tokens, sentence pairs, and generated texts of exact token lengths from 1 up to the 512 limit."""
import random

HAND_PICKED = [
    "The output shows the attention values",
    "Hello, my dog is cute",
    "The quick brown fox jumps over the lazy dog.",
    "a",
    "?",
    "Café naïve résumé über Ångström déjà vu São Paulo façade",
    "我爱自然语言处理。北京是中国的首都。",
    "東京は日本の首都です。ひらがなとカタカナ、そして漢字。",
    "한국어 문장도 토큰화됩니다.",
    "Wait!!! What??? ...really... (yes) [no] {maybe} --- *** /// ~~~ ¿¡",
    "I love pizza 🍕🍕 and 😀 👍🏽 👨‍👩‍👧 ❤️",
    "3.14159 1,000,000 2026-11-27 12:30pm $5.99 50% 1e-12 0x1F",
    "https://example.com/path?q=attention&lang=en#section and mailto:user@example.org",
    "iPhone McDonald's O'Reilly NASA e.g. U.S.A. don't can't won't",
    "ΣΊΣΥΦΟΣ Οδυσσέας και η Αθήνα",
    "İstanbul ılık ışık ŞİŞLİ",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "สวัสดีชาวโลก",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u2003em\u3000ideographic space",
    "zero\u200bwidth\u200djoiner soft\u00adhyphen bell\x07 nul\x00 rep\ufffd",
    "The [MASK] shows the attention values",
    "[CLS] inside [SEP] the text [mask] [PAD]",
    "supercalifragilisticexpialidocious" * 4,
    "ＡＢＣ１２３！ ﬁnance ∑∫√∞≈≠ ½ ² ℃",
    "def f(x): return x**2 // 3  # comment",
    "the the the the the the the the",
    "Mr. Smith went to Washington; he said: \"It's 5 o'clock\" — and left…",
    "COVID-19 vaccines (mRNA-1273, BNT162b2) were approved in 2020.",
    "e\u0301 combining acute, a\u030a ring, n\u0303 tilde, Z\u0335\u0336 strokes",
    "Ǆ ǅ ǆ ß ẞ ﬀ Ω Å K",
]

PAIRS = [
    ("Where is the Eiffel Tower?", "The Eiffel Tower is in Paris, France."),
    ("How many legs does a spider have?", "Spiders have eight legs."),
    ("The cat sat on the mat.", "Le chat était assis sur le tapis."),
    ("Is this a question?", "?"),
    ("Short.", "A much longer second sentence that goes on for a while, with commas, and more words."),
    ("漢字の文", "English sentence with émojis 🙂"),
    ("[MASK] is the capital of France.", "Paris is the capital of France."),
    ("A", "Only the second sentence has more than one token."),
]

WORDS = ("attention head layer token model sentence value query key language transformer vector "
         "encoder analysis pattern weight the a of to and in is that for it with as on by this be "
         "research language's data-driven state-of-the-art 2019 1.5 (results) [figure] naïve über "
         "paris tokyo 東京 学习 café").split()


def generated_text(rng, n_words):
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def text_with_tokens(tokenizer, target, seed):
    """A text whose encoding (with [CLS] and [SEP]) is exactly `target` tokens."""
    rng = random.Random(seed)
    words = []
    while len(tokenizer(" ".join(words))["input_ids"]) < target:
        words.append(rng.choice(WORDS))
    while len(tokenizer(" ".join(words))["input_ids"]) > target:
        words.pop()
        # pad with single-token words to land exactly on the target
    while len(tokenizer(" ".join(words))["input_ids"]) < target:
        words.append("a")
    return " ".join(words)


LENGTHS = [3, 16, 33, 64, 100, 128, 200, 256, 384, 500, 511, 512]


def all_cases(tokenizer):
    """(case id, text, pair) for every conformance input."""
    cases = [(f"hand{i:02d}", t, None) for i, t in enumerate(HAND_PICKED)]
    cases += [(f"pair{i:02d}", a, b) for i, (a, b) in enumerate(PAIRS)]
    cases += [(f"len{n:03d}", text_with_tokens(tokenizer, n, n), None) for n in LENGTHS]
    rng = random.Random(7)
    a, b = generated_text(rng, 150).split(), generated_text(rng, 250).split()
    while len(tokenizer(" ".join(a), " ".join(b))["input_ids"]) > 505:
        b.pop()
    cases += [("pairlong", " ".join(a), " ".join(b))]
    return cases
