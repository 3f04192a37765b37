"""`attnscope repl` driven through a pseudo-terminal, the way a person types into it: sentences, commands,
line editing history (libedit), saving results, bad input, Ctrl-D."""
import json
import os
import pty
import re
import select
import subprocess
import termios
import time

import numpy as np

PROMPT = b"attnscope> "
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\r")


class Terminal:
    def __init__(self, args, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.buffer = b""

    def expect(self, pattern, timeout=60):
        """Reads until `pattern` (bytes) appears after what was consumed before; returns the text up to it."""
        deadline = time.monotonic() + timeout
        while pattern not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {pattern!r}; got:\n{self.clean(self.buffer)[-2000:]}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the REPL ended while waiting for {pattern!r}:\n{self.clean(self.buffer)}")
                self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(pattern)
        return self.clean(head)

    def wait(self, timeout=30):
        """Waits for the process to end, reading what it writes meanwhile (a terminal reset waits for that)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.buffer += os.read(self.master, 65536)
                except OSError:
                    pass
        return self.proc.wait(timeout=1)

    def send(self, data):
        self.wait_for_line_editor()
        os.write(self.master, data)

    def wait_for_line_editor(self, timeout=30):
        """Waits until libedit reads single keys. It prints the prompt before it takes the terminal out of
        canonical mode, and a key that lands in between goes through the kernel's line discipline instead: a
        Ctrl-D there becomes an end-of-file mark that libedit later reads as a NUL, and the REPL never sees it
        (seen under load in CI). A person cannot type within that millisecond; a test can."""
        deadline = time.monotonic() + timeout
        while termios.tcgetattr(self.master)[3] & termios.ICANON:
            if time.monotonic() > deadline:
                raise AssertionError("the REPL did not start reading keys")
            time.sleep(0.001)

    def command(self, line):
        self.send(line.encode() + b"\r")
        return self.expect(PROMPT)

    @staticmethod
    def clean(data):
        return ANSI.sub(b"", data).decode(errors="replace")


def start(attnscope, minilm_dir, home):
    env = dict(os.environ, HOME=str(home), TERM="xterm", NO_COLOR="1", COLUMNS="120")
    env.pop("XDG_STATE_HOME", None)
    t = Terminal([str(attnscope.binary), "repl", "--model", str(minilm_dir), "-q"], env)
    banner = t.expect(PROMPT)
    assert "attnscope repl · all-MiniLM-L6-v2 · 6 layers × 12 heads" in banner
    return t


def test_repl_session(attnscope, minilm_dir, tmp_path):
    t = start(attnscope, minilm_dir, tmp_path)
    out = t.command("The cat sat on the mat.")
    assert "[CLS]" in out and "mat" in out and "[SEP]" in out
    assert "4. model(**inputs, output_attentions=True) → 6 × [1, 12, 9, 9]" in out
    assert re.search(r"L5 +\d+\.\d\d", out), "the overview of every head"

    out = t.command(":layer 2")
    assert "layer 2, head 0" in out
    out = t.command(":head 5")
    assert "layer 2, head 5: rows = query tokens" in out
    # Line editing history: the up arrow brings back ":head 5".
    t.send(b":layer 1\r")
    t.expect(PROMPT)
    t.send(b"\x1b[A\x1b[A\r")
    out = t.expect(PROMPT)
    assert "layer 1, head 5: rows = query tokens" in out, out

    out = t.command(":pair It was very tired.")
    assert "sentence B set" in out and "(pair)" in out and "tired" in out
    saved = tmp_path / "result.json"
    out = t.command(f":save {saved}")
    assert f"wrote {saved}" in out
    cli = attnscope.json("run", "The cat sat on the mat.", "--pair", "It was very tired.", "--model", minilm_dir,
                         "--format", "json", "-q")
    got = json.loads(saved.read_text())
    assert got["encoding"]["tokens"] == cli["encoding"]["tokens"]
    assert np.array_equal(np.array(got["attentions"], np.float32), np.array(cli["attentions"], np.float32))
    out = t.command(f":save {tmp_path / 'result.npy'}")
    n = len(cli["encoding"]["tokens"])
    assert np.load(tmp_path / "result.npy").shape == (6, 12, n, n) and n == 15
    out = t.command(":pair off")
    assert "sentence B removed" in out and "6 × [1, 12, 9, 9]" in out

    # Bad input: an error line, and the REPL goes on.
    for line, message in [(":bogus", "error: unknown command :bogus"), (":layer 6", "error: the layer must be a number from 0 to 5"),
                          (":head x", "error: the head must be a number from 0 to 11"), (":save out.txt", "error: :save FILE.json"),
                          ("word " * 600, "error: the input is 602 tokens including special tokens, longer than the model's maximum of 512"),
                          ("   \t", "")]:
        out = t.command(line)
        assert message in out, (line[:20], out)
    # libedit drops bytes that are not UTF-8 before the line reaches attnscope (piped input: below).
    t.send("caf\xe9 ok".encode("latin-1") + b"\r")
    out = t.expect(PROMPT)
    assert "caf" in out and "Traceback" not in out
    out = t.command("Still working.")
    assert "still" in out and "working" in out

    t.send(b"\x04")  # Ctrl-D
    assert t.wait() == 0
    # libedit's history format escapes spaces as \040.
    history = (tmp_path / ".attnscope_history").read_text(errors="replace").replace("\\040", " ")
    assert ":head 5" in history and "The cat sat on the mat." in history


def test_repl_reads_piped_input(attnscope, minilm_dir):
    """Without a terminal (a script, a pipe) the same commands work line by line."""
    proc = attnscope("repl", "--model", minilm_dir, "-q", input=b"Hello world\n:layer 1\n:show\n:quit\n")
    out = proc.stdout.decode()
    assert "[CLS]" in out and "hello" in out and "layer 1, head 0: rows = query tokens" in out
    proc = attnscope("repl", "--model", minilm_dir, "-q", input=b":show\ncaf\xe9\n", check=False)
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0 and "error: type a sentence first" in out
    assert "error: text is not valid UTF-8: invalid byte 0xE9 at byte offset 3" in out
