#include "origin_checks.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace attnscope::server {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return lower(c); });
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// Letters, digits and inner hyphens, 1..63 characters per label, 253 in all (RFC 1123).
bool is_dns_name(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    size_t start = 0;
    while (start <= s.size()) {
        const size_t dot = std::min(s.find('.', start), s.size());
        const std::string_view label = s.substr(start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (char c : label) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) return false;
        }
        start = dot + 1;
    }
    return true;
}

// A browser reads a host whose last label is a number (127.1, 2130706433, 0x7f.0.0.1) as an IPv4 address
// (WHATWG URL, "ends in a number"), so such a Host header names no host a page could have been loaded from.
bool ends_in_a_number(std::string_view name) {
    const size_t dot = name.rfind('.');
    std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
    auto all = [](std::string_view s, auto pred) { return std::all_of(s.begin(), s.end(), pred); };
    if (all(last, [](char c) { return c >= '0' && c <= '9'; })) return true;
    if (last.size() >= 2 && last[0] == '0' && lower(last[1]) == 'x') {
        return all(last.substr(2), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
    }
    return false;
}

std::optional<HostName::Address> parse_address(std::string_view s, int family) {
    if (s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    const std::string z(s);  // inet_pton needs a terminated string
    HostName::Address a{};
    if (family == AF_INET6) {
        if (inet_pton(AF_INET6, z.c_str(), a.data()) != 1) return std::nullopt;
        return a;
    }
    in_addr v4{};
    if (inet_pton(AF_INET, z.c_str(), &v4) != 1) return std::nullopt;
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4, 4);
    return a;
}

bool is_v4_mapped(const HostName::Address& a) {
    return std::all_of(a.begin(), a.begin() + 10, [](uint8_t b) { return b == 0; }) && a[10] == 0xff && a[11] == 0xff;
}

bool is_loopback(const HostName::Address& a) {
    if (is_v4_mapped(a)) return a[12] == 127;                                                       // 127.0.0.0/8
    return std::all_of(a.begin(), a.begin() + 15, [](uint8_t b) { return b == 0; }) && a[15] == 1;  // ::1
}

std::optional<int> parse_port(std::string_view s) {
    if (s.empty() || s.size() > 5) return std::nullopt;
    int port = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) return std::nullopt;
    return port;
}

int default_port(const std::string& scheme) {
    return scheme == "https" ? 443 : 80;
}

// The same host and port, a missing port being the scheme's default (browsers leave default ports out).
bool same_authority(const std::string& scheme, const HostName& a, const HostName& b) {
    const int d = default_port(scheme);
    return a.host == b.host && a.port.value_or(d) == b.port.value_or(d);
}

}  // namespace

std::optional<HostName> parse_host(std::string_view text) {
    HostName out;
    std::string_view rest;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        auto a = parse_address(text.substr(1, close - 1), AF_INET6);
        if (!a) return std::nullopt;
        out.host = *a;
        rest = text.substr(close + 1);
    } else {
        const size_t colon = text.find(':');
        const std::string_view name = text.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
        if (auto a = parse_address(name, AF_INET)) {
            out.host = *a;
        } else {
            if (!is_dns_name(name) || ends_in_a_number(name)) return std::nullopt;
            out.host = lower(name);
        }
    }
    if (!rest.empty()) {
        if (rest.front() != ':') return std::nullopt;
        out.port = parse_port(rest.substr(1));
        if (!out.port) return std::nullopt;
    }
    return out;
}

bool host_allowed(std::string_view host_header, std::string_view local_address, std::span<const HostName> allowed) {
    const auto h = parse_host(host_header);
    if (!h) return false;
    if (const auto* name = std::get_if<std::string>(&h->host)) {
        if (*name == "localhost") return true;
    } else {
        const auto& a = std::get<HostName::Address>(h->host);
        if (is_loopback(a)) return true;
        auto local = parse_address(local_address, AF_INET6);
        if (!local) local = parse_address(local_address, AF_INET);
        if (local && *local == a) return true;
    }
    return std::any_of(allowed.begin(), allowed.end(), [&](const HostName& x) { return x.host == h->host; });
}

std::optional<Origin> parse_origin(std::string_view text) {
    const size_t sep = text.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    Origin o;
    o.scheme = lower(text.substr(0, sep));
    if (o.scheme != "http" && o.scheme != "https") return std::nullopt;
    auto host = parse_host(text.substr(sep + 3));
    if (!host) return std::nullopt;
    o.host = std::move(*host);
    return o;
}

std::optional<std::string> cross_origin_refusal(std::optional<std::string_view> origin,
                                                std::optional<std::string_view> fetch_site,
                                                std::string_view host_header, std::span<const Origin> allowed_origins) {
    constexpr const char* kHint =
        "; the API answers only the pages it serves (start the server with --allow-origin to add one)";
    if (origin) {
        const auto o = parse_origin(*origin);
        if (!o) return fmt::format("cross-origin request refused (Origin: {}){}", *origin, kHint);
        // An origin the user named is by definition another origin: Sec-Fetch-Site may say so.
        const bool allowed = std::any_of(allowed_origins.begin(), allowed_origins.end(), [&](const Origin& a) {
            return a.scheme == o->scheme && same_authority(a.scheme, a.host, o->host);
        });
        if (allowed) return std::nullopt;
        const auto own = parse_host(host_header);
        if (!own || !same_authority(o->scheme, o->host, *own))
            return fmt::format("cross-origin request refused (Origin: {}){}", *origin, kHint);
    }
    if (fetch_site && !iequals(*fetch_site, "same-origin") && !iequals(*fetch_site, "none")) {
        return fmt::format("cross-origin request refused (Sec-Fetch-Site: {}){}", *fetch_site, kHint);
    }
    return std::nullopt;
}

bool is_json_content_type(std::string_view content_type) {
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
    while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
    return iequals(media, "application/json");
}

}  // namespace attnscope::server
