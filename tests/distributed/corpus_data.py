"""The test corpus: 2,000 lines from a fixed seed — single sentences, TAB-separated pairs, and malformed lines
of every kind `attnscope corpus` skips (empty, CR only, invalid UTF-8, no tokens, too long)."""
import random

WORDS = ("the cat sat on a mat while attention heads looked at every token in the sentence , and the model "
         "read it twice . a head may attend to the separator or to the next word ; others spread evenly over "
         "punctuation , numbers like 42 and names like Paris or Ada").split()


def sentence(rng, lo=3, hi=24):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def corpus_lines(n=2000, seed=15):
    rng = random.Random(seed)
    lines = []
    for i in range(1, n + 1):
        r = rng.random()
        if i % 250 == 17:
            lines.append(b"")  # empty
        elif i % 250 == 71:
            lines.append(b"\r")  # CR only (a Windows empty line)
        elif i % 250 == 123:
            lines.append(b"bad \xff\xfe utf-8 " + sentence(rng).encode())
        elif i % 250 == 200:
            lines.append(b"   \t  ")  # whitespace: no tokens in the text
        elif i % 500 == 333:
            lines.append(" ".join(["word"] * 700).encode())  # longer than 512 tokens, no --truncate
        elif r < 0.3:
            lines.append(f"{sentence(rng)}\t{sentence(rng)}".encode())
        else:
            lines.append(sentence(rng).encode() + (b"\r" if i % 97 == 0 else b""))
    return lines


def write_corpus(path, n=2000, seed=15):
    path.write_bytes(b"\n".join(corpus_lines(n, seed)) + b"\n")
    return path


def write_jsonl(path, n=300, seed=16):
    import json

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        if i % 50 == 7:
            rows.append("{not json")
        elif i % 3 == 0:
            rows.append(json.dumps({"text": sentence(rng), "pair": sentence(rng)}))
        else:
            rows.append(json.dumps(sentence(rng)))
    path.write_text("\n".join(rows))  # no newline after the last line
    return path
