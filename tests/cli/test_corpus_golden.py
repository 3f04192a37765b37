"""The corpus driver moved from the CLI into the library (issue 11): its results must be the bits the CLI's
own driver wrote before the move. tests/cli/data/corpus_golden holds a small corpus (pairs, an empty line,
invalid UTF-8, a CJK line) and what `attnscope corpus` wrote for it before the move, with the reference
kernels (ATTNSCOPE_ISA=reference: the same bits on every x86-64 CPU, unlike the AVX2 / AVX-512 paths)."""
import gzip
import hashlib
import json
import pathlib
import shutil

DATA = pathlib.Path(__file__).parent / "data" / "corpus_golden"


def _first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in one"
            d = _first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} entries"
        for i, (x, y) in enumerate(zip(a, b)):
            d = _first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
    elif a != b:
        return f"{path}: {a!r} vs {b!r}"
    return None


def test_corpus_outputs_are_the_bits_of_the_cli_driver_before_the_move(attnscope, minilm_dir, tmp_path):
    corpus = tmp_path / "golden_corpus.txt"
    shutil.copy(DATA / "golden_corpus.txt", corpus)
    attnscope("corpus", corpus, "-m", minilm_dir, "-q", "-o", tmp_path / "golden", "-b", "5", "-t", "2",
              env={"ATTNSCOPE_ISA": "reference"}, timeout=600)
    want = json.loads(gzip.decompress((DATA / "golden.json.gz").read_bytes()))
    got = json.loads((tmp_path / "golden.json").read_text())
    diff = _first_difference(want, got)
    print(f"PREFIX.json: {'identical' if diff is None else 'first difference at ' + diff}; "
          f"{got['state']['docs']} inputs, {len(got['state']['skipped'])} skipped")
    assert diff is None, diff
    for line in (DATA / "outputs.sha256").read_text().split("\n"):
        if line.strip():
            digest, name = line.split()
            actual = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
            print(f"{name}: sha256 {'matches' if actual == digest else 'differs'}")
            assert actual == digest, name
