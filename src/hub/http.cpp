#include "hub/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "attnscope/error.h"

namespace attnscope::hub {
namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

struct Transfer {
    CURL* curl;
    const HttpRequest* request;
    HttpResponse* response;
    size_t received = 0;
    bool aborted_by_sink = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        t->response->headers.clear();  // a new response (after a redirect or a 100 Continue)
    } else if (auto colon = line.find(':'); colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
        size_t b = 0;
        while (b < value.size() && std::isspace(static_cast<unsigned char>(value[b]))) ++b;
        t->response->headers[lower(line.substr(0, colon))] = value.substr(b);
    }
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t->response->status == 0) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->response->status);
    if (t->request->sink) {
        if (!t->request->sink(t->response->status, data, n)) {
            t->aborted_by_sink = true;
            return 0;  // makes curl stop with CURLE_WRITE_ERROR
        }
    }
    t->received += n;
    if (t->request->progress) t->request->progress(t->received);
    return n;
}

HttpResponse perform(const HttpRequest& r, bool head) {
    global_init();
    CURL* curl = curl_easy_init();
    if (!curl) throw Error("cannot start an HTTP client (libcurl)");
    HttpResponse response;
    Transfer t{curl, &r, &response};
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : r.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
    curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "attnscope/0.1");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
    // A stalled transfer (under 1 KB/s for 30 s) fails instead of hanging; it can be resumed.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (head) {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    }
    // A plain Range header rather than CURLOPT_RESUME_FROM, so a server that ignores ranges (200 instead
    // of 206) is not an error: the sink sees the status and starts over.
    const std::string range = fmt::format("{}-", r.resume_from);
    if (!head && r.resume_from > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, r.follow_redirects ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    // Credentials go to the host they were meant for only (libcurl's default); keep it explicit.
    curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    char* effective = nullptr;
    curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
    if (effective) response.url = effective;
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && t.aborted_by_sink)) {
        // A transfer cut in the middle: report it as such, so the caller can say the download can resume.
        if (response.status >= 200 && response.status < 300 && !head) {
            throw Error(fmt::format("the transfer from {} broke off after {} bytes ({})", r.url, t.received,
                                    curl_easy_strerror(rc)));
        }
        throw Error(fmt::format("cannot reach {} ({})", url_origin(r.url), curl_easy_strerror(rc)));
    }
    return response;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string() : it->second;
}

HttpResponse http_head(const HttpRequest& request) {
    return perform(request, true);
}
HttpResponse http_get(const HttpRequest& request) {
    return perform(request, false);
}

std::string url_origin(const std::string& url) {
    CURLU* u = curl_url();
    std::string out;
    if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
        char *scheme = nullptr, *host = nullptr, *port = nullptr;
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
        out = fmt::format("{}://{}:{}", scheme ? scheme : "", host ? lower(host) : "", port ? port : "");
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
    }
    curl_url_cleanup(u);
    return out;
}

std::string resolve_url(const std::string& base, const std::string& location) {
    CURLU* u = curl_url();
    std::string out = location;
    if (curl_url_set(u, CURLUPART_URL, base.c_str(), 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, location.c_str(), 0) == CURLUE_OK) {
        char* full = nullptr;
        if (curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK) out = full;
        curl_free(full);
    }
    curl_url_cleanup(u);
    return out;
}

}  // namespace attnscope::hub
