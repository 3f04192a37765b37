// The few HTTP requests the hub protocol needs, over libcurl: a HEAD that does not follow redirects (the
// caller decides, as huggingface_hub does), and a GET that follows them and streams the body to a sink,
// optionally from a byte offset (to resume a download).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>

namespace attnscope::hub {

struct HttpResponse {
    long status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased; the last of a repeated header
    std::string url;                             // after redirects
    std::string header(const std::string& name) const;
};

struct HttpRequest {
    std::string url;
    std::map<std::string, std::string> headers;
    bool follow_redirects = false;
    size_t resume_from = 0;  // GET: ask for bytes from here on (Range)
    // GET: receives the body in pieces with the response status (206 = the requested range, 200 = the
    // whole file); returning false aborts the transfer.
    std::function<bool(long status, const char* data, size_t size)> sink;
    // GET: total bytes received so far (this request), for progress bars.
    std::function<void(size_t received)> progress;
};

// Throws Error("cannot reach ...") when no HTTP answer comes (DNS, refused, reset, timeout); any HTTP
// status is returned, not thrown.
HttpResponse http_head(const HttpRequest& request);
HttpResponse http_get(const HttpRequest& request);

// "https://host:port/a/b" + "/c" → "https://host:port/c"; absolute locations are returned as they are.
std::string resolve_url(const std::string& base, const std::string& location);
// scheme://host:port of a URL (with the scheme's default port), for same-host checks.
std::string url_origin(const std::string& url);

}  // namespace attnscope::hub
