"""The driver's progress line (the CLI's format) and the end-of-run summary."""
import sys
import time


def format_duration(s):
    if not (s >= 0) or s > 360000:
        return "--"
    t = int(s)
    return f"{t // 3600}h{t % 3600 // 60:02}m" if t >= 3600 else f"{t // 60}m{t % 60:02}s"


class Progress:
    def __init__(self, total_lines, done_lines=0, enabled=True, stream=None):
        self.total = total_lines
        self.done = done_lines
        self.start_done = done_lines
        self.docs = 0
        self.skipped = 0
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last = 0.0

    def rate(self):
        """Inputs per second this run."""
        elapsed = time.monotonic() - self.started
        return self.docs / elapsed if elapsed > 0 else 0.0

    def update(self, lines, docs, skipped, final=False):
        self.done += lines
        self.docs += docs
        self.skipped += skipped
        if not self.enabled:
            return
        now = time.monotonic()
        if not (self.tty or final or now - self._last > 10):
            return
        self._last = now
        elapsed = now - self.started
        line_rate = (self.done - self.start_done) / elapsed if elapsed > 0 else 0
        eta = (self.total - self.done) / line_rate if line_rate > 0 else -1
        frac = self.done / self.total if self.total else 1
        width = 30
        filled = int(frac * width)
        bar = "=" * filled + (">" if filled < width else "") + " " * max(0, width - filled - 1)
        text = (f"[{bar}] {self.done}/{self.total} lines · {self.rate():.1f} inputs/s · "
                f"ETA {'0m00s' if final else format_duration(eta)} · {self.skipped} skipped")
        if self.tty:
            self.stream.write("\r" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
