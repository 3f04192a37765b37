"""The server's memory under load (loopback only, a bounded number of requests): what a burst of
/api/analyze requests leaves behind once answered, and the peak while they run, against the bounds that
docs/api.md states ("Memory")."""
import concurrent.futures
import json
import threading
import time

import pytest

from tests.server.client import Server

# docs/api.md, "Memory": after any number of answered requests the server holds at most this much more
# than after its first few.
RETAINED_BOUND_MB = 32
# docs/api.md: one /api/analyze of n tokens peaks at this many times A = 4·L·H·n² bytes (its attentions), plus
# 8 MB; at most --concurrent (2 by default) are computing or making their answers at once, and each answer
# made (4/3 A of base64) is then handed to its connection.
ANALYZE_FACTOR = 4.2
CONCURRENT = 2


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def analyze(server, words):
    status, out = server.json("POST", "/api/analyze", {"text": " ".join(["word"] * words)})
    assert status == 200, out
    return out["shape"]


@pytest.mark.parametrize("concurrency", [4])
def test_a_burst_of_requests_leaves_no_memory_behind(attnscope, minilm_dir, concurrency):
    sizes = [16, 64, 128, 254]
    requests = 64
    with Server(attnscope.binary, minilm_dir) as s:
        for words in sizes:
            analyze(s, words)
        time.sleep(0.3)
        before = rss_mb(s.proc.pid)
        peak = before
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.wait(0.005):
                peak = max(peak, rss_mb(s.proc.pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.monotonic()
        try:
            with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
                shapes = list(pool.map(lambda k: analyze(s, sizes[k % len(sizes)]), range(requests)))
        finally:
            done.set()
            sampler.join()
        elapsed = time.monotonic() - t0
        time.sleep(0.3)
        after = rss_mb(s.proc.pid)
        L, H, n_max = shapes[-1][0], shapes[-1][1], max(shape[2] for shape in shapes)
        attention_mb = 4 * L * H * n_max * n_max / 2**20
        load_bound = CONCURRENT * (ANALYZE_FACTOR * attention_mb + 8 + 4 / 3 * attention_mb)
        print(f"{requests} /api/analyze ({concurrency} at a time, n up to {n_max}) in {elapsed:.1f} s: RSS {before:.0f} MB "
              f"before, peak {peak:.0f} MB, {after:.0f} MB after (retained {after - before:+.0f} MB; bound "
              f"{RETAINED_BOUND_MB} MB); peak over before {peak - before:.0f} MB (bound {load_bound:.0f} MB)")
        assert after - before <= RETAINED_BOUND_MB
        assert peak - before <= load_bound


def stream(server, words, values):
    status, _, data = server.raw("POST", "/api/attention", {"text": " ".join(["word"] * words), "values": values})
    assert status == 200
    return len(data)


def test_streams_keep_at_most_the_held_traces_and_one_spare(attnscope, minilm_dir):
    """Streams reuse one spare trace (its pages already mapped) and half-precision streams' traces are held
    for /api/values: after many streams of every length the server holds no more than those (docs/api.md,
    "Memory"), in both modes, at two at a time."""
    sizes = [40, 200, 120, 300, 80, 254]
    with Server(attnscope.binary, minilm_dir) as s:
        for words in sizes:
            stream(s, words, "f32")
        time.sleep(0.3)
        before = rss_mb(s.proc.pid)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda k: stream(s, sizes[k % len(sizes)], "f32"), range(24)))
        time.sleep(0.3)
        after_f32 = rss_mb(s.proc.pid)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda k: stream(s, sizes[k % len(sizes)], "f16"), range(24)))
        time.sleep(0.3)
        after_f16 = rss_mb(s.proc.pid)
        trace_mb = 4 * 6 * 12 * 302 ** 2 / 2**20  # the largest input: 300 words and [CLS], [SEP]
        print(f"24 float32 streams (n up to 302, two at a time): RSS {before:.0f} → {after_f32:.0f} MB; then 24 half-"
              f"precision streams: {after_f16:.0f} MB (a 302-token trace is {trace_mb:.0f} MB; at most 4 held + 1 spare)")
        assert after_f32 - before <= trace_mb + RETAINED_BOUND_MB
        assert after_f16 - before <= 5 * trace_mb + RETAINED_BOUND_MB
