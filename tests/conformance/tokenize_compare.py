"""Runs `attnscope tokenize` over many inputs at once and compares every encoding with a `tokenizers`
reference, field by field; the parity tests of the WordPiece and byte-level BPE tokenizers share it."""
import json

# field: (from a tokenizers Encoding, from attnscope's encoding JSON)
FIELDS = {
    "ids": (lambda e: e.ids, "input_ids"),
    "offsets": (lambda e: [list(o) for o in e.offsets], "offsets"),
    "tokens": (lambda e: e.tokens, "tokens"),
    "type_ids": (lambda e: e.type_ids, "token_type_ids"),
}


def write_cases(path, cases):
    """cases: (text, pair or None) → one line each for `tokenize -i` (a plain line, or JSON for a pair)."""
    with open(path, "w", encoding="utf-8") as f:
        for text, pair in cases:
            f.write(json.dumps({"text": text, "pair": pair} if pair is not None else text) + "\n")


def mismatches(attnscope, model_dir, lines, cases, ref, fields):
    """The cases where attnscope and `ref` differ in any of `fields`; prints the first ten."""
    out = attnscope("tokenize", "--model", model_dir, "-i", lines, "-q")
    # split on "\n" only: str.splitlines() would also split inside strings at U+2028, U+0085 ...
    results = [json.loads(line) for line in out.stdout.decode().split("\n") if line]
    assert len(results) == len(cases)
    found = []
    for (text, pair), ours in zip(cases, results):
        enc = ref.encode(text, pair) if pair is not None else ref.encode(text)
        theirs = {f: FIELDS[f][0](enc) for f in fields}
        mine = {f: ours["encoding"][FIELDS[f][1]] for f in fields}
        if mine != theirs:
            found.append((text, pair, theirs, mine, enc.tokens, ours["encoding"]["tokens"]))
    for text, pair, theirs, mine, their_tokens, my_tokens in found[:10]:
        print("MISMATCH", repr(text), repr(pair), "\n  tokenizers:", theirs, their_tokens, "\n  attnscope: ", mine, my_tokens)
    return found
