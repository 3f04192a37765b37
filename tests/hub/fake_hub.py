"""A hub-like pair of HTTP servers on 127.0.0.1 for the download tests, made at test time:

- the hub (resolve URLs): HEAD/GET /{repo}/resolve/{revision}/{file} with X-Repo-Commit and ETag headers,
  a relative redirect from an old repo id to its new one, 401 for private or missing repos, 404 with
  X-Error-Code EntryNotFound / RevisionNotFound, and for large (LFS) files a 302 to the file host with
  X-Linked-Etag (the sha256) and X-Linked-Size, as huggingface.co answers;
- the file host, on a second port: serves blobs by sha256 with Range support, and can cut a transfer in
  the middle or corrupt a file on purpose.
Every request is recorded, so tests can check what was asked (Range on resume, no token to the file host).
"""
import hashlib
import http.server
import socketserver
import threading
import urllib.parse

LFS_SUFFIXES = (".safetensors", ".bin")


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, files, commit, private=False, branches=("main",)):
        self.files = files  # name -> bytes
        self.commit = commit
        self.private = private
        self.branches = set(branches)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeHub:
    def __init__(self, token="hf_secret"):
        self.repos = {}
        self.aliases = {}
        self.token = token
        self.requests = []        # (server, method, path, headers)
        self.cut_once = set()     # sha256s whose next transfer breaks off halfway
        self.corrupt = set()      # sha256s served with wrong bytes
        self.blobs = {}
        hub = self

        class HubHandler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.answer(send_body=False)

            def do_GET(self):
                self.answer(send_body=True)

            def reply(self, status, headers=None, body=b"", send_body=True):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def answer(self, send_body):
                hub.requests.append(("hub", self.command, self.path, dict(self.headers)))
                path = urllib.parse.urlparse(self.path).path
                if "/resolve/" not in path:
                    return self.reply(404, {"X-Error-Code": "EntryNotFound"}, send_body=send_body)
                repo_id, rest = path.lstrip("/").split("/resolve/", 1)
                revision, _, filename = rest.partition("/")
                revision = urllib.parse.unquote(revision)
                filename = urllib.parse.unquote(filename)
                if repo_id in hub.aliases:
                    new = f"/{hub.aliases[repo_id]}/resolve/{urllib.parse.quote(revision, safe='')}/{filename}"
                    return self.reply(307, {"Location": new}, send_body=send_body)
                repo = hub.repos.get(repo_id)
                authorized = self.headers.get("Authorization") == f"Bearer {hub.token}"
                if repo is None or (repo.private and not authorized):
                    return self.reply(401, {"X-Error-Code": "RepoNotFound"}, b'{"error":"Repository not found"}', send_body)
                if revision not in repo.branches and revision != repo.commit:
                    return self.reply(404, {"X-Error-Code": "RevisionNotFound"}, send_body=send_body)
                data = repo.files.get(filename)
                if data is None:
                    return self.reply(404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": repo.commit}, send_body=send_body)
                if filename.endswith(LFS_SUFFIXES):
                    sha = hashlib.sha256(data).hexdigest()
                    hub.blobs[sha] = data
                    location = f"http://127.0.0.1:{hub.files_port}/blobs/{sha}?expires=1"
                    return self.reply(302, {"Location": location, "X-Repo-Commit": repo.commit,
                                            "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data)),
                                            "ETag": f'"{git_blob_sha1(data)}"'}, send_body=send_body)
                return self.reply(200, {"X-Repo-Commit": repo.commit, "ETag": f'"{git_blob_sha1(data)}"',
                                        "Content-Type": "application/octet-stream"}, data, send_body)

        class FileHandler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                hub.requests.append(("files", self.command, self.path, dict(self.headers)))
                sha = urllib.parse.urlparse(self.path).path.rsplit("/", 1)[-1]
                data = hub.blobs.get(sha)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if sha in hub.corrupt:
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes=") and rng.endswith("-"):
                    start = int(rng[6:-1])
                if start >= len(data) and start > 0:
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = data[start:]
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if sha in hub.cut_once:
                    hub.cut_once.discard(sha)
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)  # the connection drops mid-transfer
                    return
                self.wfile.write(body)

        self._hub = _Server(("127.0.0.1", 0), HubHandler)
        self._files = _Server(("127.0.0.1", 0), FileHandler)
        self.port = self._hub.server_address[1]
        self.files_port = self._files.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        for s in (self._hub, self._files):
            threading.Thread(target=s.serve_forever, daemon=True).start()

    def add_repo(self, repo_id, files, commit, **kw):
        self.repos[repo_id] = Repo(files, commit, **kw)
        for name, data in files.items():
            if name.endswith(LFS_SUFFIXES):
                self.blobs[hashlib.sha256(data).hexdigest()] = data

    def close(self):
        for s in (self._hub, self._files):
            s.shutdown()
            s.server_close()
