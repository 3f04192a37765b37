"""How `attnscope serve` frames requests before a worker sees them (it waits for a whole request so that no
worker ever waits on a client): Content-Length bodies, Expect: 100-continue, pipelined requests, and the
requests it refuses itself (chunked or length-less bodies, oversized heads and bodies, malformed headers)."""
import json
import socket

import pytest

from tests.server.client import Server, read_response


@pytest.fixture(scope="module")
def server(attnscope, minilm_dir):
    with Server(attnscope.binary, minilm_dir, "--max-body-kib", "16") as s:
        yield s


def connect(server):
    return socket.create_connection(("127.0.0.1", server.port), timeout=20)


def analyze_request(text, extra=""):
    body = json.dumps({"text": text}).encode()
    return (f"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def test_pipelined_requests_are_answered_in_order(server):
    with connect(server) as s:
        s.sendall(b"GET /api/model HTTP/1.1\r\nHost: localhost\r\n\r\n" + analyze_request("a b") +
                  b"GET /api/model HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello" +
                  analyze_request("the cat") + b"GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        f = s.makefile("rb")
        answers = [read_response(f) for _ in range(5)]
    statuses = [status for status, _, _ in answers]
    print(statuses)
    assert statuses == [200, 200, 200, 200, 404]
    assert json.loads(answers[1][2])["shape"] == [6, 12, 4, 4]
    assert json.loads(answers[3][2])["shape"] == [6, 12, 4, 4]
    assert json.loads(answers[2][2])["layers"] == 6, "a GET's body is skipped, not read as the next request"


def test_a_body_split_across_many_sends_is_assembled(server):
    request = analyze_request("The output shows the attention values")
    with connect(server) as s:
        for i in range(0, len(request), 7):
            s.sendall(request[i:i + 7])
        status, _, data = read_response(s.makefile("rb"))
    assert status == 200 and json.loads(data)["shape"] == [6, 12, 8, 8]


def test_expect_100_continue_gets_one_interim_answer(server):
    body = json.dumps({"text": "a b"}).encode()
    with connect(server) as s:
        s.sendall(b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        f = s.makefile("rb")
        assert f.readline() == b"HTTP/1.1 100 Continue\r\n" and f.readline() == b"\r\n"
        s.sendall(body)
        status, _, data = read_response(f)
    assert status == 200 and json.loads(data)["shape"] == [6, 12, 4, 4]


@pytest.mark.parametrize("name,request_bytes,status,message", [
    ("chunked body", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411, "a chunked body is not taken"),
    ("no length", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\r\n{}", 411,
     "needs a Content-Length"),
    ("body over the limit", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 16385\r\n\r\n", 413, "the request body is too large"),
    ("head over 64 KiB", b"GET /api/model HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"x" * 70000 + b"\r\n\r\n", 431,
     "longer than 64 KiB"),
    ("length not a number", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Length: 12abc\r\n\r\n", 400,
     "Content-Length is not a number"),
    ("negative length", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n", 400,
     "Content-Length is not a number"),
    ("two lengths", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
     400, "two different Content-Length"),
    ("space before the colon", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Length : 2\r\n\r\n{}", 400,
     "malformed request header"),
    ("percent in Host", b"GET /api/model HTTP/1.1\r\nHost: %6cocalhost\r\n\r\n", 400, "a percent sign in the Host header"),
    ("percent in Origin", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost%3a1\r\n"
                          b"Content-Length: 2\r\n\r\n{}", 400, "a percent sign in the Origin header"),
    ("percent in Content-Type", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\r\nContent-Type: application%2fjson\r\n"
                                b"Content-Length: 2\r\n\r\n{}", 400, "a percent sign in the Content-Type header"),
    ("bare line feed", b"POST /api/analyze HTTP/1.1\r\nHost: localhost\nContent-Length: 2\r\n\r\n{}", 400,
     "malformed request header"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None)
def test_requests_the_server_cannot_frame_are_refused_before_any_worker(server, name, request_bytes, status, message):
    with connect(server) as s:
        s.sendall(request_bytes)
        got, headers, data = read_response(s.makefile("rb"))
    print(f"{name}: {got} {data}")
    assert got == status and headers.get("connection") == "close"
    assert message in json.loads(data)["error"]
    assert server.json("GET", "/api/model")[0] == 200
