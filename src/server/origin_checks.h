// Who may talk to the server, decided from the request's headers alone: the Host header (DNS rebinding),
// the Origin and Sec-Fetch-Site headers of a browser request (cross-site requests) and the body's declared
// Content-Type. Pure functions of strings, so that they are tested and fuzzed without a socket;
// docs/security.md explains the threat model behind each rule.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace attnscope::server {

// A host as a Host header or an origin names it: a lower-case DNS name, or an IP address (IPv4 addresses
// are kept as IPv4-mapped IPv6, so that ::ffff:127.0.0.1 and 127.0.0.1 compare equal).
struct HostName {
    using Address = std::array<uint8_t, 16>;
    std::variant<std::string, Address> host;
    std::optional<int> port;  // 1..65535 when given
    bool operator==(const HostName&) const = default;
};

// RFC 3986 host[:port] with a strict reading: a bracketed IPv6 literal that inet_pton accepts (no zone), a
// dotted-quad IPv4 address that inet_pton accepts (no octal, hex or short forms), or a name of LDH labels;
// then optionally ':' and 1-5 digits in 1..65535. Anything else (an empty port, a second colon, a path,
// user info, an unbracketed IPv6 address, a trailing dot) is nullopt.
std::optional<HostName> parse_host(std::string_view text);

// Whether a request whose (single) Host header is `host_header`, received on the local address
// `local_address` (a numeric address as getsockname gives it), names this server in a way DNS rebinding
// cannot forge: localhost, a loopback address, the address the connection was made to, or one of
// `allowed` (names or addresses, parsed with parse_host, without a port). Any port is accepted: behind a
// port-forward the browser's port is not the server's.
bool host_allowed(std::string_view host_header, std::string_view local_address, std::span<const HostName> allowed);

// An origin as `--allow-origin` takes it and browsers send it: http or https, "://", a host[:port] that
// parse_host accepts, nothing after. The scheme is kept lower case; nullopt when malformed.
struct Origin {
    std::string scheme;
    HostName host;
    bool operator==(const Origin&) const = default;
};
std::optional<Origin> parse_origin(std::string_view text);

// Why a request that can change state or make the server compute must be refused as cross-origin, or
// nullopt when it may run. `origin` and `fetch_site` are the Origin and Sec-Fetch-Site headers (nullopt
// when absent); `host_header` is the request's already-checked Host header. A request from a page is
// accepted when its origin is the server's own (the host and port the page was loaded from, that is the
// Host header) or one of `allowed_origins`; a request without either header is a non-browser client.
std::optional<std::string> cross_origin_refusal(std::optional<std::string_view> origin,
                                                std::optional<std::string_view> fetch_site,
                                                std::string_view host_header, std::span<const Origin> allowed_origins);

// Whether a Content-Type header declares a JSON body: the media type application/json, in any case, with
// or without parameters such as "; charset=utf-8".
bool is_json_content_type(std::string_view content_type);

}  // namespace attnscope::server
