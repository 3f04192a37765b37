"""Who may make `attnscope serve` compute: only pages it served itself (Origin / Sec-Fetch-Site), only with
JSON bodies (a cross-site page can send text/plain or a form without a preflight), and only under a Host
name that DNS rebinding cannot forge (a strict parser: one header, a loopback or bound address, localhost
or a name given with --allow-host, an optional valid port). docs/security.md explains the model."""
import json

import pytest

from tests.server.client import Server

COMPUTING = ["/api/analyze", "/api/export", "/api/attention", "/api/neuron", "/api/rollout", "/api/norms",
             "/api/headmap", "/api/diff", "/api/ablate"]
BODY = json.dumps({"text": "a b", "layer": 0, "head": 0}).encode()  # refused before any field is read
TEXT = json.dumps({"text": "a b"}).encode()


@pytest.fixture(scope="module")
def server(attnscope, minilm_dir):
    with Server(attnscope.binary, minilm_dir) as s:
        yield s


def post(server, path, headers, body=BODY, host=None):
    head = f"POST {path} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{server.port}'}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return server.request_bytes(head.encode() + b"\r\n" + body)


def assert_no_cors(headers):
    cors = {k: v for k, v in headers.items() if k.startswith("access-control-")}
    assert not cors, f"permissive CORS headers: {cors}"


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None, "application/jsonp",
                                          "text/json", ""])
@pytest.mark.parametrize("path", ["/api/analyze", "/api/export", "/api/attention"])
def test_a_body_that_is_not_declared_json_is_refused_with_415(server, path, content_type):
    """The content types a cross-site form or a no-cors fetch can send without a preflight, and others."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    status, out_headers, data = post(server, path, headers)
    print(f"{path} Content-Type {content_type!r} → {status} {data[:120]}")
    assert status == 415, data[:200]
    assert json.loads(data)["error"] == "the request body must be JSON sent with Content-Type: application/json"
    assert_no_cors(out_headers)


@pytest.mark.parametrize("origin,fetch_site", [
    ("http://evil.example", None), ("null", None), ("http://evil.example", "cross-site"),
    (None, "cross-site"), (None, "same-site"), ("http://localhost:1", "same-site"),
    ("http://127.0.0.1", None), ("https://evil.example:{port}", None), ("http://127.0.0.1:{port}.evil.example", None),
    ("http://127.0.0.1:{port}/", None), ("http://127.0.0.1:{port}", "cross-site"), ("http://[::1]:{port}", None),
])
@pytest.mark.parametrize("path", COMPUTING)
def test_a_cross_origin_request_is_refused_with_403(server, path, origin, fetch_site):
    headers = {"Content-Type": "application/json"}
    if origin is not None:
        headers["Origin"] = origin.format(port=server.port)
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    status, out_headers, data = post(server, path, headers)
    print(f"{path} {headers} → {status} {data[:160]}")
    assert status == 403, data[:200]
    assert json.loads(data)["error"].startswith("cross-origin request refused")
    assert out_headers.get("connection") == "close", "the unread body is not taken for the next request"
    assert_no_cors(out_headers)


@pytest.mark.parametrize("origin,fetch_site", [
    ("http://127.0.0.1:{port}", "same-origin"), ("http://127.0.0.1:{port}", None), (None, "same-origin"),
    (None, "none"), (None, None), ("HTTP://127.0.0.1:{port}", None),
])
def test_the_servers_own_pages_and_non_browser_clients_are_served(server, origin, fetch_site):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if origin is not None:
        headers["Origin"] = origin.format(port=server.port)
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    for path in ["/api/analyze", "/api/export"]:
        status, out_headers, data = post(server, path, headers, TEXT)
        assert status == 200, (path, headers, data[:200])
        assert_no_cors(out_headers)


def test_own_origin_follows_the_host_the_page_was_loaded_from(server):
    """Behind a port-forward the browser's Host and Origin name the forwarded port, not the server's."""
    for host in ["localhost:9999", "[::1]:8888", "localhost"]:
        origin = f"http://{host}"
        status, _, data = post(server, "/api/analyze", {"Content-Type": "application/json", "Origin": origin}, TEXT, host)
        assert status == 200, (host, data[:200])
    status, _, data = post(server, "/api/analyze", {"Content-Type": "application/json", "Origin": "http://localhost:9998"},
                           TEXT, "localhost:9999")
    assert status == 403, data[:200]


def test_a_preflight_gets_no_cors_permission(server):
    for origin in ["http://evil.example", f"http://127.0.0.1:{server.port}"]:
        request = (f"OPTIONS /api/analyze HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nOrigin: {origin}\r\n"
                   "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n")
        status, headers, data = server.request_bytes(request.encode())
        print(f"preflight from {origin} → {status} {headers}")
        assert status >= 400
        assert_no_cors(headers)


def test_allow_origin_admits_exactly_that_origin(attnscope, minilm_dir):
    """A notebook proxy serves the page from its own origin (https://hub.example/proxy/8008/)."""
    with Server(attnscope.binary, minilm_dir, "--allow-origin", "https://hub.example") as s:
        ok = {"Content-Type": "application/json", "Origin": "https://hub.example", "Sec-Fetch-Site": "same-origin"}
        assert post(s, "/api/analyze", ok, TEXT)[0] == 200
        assert post(s, "/api/analyze", {**ok, "Origin": "https://hub.example:443"}, TEXT)[0] == 200
        for origin in ["https://hub.example:444", "http://hub.example", "https://evil.hub.example"]:
            assert post(s, "/api/analyze", {**ok, "Origin": origin}, TEXT)[0] == 403, origin


@pytest.mark.parametrize("value", ["*", "hub.example", "https://hub.example/path", "null", "https://", "ftp://hub.example"])
def test_allow_origin_takes_only_an_origin(attnscope, minilm_dir, value):
    proc = attnscope("serve", "--model", minilm_dir, "--port", "0", "--allow-origin", value, "-q", check=False, timeout=60)
    err = proc.stderr.decode()
    print(err)
    assert proc.returncode != 0
    assert f"--allow-origin '{value}'" in err and "scheme://host[:port]" in err


GOOD_HOSTS = ["localhost", "LocalHost:8008", "localhost:1", "localhost:65535", "127.0.0.1", "127.0.0.1:65535", "127.5.6.7:80",
              "[::1]", "[::1]:8008", "[0:0:0:0:0:0:0:1]:1"]
BAD_HOSTS = ["[evil.example]", "[::1].evil.example", "[::1]evil", "[::1]:", "[::1]:0", "[::1]:65536", "[::1]:80x",
             "[::1]:-1", "[::1", "::1", "[]", "[::1]]", "[fe80::1]", "[::ffff:8.8.8.8]", "localhost:", "localhost:0",
             "localhost:+80", "localhost:65536", "localhost:80:80", "localhost:8008x", "localhost.", "localhost.evil.example",
             "evil.example", "evil.example:8008", "127.0.0.1.evil.example", "127.1", "0x7f.0.0.1", "2130706433",
             "127.000.000.001", "8.8.8.8", "local host", "localhost/x", "localhost@evil.example", "user@localhost",
             "a..b", "-localhost"]


def test_host_names_that_cannot_be_rebound_are_accepted(server):
    for host in GOOD_HOSTS:
        status, _, data = server.request_bytes(f"GET /api/model HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        assert status == 200, (host, data[:200])


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_host_header_that_is_not_exactly_an_allowed_name_is_refused(server, host):
    status, _, data = server.request_bytes(f"GET /api/model HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    print(f"Host: {host!r} → {status}")
    assert status == 403, data[:200]
    assert "DNS rebinding" in json.loads(data)["error"]


@pytest.mark.parametrize("headers", [
    "Host: localhost\r\nHost: evil.example\r\n", "Host: evil.example\r\nHost: localhost\r\n",
    "Host: localhost\r\nHost: localhost\r\n", "",
], ids=["localhost-then-evil", "evil-then-localhost", "twice-the-same", "none"])
def test_exactly_one_host_header(server, headers):
    status, _, data = server.request_bytes(f"GET /api/model HTTP/1.1\r\n{headers}Connection: close\r\n\r\n".encode())
    print(f"{headers!r} → {status}")
    assert status == 403, data[:200]


def test_allow_host_takes_names_and_ip_addresses(attnscope, minilm_dir):
    with Server(attnscope.binary, minilm_dir, "--allow-host", "Workstation.LAN", "--allow-host", "192.0.2.7",
                "--allow-host", "[2001:db8::7]") as s:
        for host, status in [("workstation.lan:8008", 200), ("WORKSTATION.lan", 200), ("192.0.2.7:80", 200),
                             ("[2001:db8::7]:80", 200), ("[2001:db8:0::7]", 200), ("other.lan", 403),
                             ("workstation.lan.evil.example", 403), ("192.0.2.8", 403), ("[2001:db8::8]", 403)]:
            got = s.request_bytes(f"GET /api/model HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())[0]
            assert got == status, host


@pytest.mark.parametrize("value", ["*", "evil.example/x", "a..b", "evil.example.", "host:80", "1::2::3", ""])
def test_allow_host_takes_only_a_name_or_an_address(attnscope, minilm_dir, value):
    proc = attnscope("serve", "--model", minilm_dir, "--port", "0", "--allow-host", value, "-q", check=False, timeout=60)
    err = proc.stderr.decode()
    print(err)
    assert proc.returncode != 0
    assert f"--allow-host '{value}'" in err
