"""The committed Unicode compatibility table is what tools/gen_unicode_compat.py derives from the pinned
tokenizers and the installed utf8proc: a version bump of either cannot go unnoticed."""
import subprocess
import sys

from conftest import ROOT


def test_compat_table_is_current():
    fresh = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_unicode_compat.py")], capture_output=True,
                           text=True, check=True).stdout
    committed = (ROOT / "src" / "tokenizer" / "unicode_compat_tables.inc").read_text()
    assert fresh == committed, "regenerate: .venv/bin/python tools/gen_unicode_compat.py > src/tokenizer/unicode_compat_tables.inc"
