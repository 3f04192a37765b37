// attnscope pull: the hub download protocol of huggingface_hub (file_download.py), in C++.
//   1. HEAD {endpoint}/{repo}/resolve/{revision}/{file}, following only redirects that stay on the same
//      host (a renamed repo answers with a relative redirect); a redirect to another host (the file
//      store) ends the walk, and its headers carry the metadata: X-Repo-Commit, X-Linked-Etag (else
//      ETag), X-Linked-Size (else Content-Length).
//   2. blobs/<etag> exists → nothing to fetch. Otherwise GET the location into blobs/<etag>.incomplete
//      (resuming a partial one with Range), check it against the etag (sha256 for large files, the git
//      blob sha1 for small ones), rename it into place.
//   3. snapshots/<commit>/<file> → a relative symlink to ../../blobs/<etag>; refs/<revision> ← commit.
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "attnscope/error.h"
#include "attnscope/hub.h"
#include "hub/http.h"
#include "util/files.h"

namespace attnscope::hub {

namespace fs = std::filesystem;

namespace {

bool is_commit(const std::string& s) {
    return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Path segments are URL-quoted like urllib.parse.quote(s, safe=""): "refs/pr/1" → "refs%2Fpr%2F1".
std::string quote(const std::string& s, bool keep_slash) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

std::string normalize_etag(std::string e) {
    if (e.rfind("W/", 0) == 0) e = e.substr(2);
    if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
    return e;
}

struct Metadata {
    std::string commit, etag, location;
    long long size = -1;
};

class HubError : public Error {
  public:
    HubError(long status, const std::string& code, const std::string& message)
        : Error(message), status(status), code(code) {}
    long status;
    std::string code;  // X-Error-Code: RepoNotFound, GatedRepo, EntryNotFound, RevisionNotFound
};

// A progress line on stderr: name, bytes, rate, ETA; redrawn in place on a terminal, printed once at the
// end otherwise.
class Progress {
  public:
    Progress(std::string name, long long total, size_t already, bool enabled)
        : name_(std::move(name)),
          total_(total),
          already_(already),
          enabled_(enabled),
          tty_(isatty(STDERR_FILENO) != 0),
          start_(std::chrono::steady_clock::now()) {}

    void update(size_t received) {
        received_ = received;
        if (!enabled_ || !tty_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        std::fprintf(stderr, "\r%s\x1b[K", line().c_str());
    }
    void done() {
        if (!enabled_) return;
        std::fprintf(stderr, tty_ ? "\r%s\x1b[K\n" : "%s\n", line().c_str());
    }

  private:
    std::string line() const {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const double rate = seconds > 0 ? static_cast<double>(received_) / seconds : 0;
        const double have = static_cast<double>(already_ + received_);
        std::string bar;
        if (total_ > 0) {
            const int width = 24, filled = static_cast<int>(width * std::min(1.0, have / static_cast<double>(total_)));
            bar = fmt::format("[{}{}] ", std::string(static_cast<size_t>(filled), '#'),
                              std::string(static_cast<size_t>(width - filled), '.'));
        }
        std::string eta;
        if (total_ > 0 && rate > 0 && have < static_cast<double>(total_)) {
            eta = fmt::format("  ETA {:.0f} s", (static_cast<double>(total_) - have) / rate);
        }
        return fmt::format(
            "  {:<28} {}{:.1f}{} MB  {:.1f} MB/s{}{}", name_, bar, have / 1e6,
            total_ > 0 ? fmt::format(" / {:.1f}", static_cast<double>(total_) / 1e6) : std::string(), rate / 1e6, eta,
            already_ ? fmt::format("  (resumed at {:.1f} MB)", static_cast<double>(already_) / 1e6) : "");
    }

    std::string name_;
    long long total_;
    size_t already_, received_ = 0;
    bool enabled_, tty_;
    std::chrono::steady_clock::time_point start_, last_{};
};

// sha256 (64 hex) of a file, or the git blob sha1 (40 hex) "blob <size>\0<content>".
std::string file_digest(const fs::path& path, bool git_sha1) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), git_sha1 ? EVP_sha1() : EVP_sha256(), nullptr);
    if (git_sha1) {
        const std::string head = fmt::format("blob {}", fs::file_size(path));
        EVP_DigestUpdate(ctx.get(), head.data(), head.size() + 1);  // with the NUL
    }
    std::ifstream in(path, std::ios::binary);
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &length);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", md[i]);
    return hex;
}

class Downloader {
  public:
    Downloader(const std::string& repo, const PullOptions& o, const Settings& s)
        : repo_(repo), options_(o), settings_(s), storage_(s.cache / repo_folder_name(repo)) {}

    PullResult run() {
        PullResult result;
        // config.json first: it fixes the commit every other file is taken from.
        Metadata config = metadata("config.json", options_.revision);
        commit_ = config.commit;
        if (!is_commit(commit_)) {
            throw Error(
                fmt::format("{}: the hub's answer for config.json has no X-Repo-Commit header; is {} a Hugging "
                            "Face hub?",
                            repo_, settings_.endpoint));
        }
        result.commit = commit_;
        fetch("config.json", config, result);
        for (const char* f : {"tokenizer_config.json", "tokenizer.json", "vocab.txt", "special_tokens_map.json",
                              "vocab.json", "merges.txt"}) {
            fetch_optional(f, result);
        }
        // Weights, in transformers' order of preference: safetensors, then the pickle; single or sharded.
        bool have_weights = false;
        for (const auto& [single, index] : {std::pair{"model.safetensors", "model.safetensors.index.json"},
                                            std::pair{"pytorch_model.bin", "pytorch_model.bin.index.json"}}) {
            if (fetch_optional(single, result)) {
                have_weights = true;
                break;
            }
            if (fetch_optional(index, result)) {
                auto j = util::read_json_file(storage_ / "snapshots" / commit_ / index);
                std::set<std::string> shards;
                if (j.contains("weight_map") && j["weight_map"].is_object()) {
                    for (const auto& [k, v] : j["weight_map"].items()) {
                        if (v.is_string()) shards.insert(v.get<std::string>());
                    }
                }
                for (const auto& shard : shards) {
                    if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos) {
                        throw Error(
                            fmt::format("{}: {} names a shard outside the model folder: '{}'", repo_, index, shard));
                    }
                    fetch(shard, metadata(shard, commit_), result);
                }
                have_weights = true;
                break;
            }
        }
        if (!have_weights) {
            throw Error(
                fmt::format("{} has no model.safetensors or pytorch_model.bin (nor their .index.json) at "
                            "revision {}: attnscope cannot read its weights",
                            repo_, options_.revision));
        }
        if (!is_commit(options_.revision)) {
            const fs::path ref = storage_ / "refs" / options_.revision;
            fs::create_directories(ref.parent_path());
            write_atomically(ref, commit_);
        }
        result.snapshot = storage_ / "snapshots" / commit_;
        return result;
    }

  private:
    std::string resolve_url(const std::string& file, const std::string& revision) const {
        return fmt::format("{}/{}/resolve/{}/{}", settings_.endpoint, repo_, quote(revision, false), quote(file, true));
    }

    std::map<std::string, std::string> headers(bool to_hub) const {
        std::map<std::string, std::string> h{{"Accept-Encoding", "identity"}};
        if (to_hub && !settings_.token.empty()) h["Authorization"] = "Bearer " + settings_.token;
        return h;
    }

    [[noreturn]] void http_error(const HttpResponse& r, const std::string& file, const std::string& revision) const {
        const std::string code = r.header("X-Error-Code");
        const std::string who = fmt::format("{} (revision {})", repo_, revision);
        if (code == "GatedRepo") {
            throw HubError(r.status, code,
                           fmt::format("{} is gated: accept its conditions on the hub, then set HF_TOKEN to a "
                                       "token of that account",
                                       repo_));
        }
        if (code == "RevisionNotFound") {
            throw HubError(r.status, code, fmt::format("{}: revision '{}' does not exist", repo_, revision));
        }
        if (code == "EntryNotFound" || (r.status == 404 && code.empty())) {
            throw HubError(404, "EntryNotFound", fmt::format("{}: {} not found (HTTP 404)", who, file));
        }
        if (code == "RepoNotFound" || r.status == 401) {
            throw HubError(
                r.status, "RepoNotFound",
                fmt::format("{}: repository not found (HTTP {}) — check the id; if it is private or gated, "
                            "set HF_TOKEN{}",
                            repo_, r.status, settings_.token.empty() ? "" : " (the token given was not accepted)"));
        }
        if (r.status == 403) {
            throw HubError(r.status, code,
                           fmt::format("{}: access forbidden (HTTP 403) — is HF_TOKEN allowed to read it?", repo_));
        }
        throw HubError(r.status, code, fmt::format("{}: {} failed with HTTP {}", who, file, r.status));
    }

    Metadata metadata(const std::string& file, const std::string& revision) {
        std::string url = resolve_url(file, revision);
        const std::string hub = url_origin(url);
        for (int hop = 0; hop < 10; ++hop) {
            HttpRequest req;
            req.url = url;
            req.headers = headers(url_origin(url) == hub);
            HttpResponse r = http_head(req);
            if (r.status >= 400) http_error(r, file, revision);
            const std::string location = r.header("Location");
            if (r.status >= 300 && r.status < 400 && !location.empty()) {
                const std::string target = hub::resolve_url(url, location);
                if (url_origin(target) == url_origin(url)) {  // a renamed repo: follow
                    url = target;
                    continue;
                }
                return describe(r, target);  // the file store: stop, the metadata is on this answer
            }
            if (r.status >= 300) http_error(r, file, revision);
            return describe(r, url);
        }
        throw Error(fmt::format("{}: too many redirects resolving {}", repo_, file));
    }

    static Metadata describe(const HttpResponse& r, const std::string& location) {
        Metadata m;
        m.commit = r.header("X-Repo-Commit");
        m.etag = normalize_etag(!r.header("X-Linked-Etag").empty() ? r.header("X-Linked-Etag") : r.header("ETag"));
        m.location = location;
        std::string size = r.header("X-Linked-Size");
        if (size.empty() && !(r.status >= 300 && r.status < 400)) size = r.header("Content-Length");
        if (!size.empty()) m.size = std::atoll(size.c_str());
        return m;
    }

    // Returns false for a file the repo does not have (404 EntryNotFound), remembered in .no_exist/.
    bool fetch_optional(const std::string& file, PullResult& result) {
        if (fs::exists(storage_ / ".no_exist" / commit_ / file)) return false;
        try {
            Metadata m = metadata(file, commit_);
            fetch(file, m, result);
            return true;
        } catch (const HubError& e) {
            if (e.code != "EntryNotFound") throw;
            fs::create_directories(storage_ / ".no_exist" / commit_);
            std::ofstream(storage_ / ".no_exist" / commit_ / file);
            return false;
        }
    }

    void fetch(const std::string& file, const Metadata& m, PullResult& result) {
        if (m.etag.empty()) throw Error(fmt::format("{}: the hub gave no ETag for {}", repo_, file));
        if (m.etag.find('/') != std::string::npos || m.etag.find("..") != std::string::npos) {
            throw Error(fmt::format("{}: the hub gave an unusable ETag for {}", repo_, file));
        }
        if (!m.commit.empty() && m.commit != commit_) {
            throw Error(
                fmt::format("{}: {} comes from commit {} but config.json from {}", repo_, file, m.commit, commit_));
        }
        const fs::path blob = storage_ / "blobs" / m.etag;
        const fs::path pointer = storage_ / "snapshots" / commit_ / file;
        fs::create_directories(blob.parent_path());
        fs::create_directories(pointer.parent_path());
        if (!fs::exists(blob)) result.downloaded_bytes += download(file, m, blob);
        // snapshots/<commit>/<file> → ../../blobs/<etag> (relative, as huggingface_hub links it).
        std::error_code ec;
        fs::remove(pointer, ec);
        fs::create_symlink(fs::relative(blob, pointer.parent_path()), pointer, ec);
        if (ec) fs::copy_file(blob, pointer, fs::copy_options::overwrite_existing);  // no symlinks here: a copy
        result.files.push_back(file);
    }

    size_t download(const std::string& file, const Metadata& m, const fs::path& blob) {
        const fs::path part = fs::path(blob.string() + ".incomplete");
        size_t have = fs::exists(part) ? static_cast<size_t>(fs::file_size(part)) : 0;
        if (m.size >= 0 && have > static_cast<size_t>(m.size)) have = 0;
        Progress progress(file, m.size, have, options_.progress);
        FILE* out = std::fopen(part.c_str(), have ? "ab" : "wb");
        if (!out) throw Error(fmt::format("cannot write {}: {}", part.string(), std::strerror(errno)));
        HttpRequest req;
        req.url = m.location;
        req.follow_redirects = true;
        req.resume_from = have;
        req.headers = headers(url_origin(m.location) == url_origin(settings_.endpoint));
        size_t written = 0;
        bool restarted = false;
        req.sink = [&](long status, const char* data, size_t n) {
            if (status == 200 && have > 0 && !restarted) {
                // The server sent the whole file instead of the rest: start over.
                restarted = true;
                out = std::freopen(part.c_str(), "wb", out);
                if (!out) return false;
                have = 0;
            }
            if (status != 200 && status != 206) return false;
            written += n;
            return std::fwrite(data, 1, n, out) == n;
        };
        req.progress = [&](size_t received) { progress.update(received); };
        HttpResponse r;
        try {
            r = http_get(req);
        } catch (const Error& e) {
            if (out) std::fclose(out);
            throw Error(
                fmt::format("{}: downloading {} failed: {}. Run the command again to resume ({} bytes kept in {})",
                            repo_, file, e.what(), have + written, part.string()));
        }
        const bool ok = out && std::fflush(out) == 0 && fsync(fileno(out)) == 0;
        if (out) std::fclose(out);
        if (r.status == 416 && m.size >= 0 && have == static_cast<size_t>(m.size)) {
            // Already complete (a previous run stopped just before the rename).
        } else if (r.status != 200 && r.status != 206) {
            http_error(r, file, commit_);
        } else if (!ok) {
            throw Error(fmt::format("cannot write {}: the disk may be full", part.string()));
        }
        progress.done();
        const size_t total = static_cast<size_t>(fs::file_size(part));
        if (m.size >= 0 && total != static_cast<size_t>(m.size)) {
            throw Error(fmt::format("{}: {} is {} bytes but the hub announced {}; run again to resume", repo_, file,
                                    total, m.size));
        }
        const bool sha256 = m.etag.size() == 64, sha1 = m.etag.size() == 40;
        if (sha256 || sha1) {
            const std::string got = file_digest(part, sha1);
            if (got != m.etag) {
                fs::remove(part);
                throw Error(
                    fmt::format("{}: checksum mismatch for {}: expected {} {}, got {}; the corrupt download "
                                "was deleted, run again",
                                repo_, file, sha256 ? "sha256" : "git sha1", m.etag, got));
            }
        }
        fs::rename(part, blob);
        return written;
    }

    static void write_atomically(const fs::path& path, const std::string& text) {
        const fs::path tmp = fs::path(path.string() + ".tmp");
        {
            std::ofstream out(tmp, std::ios::binary);
            out << text;
            if (!out) throw Error(fmt::format("cannot write {}", tmp.string()));
        }
        fs::rename(tmp, path);
    }

    std::string repo_;
    PullOptions options_;
    Settings settings_;
    fs::path storage_;
    std::string commit_;
};

}  // namespace

PullResult pull(const std::string& repo_id, const PullOptions& options, const Settings& settings) {
    check_repo_id(repo_id);
    if (settings.offline) {
        throw Error(
            fmt::format("cannot download {}: offline mode is on (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE); the cache "
                        "is {}",
                        repo_id, settings.cache.string()));
    }
    if (options.revision.empty() || options.revision.find("..") != std::string::npos) {
        throw Error(fmt::format("invalid revision '{}'", options.revision));
    }
    Downloader d(repo_id, options, settings);
    return d.run();
}

fs::path download_model(const std::string& repo_id, const std::string& revision) {
    PullOptions po;
    po.revision = revision;
    return pull(repo_id, po).snapshot;
}

}  // namespace attnscope::hub
