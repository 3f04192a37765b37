"""A real `attnscope serve` on 127.0.0.1 (any free port) and a small HTTP client for the API tests."""
import http.client
import json
import re
import socket
import struct
import subprocess
import time

import numpy as np


def parse_frames(data, partial=False):
    """frame := u32 json_length | JSON | u32 payload_length | payload (docs/api.md): float32, or IEEE half where
    the header says "dtype": "f16". With partial, stops before an incomplete last frame instead of failing."""
    frames, offset = [], 0
    while offset < len(data):
        if partial and offset + 4 > len(data):
            break
        (json_length,) = struct.unpack_from("<I", data, offset)
        if partial and offset + 8 + json_length > len(data):
            break
        header = json.loads(data[offset + 4:offset + 4 + json_length])
        (payload_length,) = struct.unpack_from("<I", data, offset + 4 + json_length)
        start = offset + 8 + json_length
        if partial and start + payload_length > len(data):
            break
        dtype = "<f2" if header.get("dtype") == "f16" else "<f4"
        assert payload_length % np.dtype(dtype).itemsize == 0 and start + payload_length <= len(data), "a truncated frame"
        frames.append((header, np.frombuffer(data[start:start + payload_length], dtype=dtype)))
        offset = start + payload_length
    return frames


def read_response(f):
    """(status, {lower-case header: value}, body) of one HTTP/1.1 answer read from the file `f`."""
    status_line = f.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection without an answer")
    status = int(status_line.split()[1])
    headers = {}
    while (line := f.readline()) not in (b"\r\n", b""):
        k, v = line.decode().split(":", 1)
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    return status, headers, f.read(length)


class Server:
    def __init__(self, binary, model_dir, *extra):
        self.args = [str(binary), "serve", "--port", "0", "--model", str(model_dir), "--quiet", *extra]

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"attnscope serve did not start: {line}{self.proc.stderr.read().decode()}")
        self.port = int(match.group(1))
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("attnscope serve did not stop on SIGTERM")
        assert code == 0, f"attnscope serve exited with {code}: {self.proc.stderr.read().decode()}"

    def alive(self):
        return self.proc.poll() is None

    def raw(self, method, path, body=None, host=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"127.0.0.1:{self.port}" if host is None else host)
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
        else:
            conn.endheaders()
        res = conn.getresponse()
        data = res.read()
        headers = {k.lower(): v for k, v in res.getheaders()}
        conn.close()
        return res.status, headers, data

    def json(self, method, path, body=None, host=None):
        status, headers, data = self.raw(method, path, body, host)
        assert headers.get("content-type", "").startswith("application/json"), (status, headers, data[:200])
        return status, json.loads(data)

    def request_bytes(self, data, timeout=30):
        """Sends `data` as it is (any request line and headers) and returns (status, headers, body) of the
        answer; the server is expected to close or to send a Content-Length."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            return read_response(s.makefile("rb"))

    def raw_chunks(self, path, body):
        """POSTs and returns the chunked response body as [(chunk bytes, seconds after sending)]."""
        data = json.dumps(body).encode()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=120)
        t0 = time.monotonic()
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
        f = s.makefile("rb")
        status = f.readline()
        assert b" 200 " in status, status
        headers = {}
        while (line := f.readline()) not in (b"\r\n", b""):
            k, v = line.decode().split(":", 1)
            headers[k.strip().lower()] = v.strip()
        assert headers.get("transfer-encoding") == "chunked", headers
        chunks = []
        while True:
            size = int(f.readline().split(b";")[0], 16)
            chunk = f.read(size)
            f.readline()
            chunks.append((chunk, time.monotonic() - t0))
            if size == 0:
                break
        s.close()
        return chunks
